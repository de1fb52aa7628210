//! `keelson ingest` as a user runs it: totals on stdout, every record
//! either stored once or quarantined with its line and raw bytes, and the
//! real captures of the corpus counted against an independent line count.

mod support;

use std::path::Path;

use keelson_store::testing::TempDir;
use keelson_testkit::corpus_path;
use serde_json::json;
use support::{keelson, stderr, stdout_json, stdout_lines};

/// 1-based lines of [`write_events`]'s file that are malformed.
const MALFORMED: [u64; 3] = [2, 640, 999];

/// An NDJSON file of 1000 qualified security events, three of them broken.
fn write_events(path: &Path) {
    let lines: Vec<String> = (1..=1000u64)
        .map(|line| {
            if MALFORMED.contains(&line) {
                format!("{{\"source\": \"ids\", \"kind\": broken line {line}")
            } else {
                json!({
                    "vehicle_id": "veh-7",
                    "source": "ids",
                    "kind": "ids.qsev",
                    "attributes": {"sensor_id": 3, "event_id": line, "count": 1}
                })
                .to_string()
            }
        })
        .collect();
    std::fs::write(path, lines.join("\n") + "\n").expect("write events");
}

fn ingest_json(data: &Path, file: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["ingest", "--json", file.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    let output = keelson(data, &args);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout_json(&output)
}

#[test]
fn malformed_lines_are_quarantined_with_line_and_raw_bytes() {
    let dir = TempDir::new().expect("dir");
    let file = dir.path.join("events.ndjson");
    write_events(&file);

    let totals = ingest_json(&dir.path, &file, &[]);

    assert_eq!(
        totals,
        json!({"files": 1, "accepted": 997, "duplicates": 0, "quarantined": 3})
    );
    let listed = stdout_lines(&keelson(&dir.path, &["quarantine", "list"]));
    let mut found: Vec<(String, String)> = listed
        .iter()
        .map(|record| {
            let position = record["position"].as_str().expect("position").to_owned();
            (position, record["raw"].as_str().expect("raw").to_owned())
        })
        .collect();
    found.sort();
    let mut expected: Vec<(String, String)> = MALFORMED
        .iter()
        .map(|line| {
            let raw = format!("{{\"source\": \"ids\", \"kind\": broken line {line}");
            (format!("line {line}"), raw)
        })
        .collect();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn the_same_file_twice_is_stored_once() {
    let dir = TempDir::new().expect("dir");
    let file = dir.path.join("events.ndjson");
    write_events(&file);

    ingest_json(&dir.path, &file, &[]);
    let again = ingest_json(&dir.path, &file, &[]);

    assert_eq!(again["accepted"], 0);
    assert_eq!(again["duplicates"], 997);
    assert_eq!(
        again["quarantined"], 3,
        "the refused records are refused again"
    );
    let listed = stdout_lines(&keelson(&dir.path, &["quarantine", "list"]));
    assert_eq!(listed.len(), 3, "but each is kept once");
}

#[test]
fn unknown_formats_and_missing_files_are_usage_errors() {
    let dir = TempDir::new().expect("dir");
    let junk = dir.path.join("junk.bin");
    std::fs::write(&junk, [0u8, 1, 2, 3]).expect("write");

    let unknown = keelson(&dir.path, &["ingest", junk.to_str().expect("path")]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("--format"),
        "{}",
        stderr(&unknown)
    );

    let missing = keelson(&dir.path, &["ingest", "/no/such/file.log"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("/no/such/file.log"));

    let bad_name = keelson(
        &dir.path,
        &["ingest", "--format", "pcap", junk.to_str().expect("p")],
    );
    assert_eq!(bad_name.status.code(), Some(2));
}

/// Frames in a candump log: one per non-blank line (counted here without
/// Keelson's decoder).
fn candump_frames(path: &Path) -> u64 {
    let text = std::fs::read_to_string(path).expect("read capture");
    text.lines().filter(|line| !line.trim().is_empty()).count() as u64
}

#[test]
fn a_real_candump_capture_is_stored_frame_for_frame() {
    let relative = "can/eldominio-canbuslogs/civic-2019-type-r/turnonanddrive.first20000.log";
    let Some(capture) = corpus_path(relative) else {
        return;
    };
    let dir = TempDir::new().expect("dir");

    let totals = ingest_json(&dir.path, &capture, &["--vehicle", "civic-1"]);

    let frames = candump_frames(&capture);
    assert_eq!(
        totals,
        json!({"files": 1, "accepted": frames, "duplicates": 0, "quarantined": 0})
    );
}

/// One non-verbose DLT message (storage header, standard header without
/// extended header, message ID, then `data`), laid out by hand from the
/// AUTOSAR DLT protocol specification.
fn dlt_message(data: &[u8]) -> Vec<u8> {
    let mut bytes = b"DLT\x01".to_vec();
    bytes.extend(1_436_509_052u32.to_le_bytes());
    bytes.extend(249_713i32.to_le_bytes());
    bytes.extend(b"ECU1");
    let length = u16::try_from(4 + 4 + data.len()).expect("fits a DLT length");
    bytes.extend([0x20, 0]);
    bytes.extend(length.to_be_bytes());
    bytes.extend(7u32.to_le_bytes());
    bytes.extend(data);
    bytes
}

#[test]
fn a_decoded_record_over_the_limits_is_quarantined_and_a_bad_vehicle_refused() {
    let dir = TempDir::new().expect("dir");
    let capture = dir.path.join("big-payload.dlt");
    let mut bytes = dlt_message(b"short");
    bytes.extend(dlt_message(&[0xAB; 20_000]));
    std::fs::write(&capture, bytes).expect("write");
    let path = capture.to_str().expect("path");

    let totals = ingest_json(&dir.path, &capture, &["--vehicle", "v1", "--format", "dlt"]);
    let refused = keelson(&dir.path, &["ingest", path, "--vehicle", "bad\u{7}id"]);

    assert_eq!(
        totals,
        json!({"files": 1, "accepted": 1, "duplicates": 0, "quarantined": 1})
    );
    let listed = stdout_lines(&keelson(&dir.path, &["quarantine", "list"]));
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["position"], "record 2 (as decoded)");
    assert!(
        listed[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("attributes")),
        "{}",
        listed[0]
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("control characters"),
        "{}",
        stderr(&refused)
    );
}
