//! CAN baselines through the command line: learn from the clean capture of
//! the DAGA vehicle only, then score its attack captures with `eval` and
//! list alerts with `detect --profile`. Attack frame counts are read from
//! the captures' own ANOMALY column here, not from Keelson's decoder.

mod support;

use std::path::{Path, PathBuf};

use keelson_store::testing::TempDir;
use keelson_testkit::corpus_path;
use serde_json::Value;
use support::{keelson, stderr, stdout_json, stdout_lines};

const DAGA: &str = "can/labelled/secloud-acs-daga";

fn daga(file: &str) -> Option<PathBuf> {
    corpus_path(&format!("{DAGA}/{file}"))
}

/// Rows whose last CSV field says `True` (the dataset's attack label).
fn labelled_attacks(path: &Path) -> u64 {
    let text = std::fs::read_to_string(path).expect("read capture");
    let rows = text.lines().skip(1);
    rows.filter(|row| row.rsplit(',').next() == Some("True"))
        .count() as u64
}

fn learn(dir: &Path, clean: &Path) -> PathBuf {
    let profile = dir.join("v40.json");
    let output = keelson(
        dir,
        &[
            "baseline",
            "learn",
            clean.to_str().expect("p"),
            "--model",
            "v40",
            "-o",
            profile.to_str().expect("p"),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let summary = stdout_json(&output);
    assert_eq!(summary["frames"], 19_000, "{summary}");
    profile
}

#[test]
fn denial_of_service_is_found_frame_for_frame() {
    let (Some(clean), Some(attack)) = (
        daga("clean_V40_03.lines2-19001.csv"),
        daga("DenialOfService_lowestID_V40_03.lines66360-77859.csv"),
    ) else {
        return;
    };
    let dir = TempDir::new().expect("dir");
    let profile = learn(&dir.path, &clean);

    let output = keelson(
        &dir.path,
        &[
            "eval",
            attack.to_str().expect("p"),
            "--profile",
            profile.to_str().expect("p"),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let report = stdout_json(&output);

    let attacks = labelled_attacks(&attack);
    assert_eq!(report["attack_frames"], attacks);
    let tp = report["tp"].as_u64().expect("tp");
    assert_eq!(tp + report["fn"].as_u64().expect("fn"), attacks);
    assert!(
        report["precision"].as_f64().is_some_and(|p| p >= 0.99),
        "{report}"
    );
    assert!(
        report["recall"].as_f64().is_some_and(|r| r >= 0.98),
        "{report}"
    );

    let alerts = stdout_lines(&keelson(
        &dir.path,
        &[
            "detect",
            attack.to_str().expect("p"),
            "--profile",
            profile.to_str().expect("p"),
        ],
    ));
    assert!(
        alerts.len() as u64 >= tp,
        "{} alerts for {tp} detected frames",
        alerts.len()
    );
    assert!(
        alerts
            .iter()
            .all(|alert| alert["type"] == "can" && alert["check"].is_string())
    );
}

#[test]
fn the_clean_capture_raises_nothing_against_its_own_profile() {
    let Some(clean) = daga("clean_V40_03.lines2-19001.csv") else {
        return;
    };
    let dir = TempDir::new().expect("dir");
    let profile = learn(&dir.path, &clean);

    let output = keelson(
        &dir.path,
        &[
            "detect",
            clean.to_str().expect("p"),
            "--profile",
            profile.to_str().expect("p"),
        ],
    );

    assert!(output.status.success(), "{}", stderr(&output));
    let alerts: Vec<Value> = stdout_lines(&output);
    assert!(alerts.is_empty(), "{:?}", &alerts[..alerts.len().min(3)]);
}

#[test]
fn event_files_are_refused_as_baseline_input() {
    let dir = TempDir::new().expect("dir");
    let events = dir.path.join("events.ndjson");
    std::fs::write(&events, "{\"source\":\"ids\",\"kind\":\"ids.qsev\"}\n").expect("write");
    let output = keelson(
        &dir.path,
        &[
            "baseline",
            "learn",
            events.to_str().expect("p"),
            "--model",
            "m",
            "-o",
            "/dev/null",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not CAN frames"),
        "{}",
        stderr(&output)
    );
}
