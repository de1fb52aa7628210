//! `keelson quarantine replay` and `keelson retention run` as a user runs
//! them: a capture ingested with the wrong decoder is quarantined line by
//! line, replays once the right decoder is named, and its events then sit
//! under the keys a correct ingest gives them (a re-ingest stores nothing).

mod support;

use keelson_store::testing::TempDir;
use serde_json::json;
use support::{keelson, stderr, stdout_json, stdout_lines};

const CAPTURE: &str = "(1674148739.212264) can0 112#FF0015\n\
                       (1674148739.212487) can0 14A#FFF1000007FFF124\n\
                       (1674148739.212712) can0 1AB#800073\n";

fn run_json(data: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let output = keelson(data, args);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout_json(&output)
}

#[test]
fn records_quarantined_by_a_wrong_decoder_replay_under_their_file_keys() {
    let dir = TempDir::new().expect("dir");
    let file = dir.path.join("drive.log");
    std::fs::write(&file, CAPTURE).expect("capture");
    let path = file.to_str().expect("utf-8");

    let wrong = run_json(
        &dir.path,
        &[
            "ingest",
            "--json",
            "--format",
            "ndjson",
            "--vehicle",
            "veh-1",
            path,
        ],
    );
    assert_eq!(wrong["quarantined"], 3, "{wrong}");

    let still = run_json(&dir.path, &["quarantine", "replay"]);
    assert_eq!(
        still,
        json!({"replayed": 0, "accepted": 0, "duplicates": 0, "still_quarantined": 3})
    );
    let listed = stdout_lines(&keelson(&dir.path, &["quarantine", "list"]));
    assert!(
        listed[0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("replayed as ndjson")
    );

    let fixed = run_json(&dir.path, &["quarantine", "replay", "--format", "candump"]);
    assert_eq!(
        fixed,
        json!({"replayed": 3, "accepted": 3, "duplicates": 0, "still_quarantined": 0})
    );
    assert!(stdout_lines(&keelson(&dir.path, &["quarantine", "list"])).is_empty());

    let right = run_json(
        &dir.path,
        &[
            "ingest",
            "--json",
            "--format",
            "candump",
            "--vehicle",
            "veh-1",
            path,
        ],
    );
    assert_eq!(
        right,
        json!({"files": 1, "accepted": 0, "duplicates": 3, "quarantined": 0})
    );

    let again = run_json(&dir.path, &["quarantine", "replay", "--format", "candump"]);
    assert_eq!(again["replayed"], 0);
}

#[test]
fn retention_run_deletes_per_source_and_reports_counts() {
    let dir = TempDir::new().expect("dir");
    let file = dir.path.join("drive.log");
    std::fs::write(&file, CAPTURE).expect("capture");
    let config = dir.path.join("keelson.toml");
    // Zero days: everything received before now is past its period.
    std::fs::write(&config, "[retention]\ncan = 0\nids = 30\n").expect("config");
    let config = config.to_str().expect("utf-8");
    run_json(
        &dir.path,
        &["ingest", "--json", file.to_str().expect("utf-8")],
    );

    let counts = run_json(&dir.path, &["--config", config, "retention", "run"]);

    let sources = counts["sources"].as_array().expect("sources");
    let deleted: Vec<(String, u64)> = sources
        .iter()
        .map(|s| {
            (
                s["source"].as_str().unwrap_or_default().to_owned(),
                s["deleted"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(deleted, vec![("can".to_owned(), 3), ("ids".to_owned(), 0)]);
    let verified = run_json(&dir.path, &["audit", "verify"]);
    assert_eq!(verified["ok"], true);
}
