//! `keelson tara import` as a user runs it: the counts on stdout, the same
//! file again changing nothing, and a bad file refused whole with each
//! line's file, number and reason.

mod support;

use keelson_store::testing::TempDir;
use support::{keelson, stderr, stdout_json, stdout_lines};

const TARA: &str = r#"{"kind": "tara", "id": "bcm-2", "title": "Body controller 2"}
{"kind": "asset", "id": "A-1", "name": "Door lock command"}
{"kind": "damage_scenario", "id": "DS-1", "description": "Doors unlock while driving", "assets": ["A-1"], "impacts": {"safety": "major", "financial": "moderate", "operational": "moderate", "privacy": "negligible"}}
{"kind": "threat_scenario", "id": "TS-1", "description": "Spoofed unlock frame on the body CAN", "damage_scenarios": ["DS-1"], "feasibility": "low", "risk_value": 2}
"#;

#[test]
fn tara_import_stores_once_and_refuses_a_bad_file_whole() {
    let dir = TempDir::new().expect("dir");
    let file = dir.path.join("bcm.tara.jsonl");
    std::fs::write(&file, TARA).expect("write");
    let path = file.to_string_lossy().into_owned();

    let output = keelson(&dir.path, &["tara", "import", &path]);
    assert!(output.status.success(), "{}", stderr(&output));
    let first = stdout_json(&output);
    assert_eq!(
        (&first["created"], &first["tara"]["id"]),
        (&serde_json::json!(3), &serde_json::json!("bcm-2"))
    );
    let output = keelson(&dir.path, &["tara", "import", &path]);
    assert_eq!(stdout_json(&output)["unchanged"], 3);

    let bad = TARA.replace("\"feasibility\": \"low\"", "\"feasibility\": \"likely\"");
    let bad_file = dir.path.join("bad.jsonl");
    std::fs::write(&bad_file, bad).expect("write");
    let bad_path = bad_file.to_string_lossy().into_owned();
    let output = keelson(&dir.path, &["tara", "import", &bad_path]);
    assert_eq!(output.status.code(), Some(2));
    let problems = stdout_lines(&output);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0]["file"], bad_path.as_str());
    assert_eq!(problems[0]["line"], 4);
    let reason = problems[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("likely"), "{reason}");
}
