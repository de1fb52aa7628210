//! `keelson intel import` and `keelson intel export` as a user runs them: counts
//! per type on stdout (the same file again stores nothing), exit 2 with the JSON
//! pointer for a malformed bundle, and an export for a partner that carries only
//! what the partner may receive, byte for byte the same when run again.

mod support;

use keelson_store::testing::TempDir;
use serde_json::{Value, json};
use support::{keelson, stderr, stdout_json, stdout_lines};

fn sample() -> std::path::PathBuf {
    keelson_testkit::repo_root().join("crates/keelson-server/tests/data/atm_sample.stix.json")
}

#[test]
fn import_counts_per_type_and_a_second_import_stores_nothing() {
    let dir = TempDir::new().expect("temp dir");
    let sample = sample();
    let args = [
        "intel",
        "import",
        sample.to_str().expect("path"),
        "--tlp",
        "GREEN",
    ];
    let first = keelson(dir.path.as_path(), &args);
    assert!(first.status.success(), "{}", stderr(&first));
    let lines = stdout_lines(&first);
    assert_eq!(lines.len(), 1);
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(&sample).expect("sample")).expect("json");
    let in_file = bundle["objects"]
        .as_array()
        .map(Vec::len)
        .unwrap_or_default() as u64;
    let counted: u64 = lines[0]["objects"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, n)| n.as_u64())
        .sum();
    assert_eq!(counted, in_file);
    assert_eq!(lines[0]["stored"]["attack-pattern"], 2);
    assert_eq!(lines[0]["not_kept"], json!({"course-of-action": 1}));

    let again = keelson(dir.path.as_path(), &args);
    let line = &stdout_lines(&again)[0];
    assert_eq!(line["stored"], json!({}), "{line}");
    assert_eq!(line["unchanged"]["attack-pattern"], 2);
}

#[test]
fn a_malformed_bundle_exits_2_naming_the_pointer() {
    let dir = TempDir::new().expect("temp dir");
    let file = dir.path.as_path().join("broken.json");
    let broken = json!({"type": "bundle", "id": "bundle--2f9c6d7e-5b1a-4c3d-8e2f-7a6b5c4d3e21",
        "objects": [{"type": "attack-pattern", "spec_version": "2.1",
            "id": "attack-pattern--5a0f3c1e-8d2b-4e6a-9c7f-1b2d3e4f5a61",
            "created": "2026-11-02T09:00:00.000Z", "modified": "2026-11-02T09:00:00.000Z",
            "name": "x", "kill_chain_phases": [{"kill_chain_name": "atm"}]}]});
    std::fs::write(&file, broken.to_string()).expect("write");
    let output = keelson(
        dir.path.as_path(),
        &["intel", "import", file.to_str().expect("path")],
    );
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("/objects/0/kill_chain_phases/0/phase_name"),
        "{message}"
    );
}

#[test]
fn a_partner_export_carries_only_what_it_may_receive_and_is_stable() {
    let dir = TempDir::new().expect("temp dir");
    let sample = sample();
    let import = keelson(
        dir.path.as_path(),
        &["intel", "import", sample.to_str().expect("path")],
    );
    assert!(import.status.success(), "{}", stderr(&import));

    let out = dir.path.as_path().join("acme.json");
    let args = [
        "intel",
        "export",
        "--format",
        "stix",
        "--partner",
        "acme",
        "-o",
    ];
    let first = keelson(
        dir.path.as_path(),
        &[&args[..], &[out.to_str().expect("path")]].concat(),
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let written = std::fs::read(&out).expect("export");
    let bundle: Value = serde_json::from_slice(&written).expect("json");
    let ids: Vec<&str> = bundle["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["id"].as_str())
        .collect();
    // CLEAR techniques go; the AMBER indicator shared with no one and its link stay.
    assert!(ids.contains(&"attack-pattern--5a0f3c1e-8d2b-4e6a-9c7f-1b2d3e4f5a61"));
    assert!(!ids.contains(&"indicator--7c2f5e3a-0f4d-4a8c-9e9b-3d4f5a6b7c83"));
    assert!(!ids.contains(&"relationship--8d3a6f4b-1a5e-4b9d-8f0c-4e5a6b7c8d94"));

    let stdout = keelson(
        dir.path.as_path(),
        &["intel", "export", "--partner", "acme"],
    );
    assert_eq!(
        stdout_json(&stdout),
        bundle,
        "a re-export is the same bundle"
    );
    if let Some(verdict) = keelson_testkit::stix_validator_verdict(&written, "103") {
        let verdict: Value = serde_json::from_str(&verdict).expect("verdict");
        assert_eq!(verdict["valid"], true, "{verdict}");
    }
}
