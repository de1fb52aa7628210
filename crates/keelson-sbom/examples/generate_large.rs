//! `cargo run --example generate_large -- OUT.json MEGABYTES`: writes a CycloneDX 1.6
//! JSON document of about that size (firmware components with purl, CPE, hashes,
//! supplier and licence, plus a dependency chain), for memory and speed measurements.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, megabytes] = args.as_slice() else {
        eprintln!("usage: generate_large OUT.json MEGABYTES");
        return ExitCode::from(2);
    };
    let Ok(megabytes) = megabytes.parse::<u64>() else {
        eprintln!("MEGABYTES must be a whole number");
        return ExitCode::from(2);
    };
    match write(out, megabytes * 1024 * 1024) {
        Ok(count) => {
            println!("{out}: {count} components");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{out}: {error}");
            ExitCode::FAILURE
        }
    }
}

fn write(path: &str, target: u64) -> std::io::Result<u64> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    let header = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"#;
    write!(
        out,
        "{header}\"serialNumber\":\"urn:uuid:00000000-0000-4000-8000-000000000001\","
    )?;
    write!(out, "\"components\":[")?;

    let mut written = 0u64;
    let mut count = 0u64;
    while written < target {
        let comma = if count == 0 { "" } else { "," };
        let item = component(count);
        write!(out, "{comma}{item}")?;
        written += item.len() as u64 + 1;
        count += 1;
    }

    write!(out, "],\"dependencies\":[")?;
    for index in 0..count {
        let comma = if index == 0 { "" } else { "," };
        let next = (index + 1) % count;
        write!(
            out,
            "{comma}{{\"ref\":\"c{index}\",\"dependsOn\":[\"c{next}\"]}}"
        )?;
    }
    write!(out, "]}}")?;
    out.flush()?;
    Ok(count)
}

fn component(index: u64) -> String {
    format!(
        concat!(
            r#"{{"type":"firmware","bom-ref":"c{i}","name":"ecu-module-{i}","#,
            r#""version":"{major}.{minor}.{i}","#,
            r#""purl":"pkg:generic/acme/ecu-module-{i}@{major}.{minor}.{i}","#,
            r#""cpe":"cpe:2.3:o:acme:ecu-module-{i}:{major}.{minor}.{i}:*:*:*:*:*:*:*","#,
            r#""supplier":{{"name":"Acme Automotive"}},"#,
            r#""licenses":[{{"license":{{"id":"Apache-2.0"}}}}],"#,
            r#""hashes":[{{"alg":"SHA-256","content":"{hash:064x}"}}]}}"#
        ),
        i = index,
        major = index % 7,
        minor = index % 13,
        hash = u128::from(index).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834),
    )
}
