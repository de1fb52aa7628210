//! OpenVEX read into statements (the real OpenVEX documents of the corpus), and
//! statements applied to findings: only the exact product and vulnerability named.

use std::path::Path;

use keelson_exchange::vex::{Finding, FindingStatus, Status, apply, parse_openvex, to_openvex};
use keelson_vulndb::Purl;
use serde_json::Value;

const DOCUMENTS: &[&str] = &[
    "openvex/vexctl/examples/openvex/demo.vex.json",
    "openvex/vexctl/examples/openvex/document1.vex.json",
    "openvex/vexctl/examples/openvex/document2.vex.json",
    "openvex/vexctl/examples/csaf/openvex.json",
    "openvex/vexctl/examples/sarif/sample-1statement.openvex.json",
    "openvex/vexctl/examples/sarif/sample-2vulns.openvex.json",
    "openvex/vexctl/examples/sarif/sample-history.openvex.json",
    "openvex/go-vex/pkg/vex/testdata/v0.2.0.json",
    "openvex/go-vex/pkg/vex/testdata/v0.0.1.json",
    "openvex/go-vex/pkg/csaf/testdata/openvex.json",
];

fn read(path: &Path) -> Vec<u8> {
    match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => panic!("{}: {error}", path.display()),
    }
}

fn purl(text: &str) -> Purl {
    match text.parse() {
        Ok(purl) => purl,
        Err(error) => panic!("{text}: {error}"),
    }
}

/// Statements and products counted on the raw JSON, apart from the reader.
fn raw_counts(bytes: &[u8]) -> (usize, usize) {
    let value: Value = serde_json::from_slice(bytes).unwrap_or_default();
    let statements = value["statements"].as_array().cloned().unwrap_or_default();
    let products = statements
        .iter()
        .map(|s| s["products"].as_array().map_or(0, Vec::len))
        .sum();
    (statements.len(), products)
}

#[test]
fn every_openvex_document_of_the_corpus_reads_with_every_statement() {
    let Some(corpus) = keelson_testkit::corpus() else {
        return;
    };
    for relative in DOCUMENTS {
        let bytes = read(&corpus.join(relative));
        let document = match parse_openvex(&bytes) {
            Ok(document) => document,
            Err(error) => panic!("{relative}: {error}"),
        };
        let (statements, products) = raw_counts(&bytes);
        let read_products: usize = document.statements.iter().map(|s| s.products.len()).sum();
        println!("{relative}: {statements} statements, {products} products");
        assert_eq!(document.statements.len(), statements, "{relative}");
        assert_eq!(read_products, products, "{relative}");
        assert!(statements > 0, "{relative}");
    }
}

#[test]
fn a_supplier_not_affected_statement_changes_only_its_product_and_vulnerability() {
    let Some(path) = keelson_testkit::corpus_path(
        "openvex/vexctl/examples/sarif/sample-1statement.openvex.json",
    ) else {
        return;
    };
    let document = match parse_openvex(&read(&path)) {
        Ok(document) => document,
        Err(error) => panic!("{error}"),
    };
    let image =
        "pkg:oci/nginx@sha256%3A13d22ec63300e16014d4a42aed735207a8b33c223cff19627dd3042e5a10a3a0";
    let other_image =
        "pkg:oci/nginx@sha256%3A0000000000000000000000000000000000000000000000000000000000000000";
    let finding = |product: &str, vulnerability: &str| Finding {
        product: purl(product),
        vulnerability: vulnerability.to_owned(),
        status: FindingStatus::Open,
    };
    let mut findings = vec![
        finding(image, "CVE-2023-27103"),
        finding(other_image, "CVE-2023-27103"),
        finding(image, "CVE-2023-0001"),
        finding(image, "SNYK-DEBIAN12-LIBDE265-3361563"),
    ];
    let changed = apply(&document.statements, &mut findings);
    let statuses: Vec<FindingStatus> = findings.iter().map(|f| f.status).collect();
    assert_eq!(
        statuses,
        [
            FindingStatus::NotAffected,
            FindingStatus::Open,
            FindingStatus::Open,
            FindingStatus::NotAffected, // the statement lists this ID as an alias
        ]
    );
    assert_eq!(changed, 2);
}

#[test]
fn plus_and_percent_2b_in_a_purl_version_are_the_same_product() {
    let text = br#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"urn:x:1","author":"s",
        "timestamp":"2026-11-01T00:00:00Z","version":1,"statements":[{
        "vulnerability":{"name":"CVE-2024-0727"},
        "products":[{"@id":"pkg:deb/debian/openssl@3.0.11-1+deb12u2?arch=amd64"}],
        "status":"affected","action_statement":"update"}]}"#;
    let document = match parse_openvex(text) {
        Ok(document) => document,
        Err(error) => panic!("{error}"),
    };
    let mut findings = vec![Finding {
        product: purl("pkg:deb/debian/openssl@3.0.11-1%2Bdeb12u2?arch=amd64"),
        vulnerability: "CVE-2024-0727".to_owned(),
        status: FindingStatus::Open,
    }];
    assert_eq!(apply(&document.statements, &mut findings), 1);
    assert_eq!(findings[0].status, FindingStatus::Affected);
}

#[test]
fn openvex_written_by_keelson_reads_back_to_the_same_statements() {
    let Some(path) =
        keelson_testkit::corpus_path("openvex/vexctl/examples/sarif/sample-2vulns.openvex.json")
    else {
        return;
    };
    let Ok(original) = parse_openvex(&read(&path)) else {
        panic!("cannot read the sample")
    };
    let written = serde_json::to_vec(&to_openvex(&original)).unwrap_or_default();
    let Ok(again) = parse_openvex(&written) else {
        panic!("cannot read Keelson's own output")
    };
    assert_eq!(again, original);
    assert!(matches!(
        again.statements[0].status,
        Status::NotAffected { .. }
    ));
}

#[test]
fn a_product_that_is_not_a_purl_is_an_error_not_a_wider_statement() {
    let text = br#"{"@id":"urn:x:1","author":"s","timestamp":"2026-11-01T00:00:00Z",
        "statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"nginx"}],
        "status":"fixed"}]}"#;
    let error = parse_openvex(text)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.starts_with("/statements/0/products/0:"), "{error}");
}
