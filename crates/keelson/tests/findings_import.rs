//! `keelson findings import` as a user runs it: the corpus's real Trivy SARIF
//! report stored on a build once, and cases opened for its critical results.

mod support;

use std::collections::BTreeSet;

use keelson_core::{Marking, Tlp};
use keelson_store::fleet::SoftwareBuild;
use keelson_store::testing::TempDir;
use keelson_store::{Store, StoreLocation};
use serde_json::Value;
use support::{keelson, stderr, stdout_json};

const TRIVY: &str = "openvex/vexctl/examples/sarif/nginx-trivy.sarif.json";

fn add_build(dir: &std::path::Path) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = Store::open(&StoreLocation::DataDir(dir.to_owned()))
            .await
            .expect("store");
        let build = SoftwareBuild {
            id: "ivi-3.1.0".to_owned(),
            ecu: "ivi".to_owned(),
            firmware_version: "3.1.0".to_owned(),
            digest: None,
            marking: Marking::new(Tlp::Amber),
        };
        store.create_build("test", &build).await.expect("build");
        store.close().await.expect("close");
    });
}

/// The rule IDs of results whose rule's `security-severity` is high or critical
/// (7.0 or more, as CVSS rates it), read from the report apart from Keelson's reader.
fn severe_rules(report: &Value) -> BTreeSet<String> {
    let run = &report["runs"][0];
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let critical: BTreeSet<&str> = rules
        .iter()
        .filter(|r| {
            let score = r["properties"]["security-severity"].as_str().unwrap_or("0");
            score.parse::<f64>().unwrap_or(0.0) >= 7.0
        })
        .filter_map(|r| r["id"].as_str())
        .collect();
    run["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["ruleId"].as_str())
        .filter(|id| critical.contains(id))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_sarif_report_is_stored_once_and_opens_cases_for_its_severe_results() {
    let Some(path) = keelson_testkit::corpus_path(TRIVY) else {
        return;
    };
    let report: Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    let results = report["runs"][0]["results"].as_array().map_or(0, Vec::len);
    let data = TempDir::new().expect("dir");
    add_build(&data.path);
    let file = path.display().to_string();

    let args = [
        "findings",
        "import",
        &file,
        "--build",
        "ivi-3.1.0",
        "--open-cases",
        "high",
    ];
    let first = keelson(&data.path, &args);
    assert!(first.status.success(), "{}", stderr(&first));
    let line = stdout_json(&first);
    assert_eq!(line["stored"], results);
    let cases = line["cases"].as_array().map_or(0, Vec::len);
    assert_eq!(cases, severe_rules(&report).len());
    assert!(cases > 0, "the report has high results");

    let again = stdout_json(&keelson(&data.path, &args));
    assert_eq!(
        (again["stored"].clone(), again["duplicates"].clone()),
        (0.into(), results.into())
    );
    assert_eq!(again["cases"], serde_json::json!([]));

    let missing = keelson(
        &data.path,
        &["findings", "import", &file, "--build", "nope"],
    );
    assert_eq!(missing.status.code(), Some(2));
}
