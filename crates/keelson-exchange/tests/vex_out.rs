//! VEX documents written by Keelson are valid in each format: OpenVEX against the
//! official OpenVEX schema (from the corpus), CycloneDX against the 1.5/1.6 schemas
//! that `keelson-sbom` ships, and CSAF against Keelson's own validator and the
//! reference validator (BSI's csaf-validator-lib, run with node).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use keelson_core::Tlp;
use keelson_exchange::csaf;
use keelson_exchange::vex::{
    CycloneDxVersion, Justification, Product, Statement, Status, VexDocument, Vulnerability,
    to_csaf, to_cyclonedx, to_openvex,
};
use serde_json::Value;
use time::macros::datetime;

fn purl(text: &str) -> Product {
    match text.parse() {
        Ok(purl) => Product::Purl(purl),
        Err(error) => panic!("{text}: {error}"),
    }
}

fn vulnerability(id: &str, aliases: &[&str]) -> Vulnerability {
    Vulnerability {
        id: id.to_owned(),
        aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
        description: None,
    }
}

/// Every status, a purl with `+` in its version, a build ID, an alias, a non-CVE ID.
fn sample() -> VexDocument {
    let openssl = purl("pkg:deb/debian/openssl@3.0.11-1%2Bdeb12u2?arch=amd64");
    let Product::Purl(openssl_purl) = openssl.clone() else {
        unreachable!("purl() makes purls")
    };
    let busybox = purl("pkg:generic/busybox@1.36.1");
    let build = Product::Build("tcu-4.2.0".to_owned());
    let statements = vec![
        Statement {
            vulnerability: vulnerability("CVE-2023-5678", &["GHSA-xxxx-yyyy-zzzz"]),
            products: vec![openssl.clone(), build.clone()],
            components: BTreeMap::from([(build.clone(), vec![openssl_purl.clone()])]),
            status: Status::NotAffected {
                justification: Some(Justification::VulnerableCodeNotInExecutePath),
                impact: Some("DH key generation is never called on the TCU.".to_owned()),
            },
            timestamp: Some(datetime!(2026-11-02 09:00 UTC)),
        },
        Statement {
            vulnerability: vulnerability("CVE-2024-0727", &[]),
            products: vec![openssl],
            components: BTreeMap::new(),
            status: Status::Affected {
                action: "Update openssl to 3.0.13 with the next OTA release.".to_owned(),
            },
            timestamp: None,
        },
        Statement {
            vulnerability: vulnerability("CVE-2022-48174", &[]),
            products: vec![busybox.clone()],
            components: BTreeMap::new(),
            status: Status::Fixed,
            timestamp: None,
        },
        Statement {
            vulnerability: vulnerability("GHSA-abcd-efgh-ijkl", &[]),
            products: vec![busybox, build],
            components: BTreeMap::new(),
            status: Status::UnderInvestigation,
            timestamp: None,
        },
    ];
    VexDocument {
        id: "KEELSON-VEX-2026-0001".to_owned(),
        author: "Example Automotive PSIRT".to_owned(),
        author_namespace: Some("https://psirt.example.com".to_owned()),
        timestamp: datetime!(2026-11-01 12:00 UTC),
        last_updated: Some(datetime!(2026-11-03 08:30 UTC)),
        version: 2,
        tlp: Tlp::Green,
        statements,
    }
}

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(value).unwrap_or_default()
}

