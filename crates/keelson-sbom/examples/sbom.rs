//! `cargo run --example sbom -- validate|import FILE`: what the CLI will do, for trying
//! the crate by hand and for measuring peak memory with `/usr/bin/time -v`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [command, path] = args.as_slice() else {
        eprintln!("usage: sbom validate|import FILE");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("{path}: {error}");
            return ExitCode::from(2);
        }
    };
    match command.as_str() {
        "validate" => validate(&bytes),
        "import" => import(&bytes),
        other => {
            eprintln!("unknown command {other}");
            ExitCode::from(2)
        }
    }
}

fn validate(bytes: &[u8]) -> ExitCode {
    let problems = keelson_sbom::validate(bytes);
    for problem in &problems {
        println!("{problem}");
    }
    println!("{} problem(s)", problems.len());
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn import(bytes: &[u8]) -> ExitCode {
    match keelson_sbom::import(bytes) {
        Ok(sbom) => {
            let with_purl = sbom.components.iter().filter(|c| c.purl.is_some()).count();
            println!(
                "{:?} {} {:?}: {} components ({} with purl), {} dependencies",
                sbom.format.family,
                sbom.format.spec_version,
                sbom.format.encoding,
                sbom.components.len(),
                with_purl,
                sbom.dependencies.len()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
