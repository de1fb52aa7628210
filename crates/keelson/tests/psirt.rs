//! The PSIRT commands as a pipeline runs them: `sbom validate` on the
//! CycloneDX specification's own test files, `sbom import --build` onto a
//! build of the inventory, and `scan` against an OSV record of the corpus,
//! with the affected and fixed versions read from that record.

mod support;

use std::path::{Path, PathBuf};

use keelson_core::{Marking, Tlp};
use keelson_store::fleet::SoftwareBuild;
use keelson_store::testing::TempDir;
use keelson_store::{Store, StoreLocation};
use keelson_testkit::corpus_path;
use serde_json::{Value, json};
use support::{keelson, stderr, stdout_json};

const REQUESTS_RECORD: &str = "osv/osv-schema/tools/osv-linter/testdata/PYSEC-2023-74.json";

fn arg(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn spec_test_files_validate_as_their_names_say() {
    let (Some(valid), Some(invalid)) = (
        corpus_path("cyclonedx/spec-tests/1.6/valid-bom-1.6.json"),
        corpus_path("cyclonedx/spec-tests/1.6/invalid-bomformat-1.6.json"),
    ) else {
        return;
    };
    let dir = TempDir::new().expect("dir");

    let good = keelson(&dir.path, &["sbom", "validate", arg(&valid)]);
    assert_eq!(
        good.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&good.stdout)
    );
    assert_eq!(stdout_json(&good)["valid"], true);

    let bad = keelson(&dir.path, &["sbom", "validate", arg(&invalid)]);
    assert_eq!(bad.status.code(), Some(1));
    let report = stdout_json(&bad);
    assert_eq!(report["valid"], false);
    assert!(
        report["problems"]
            .as_array()
            .is_some_and(|problems| !problems.is_empty())
    );
}

/// The PyPI `requests` record: its last listed affected version and the
/// version its ECOSYSTEM range says is fixed.
fn requests_versions(record: &Path) -> (String, String) {
    let text = std::fs::read_to_string(record).expect("read record");
    let value: Value = serde_json::from_str(&text).expect("json");
    let affected = &value["affected"][0];
    let listed = affected["versions"]
        .as_array()
        .and_then(|list| list.last())
        .expect("versions");
    let ranges = affected["ranges"].as_array().expect("ranges");
    let ecosystem = ranges
        .iter()
        .find(|range| range["type"] == "ECOSYSTEM")
        .expect("range");
    let events = ecosystem["events"].as_array().expect("events");
    let fixed = events
        .iter()
        .find_map(|event| event["fixed"].as_str())
        .expect("fixed");
    (
        listed.as_str().expect("version").to_owned(),
        fixed.to_owned(),
    )
}

fn write_sbom(dir: &Path, versions: &[&str]) -> PathBuf {
    let components: Vec<Value> = versions
        .iter()
        .map(|version| {
            json!({"type": "library", "bom-ref": format!("requests-{version}"), "name": "requests",
                   "version": version, "purl": format!("pkg:pypi/requests@{version}")})
        })
        .collect();
    let sbom = json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                      "components": components});
    let path = dir.join("app.cdx.json");
    std::fs::write(&path, sbom.to_string()).expect("write sbom");
    path
}

#[test]
fn scan_finds_the_affected_version_with_evidence_and_not_the_fixed_one() {
    let Some(record) = corpus_path(REQUESTS_RECORD) else {
        return;
    };
    let (affected, fixed) = requests_versions(&record);
    let dir = TempDir::new().expect("dir");
    let sbom = write_sbom(&dir.path, &[&affected, &fixed]);
    let imported = keelson(&dir.path, &["vulndb", "import", arg(&record)]);
    assert!(imported.status.success(), "{}", stderr(&imported));

    let output = keelson(&dir.path, &["scan", arg(&sbom)]);
    assert!(output.status.success(), "{}", stderr(&output));
    let findings = stdout_json(&output)["findings"].clone();
    let findings = findings.as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{findings:?}");
    let finding = &findings[0];
    assert_eq!(finding["version"], affected.as_str());
    assert_eq!(finding["vulnerability"], "CVE-2023-32681");
    assert_eq!(finding["evidence"]["record"], "PYSEC-2023-74");
    assert_eq!(finding["evidence"]["method"], "purl");

    let gate = keelson(&dir.path, &["scan", arg(&sbom), "--fail-on", "critical"]);
    assert_eq!(
        gate.status.code(),
        Some(1),
        "an unscored finding must trip the gate"
    );
    let sarif = stdout_json(&keelson(
        &dir.path,
        &["scan", arg(&sbom), "--format", "sarif"],
    ));
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "CVE-2023-32681");

    let clean = write_sbom(&dir.path, &[&fixed]);
    let quiet = keelson(&dir.path, &["scan", arg(&clean), "--fail-on", "low"]);
    assert_eq!(quiet.status.code(), Some(0));
}