#[test]
fn openvex_output_validates_against_the_openvex_schema() {
    let Some(path) = keelson_testkit::corpus_path("openvex/spec/openvex_json_schema.json") else {
        return;
    };
    let schema: Value = match std::fs::read(&path).map(|b| serde_json::from_slice(&b)) {
        Ok(Ok(schema)) => schema,
        other => panic!("{}: {other:?}", path.display()),
    };
    let validator = match jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
    {
        Ok(validator) => validator,
        Err(error) => panic!("{error}"),
    };
    let document = to_openvex(&sample());
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(document["statements"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        document["statements"][0]["justification"],
        "vulnerable_code_not_in_execute_path"
    );
}

#[test]
fn cyclonedx_output_validates_against_the_1_5_and_1_6_schemas() {
    for version in [CycloneDxVersion::V1_5, CycloneDxVersion::V1_6] {
        let bom = to_cyclonedx(&sample(), version);
        let problems = keelson_sbom::validate(&bytes(&bom));
        assert!(problems.is_empty(), "{version:?}: {problems:#?}");
        let vulnerabilities = bom["vulnerabilities"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(vulnerabilities.len(), 4);
        assert_eq!(vulnerabilities[0]["analysis"]["state"], "not_affected");
        assert_eq!(vulnerabilities[1]["analysis"]["state"], "exploitable");
        // Every affected ref names a component of the same BOM.
        let refs: Vec<&str> = bom["components"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["bom-ref"].as_str())
            .collect();
        for affect in vulnerabilities
            .iter()
            .flat_map(|v| v["affects"].as_array().cloned().unwrap_or_default())
        {
            assert!(refs.contains(&affect["ref"].as_str().unwrap_or_default()));
        }
    }
}

#[test]
fn csaf_output_passes_keelsons_own_validator() {
    let document = match to_csaf(&sample()) {
        Ok(document) => document,
        Err(error) => panic!("{error}"),
    };
    let verdict = csaf::validate(&bytes(&document));
    assert!(verdict.errors.is_empty(), "{:#?}", verdict.errors);
    assert_eq!(document["document"]["category"], "csaf_vex");
    assert_eq!(
        document["document"]["distribution"]["tlp"]["label"],
        "GREEN"
    );
    let first = &document["vulnerabilities"][0];
    assert_eq!(first["cve"], "CVE-2023-5678");
    assert_eq!(
        first["flags"][0]["label"],
        "vulnerable_code_not_in_execute_path"
    );
    assert_eq!(
        first["product_status"]["known_not_affected"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[test]
fn csaf_needs_the_publisher_namespace() {
    let mut vex = sample();
    vex.author_namespace = None;
    assert!(to_csaf(&vex).is_err());
}

#[test]
fn amber_strict_is_never_written_as_a_laxer_csaf_label() {
    let mut vex = sample();
    vex.tlp = Tlp::AmberStrict;
    let document = to_csaf(&vex).unwrap_or_default();
    assert_eq!(document["document"]["distribution"]["tlp"]["label"], "RED");
}

fn oracle_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle")
}

/// Whether node and the installed validator package are present; missing is a failure
/// when the corpus is required (as in CI).
fn oracle_available() -> bool {
    let package = oracle_dir().join("node_modules/@secvisogram/csaf-validator-lib/package.json");
    let node = Command::new("node").arg("--version").output();
    if node.is_ok_and(|out| out.status.success()) && package.is_file() {
        return true;
    }
    let how = "node and `npm ci --prefix crates/keelson-exchange/tests/oracle`";
    assert!(
        !keelson_testkit::corpus_required(),
        "the CSAF reference validator needs {how}"
    );
    eprintln!("skipping: the CSAF reference validator needs {how}");
    false
}

#[test]
fn csaf_output_passes_the_reference_validator() {
    if !oracle_available() {
        return;
    }
    let document = match to_csaf(&sample()) {
        Ok(document) => document,
        Err(error) => panic!("{error}"),
    };
    let file = std::env::temp_dir().join(format!("keelson-vex-{}.json", std::process::id()));
    if let Err(error) = std::fs::write(&file, bytes(&document)) {
        panic!("{error}");
    }
    let output = Command::new("node")
        .current_dir(oracle_dir())
        .arg("csaf_validate.mjs")
        .arg(&file)
        .output();
    let _ = std::fs::remove_file(&file);
    let Ok(output) = output else {
        panic!("cannot run node")
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let Ok(result) = serde_json::from_str::<Value>(&stdout) else {
        panic!("{stdout}")
    };
    println!("reference validator: {stdout}");
    assert!(
        result["tests"].as_u64().unwrap_or(0) > 40,
        "schema and mandatory tests ran"
    );
    assert_eq!(result["errors"], Value::Array(Vec::new()), "{stdout}");
    assert_eq!(result["isValid"], true);
}