#[test]
fn an_sbom_attaches_to_an_existing_build_once() {
    let dir = TempDir::new().expect("dir");
    create_build(&dir.path, "tcu-4.2.0");
    let sbom = write_sbom(&dir.path, &["2.30.0", "2.31.0"]);

    let first = keelson(
        &dir.path,
        &["sbom", "import", arg(&sbom), "--build", "tcu-4.2.0"],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let summary = stdout_json(&first);
    assert_eq!(summary["components"], 2);
    assert_eq!(summary["format"], "CycloneDX 1.6 JSON");
    assert_eq!(summary["already_attached"], false);

    let again = keelson(
        &dir.path,
        &["sbom", "import", arg(&sbom), "--build", "tcu-4.2.0"],
    );
    assert_eq!(stdout_json(&again)["already_attached"], true);

    let unknown = keelson(
        &dir.path,
        &["sbom", "import", arg(&sbom), "--build", "nope"],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("nope"), "{}", stderr(&unknown));
}

fn create_build(data_dir: &Path, id: &str) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = Store::open(&StoreLocation::DataDir(data_dir.to_path_buf()))
            .await
            .expect("store");
        let build = SoftwareBuild {
            id: id.to_owned(),
            ecu: "tcu".to_owned(),
            firmware_version: "4.2.0".to_owned(),
            digest: None,
            marking: Marking::new(Tlp::Amber),
        };
        store.create_build("test", &build).await.expect("build");
        store.close().await.expect("close");
    });
}

const HBOM: &str = "cyclonedx/bom-examples/HBOM/PCIe-SATA-adapter-board/bom.json";

/// The devices of the HBOM example whose raw `supplier.name` is `supplier`.
fn hbom_devices_of(hbom: &Path, supplier: &str) -> Vec<String> {
    let raw: Value = serde_json::from_slice(&std::fs::read(hbom).expect("read")).expect("json");
    raw["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|component| component["supplier"]["name"] == supplier)
        .filter_map(|component| component["bom-ref"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn the_supplier_register_flags_a_prohibited_country_in_scan_output() {
    let Some(hbom) = corpus_path(HBOM) else {
        return;
    };
    let dir = TempDir::new().expect("dir");
    let register = dir.path.join("suppliers.csv");
    std::fs::write(
        &register,
        "name,country,aliases\nSamtec,US,\nMolex,US,\n3M,US,\nMulticomp,GB,\nTE Connectivity,CH,TE\n",
    )
    .expect("write register");
    let bad_register = dir.path.join("bad.csv");
    std::fs::write(&bad_register, "name,country\nSamtec,US\nMolex,Atlantis\n").expect("write");

    let imported = keelson(&dir.path, &["suppliers", "import", arg(&register)]);
    let refused = keelson(&dir.path, &["suppliers", "import", arg(&bad_register)]);
    let scanned = keelson(
        &dir.path,
        &[
            "scan",
            arg(&hbom),
            "--prohibited-countries",
            "CH",
            "--fail-on-origin",
        ],
    );
    let sarif = keelson(
        &dir.path,
        &[
            "scan",
            arg(&hbom),
            "--prohibited-countries",
            "CH",
            "--format",
            "sarif",
        ],
    );
    let elsewhere = keelson(
        &dir.path,
        &[
            "scan",
            arg(&hbom),
            "--prohibited-countries",
            "CN",
            "--fail-on-origin",
        ],
    );

    assert!(imported.status.success(), "{}", stderr(&imported));
    assert_eq!(stdout_json(&imported)["change"]["added"], 5);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains(":3:"), "{}", stderr(&refused));
    assert_eq!(scanned.status.code(), Some(1), "{}", stderr(&scanned));
    let flagged: Vec<String> = stdout_json(&scanned)["origin"]["prohibited"]
        .as_array()
        .expect("prohibited")
        .iter()
        .filter_map(|violation| violation["component"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(flagged, hbom_devices_of(&hbom, "TE Connectivity"));
    let results = stdout_json(&sarif)["runs"][0]["results"].clone();
    let origin_results = results
        .as_array()
        .expect("results")
        .iter()
        .filter(|result| result["ruleId"] == "prohibited-supplier-country")
        .count();
    assert_eq!(origin_results, flagged.len());
    assert_eq!(elsewhere.status.code(), Some(0));
    assert_eq!(stdout_json(&elsewhere)["origin"]["prohibited"], json!([]));
}
