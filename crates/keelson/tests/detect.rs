//! The vehicle use cases shipped in `rules/vehicle`, run through
//! `keelson detect` on event streams built here: each rule fires on its
//! attack pattern and stays quiet on the nearest benign pattern. Thresholds
//! come from the rule texts (five rejected keys, twenty vehicles, ten
//! failures), so each negative case sits one step below them.

mod support;

use std::path::{Path, PathBuf};

use keelson_store::testing::TempDir;
use serde_json::{Value, json};
use sha2::Digest;
use support::{keelson, stderr, stdout_lines};

const UDS_BRUTE_FORCE: &str = "6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f02";
const SESSION_WHILE_MOVING: &str = "6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f03";
const ODOMETER_ROLLBACK: &str = "6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f04";
const KEY_FOB_RELAY: &str = "6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f05";
const COMMAND_FAN_OUT: &str = "6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f07";
const SECOC_BURST: &str = "6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f09";
const LOGIN_BRUTE_FORCE: &str = "6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f11";

fn shipped_rules() -> PathBuf {
    keelson_testkit::repo_root().join("rules")
}

/// An event `seconds` after 2026-06-01T08:00:00Z.
fn event(vehicle: &str, source: &str, kind: &str, seconds: u32, attributes: Value) -> Value {
    let at = format!("2026-06-01T08:{:02}:{:02}Z", seconds / 60, seconds % 60);
    json!({"vehicle_id": vehicle, "ecu": "gateway", "source": source, "kind": kind,
           "vehicle_time": at, "attributes": attributes})
}

/// Runs the shipped rules over `events`; returns (rule id, vehicle) per alert.
fn alerts(events: &[Value]) -> Vec<(String, Option<String>)> {
    let dir = TempDir::new().expect("dir");
    let file = dir.path.join("events.ndjson");
    let text: Vec<String> = events.iter().map(Value::to_string).collect();
    std::fs::write(&file, text.join("\n")).expect("write events");
    let output = detect(&dir.path, &file, &shipped_rules());
    assert!(output.status.success(), "{}", stderr(&output));
    stdout_lines(&output)
        .iter()
        .map(|alert| {
            let rule = alert["rule_id"].as_str().expect("rule_id").to_owned();
            (rule, alert["vehicle_id"].as_str().map(str::to_owned))
        })
        .collect()
}

fn detect(data: &Path, file: &Path, rules: &Path) -> std::process::Output {
    let rules = rules.to_str().expect("utf-8");
    keelson(
        data,
        &["detect", file.to_str().expect("utf-8"), "--rules", rules],
    )
}

fn fired(alerts: &[(String, Option<String>)], rule: &str, vehicle: &str) -> bool {
    alerts
        .iter()
        .any(|(id, on)| id == rule && on.as_deref() == Some(vehicle))
}

fn rejected_key(vehicle: &str, seconds: u32) -> Value {
    event(
        vehicle,
        "uds",
        "uds.negative_response",
        seconds,
        json!({"service": 39, "nrc": 53}),
    )
}

#[test]
fn shipped_rules_all_validate() {
    let dir = TempDir::new().expect("dir");
    let output = keelson(
        &dir.path,
        &["rules", "validate", shipped_rules().to_str().expect("p")],
    );
    let reports = stdout_lines(&output);
    assert!(output.status.success(), "{reports:?}");
    assert!(reports.len() >= 11, "{reports:?}");
    assert!(
        reports.iter().all(|report| report["status"] == "ok"),
        "{reports:?}"
    );
}

#[test]
fn five_rejected_keys_in_ten_minutes_is_a_brute_force() {
    let mut events: Vec<Value> = (0..5).map(|i| rejected_key("veh-a", i * 50)).collect();
    events.extend((0..4).map(|i| rejected_key("veh-b", i * 50)));

    let found = alerts(&events);

    assert!(fired(&found, UDS_BRUTE_FORCE, "veh-a"), "{found:?}");
    assert!(!fired(&found, UDS_BRUTE_FORCE, "veh-b"), "{found:?}");
}

#[test]
fn programming_session_fires_only_when_moving() {
    let request = |vehicle, speed| {
        let attributes = json!({"service": 16, "sub_function": 2, "vehicle_speed_kmh": speed});
        event(vehicle, "uds", "uds.request", 1, attributes)
    };

    let found = alerts(&[request("parked", 0), request("driving", 62)]);

    assert!(fired(&found, SESSION_WHILE_MOVING, "driving"), "{found:?}");
    assert!(!fired(&found, SESSION_WHILE_MOVING, "parked"), "{found:?}");
}

#[test]
fn a_falling_odometer_is_a_rollback() {
    let report = |vehicle, delta| {
        event(
            vehicle,
            "telematics",
            "telematics.odometer",
            1,
            json!({"odometer_delta_km": delta}),
        )
    };

    let found = alerts(&[report("rolled", -12_000), report("honest", 35)]);

    assert!(fired(&found, ODOMETER_ROLLBACK, "rolled"), "{found:?}");
    assert!(!fired(&found, ODOMETER_ROLLBACK, "honest"), "{found:?}");
}

#[test]
fn unlock_without_the_key_or_far_away_is_a_relay() {
    let access = |vehicle, kind, near, distance| {
        let attributes =
            json!({"key_in_proximity": near, "distance_from_last_position_m": distance});
        event(vehicle, "telematics", kind, 1, attributes)
    };

    let found = alerts(&[
        access("owner", "telematics.unlock", true, 12),
        access("no-key", "telematics.unlock", false, 12),
        access("moved", "telematics.ignition", true, 5_000),
    ]);

    assert!(!fired(&found, KEY_FOB_RELAY, "owner"), "{found:?}");
    assert!(fired(&found, KEY_FOB_RELAY, "no-key"), "{found:?}");
    assert!(fired(&found, KEY_FOB_RELAY, "moved"), "{found:?}");
}

#[test]
fn commands_to_twenty_vehicles_from_one_account_is_a_fan_out() {
    let command = |user: &str, vehicle: u32| {
        let attributes = json!({"user": user, "command": "unlock"});
        event(
            &format!("veh-{vehicle}"),
            "backend",
            "backend.remote_command",
            vehicle,
            attributes,
        )
    };
    let mut events: Vec<Value> = (0..20).map(|vehicle| command("ops-7", vehicle)).collect();
    events.extend((100..119).map(|vehicle| command("ops-8", vehicle)));

    let dir = TempDir::new().expect("dir");
    let file = dir.path.join("events.ndjson");
    let text: Vec<String> = events.iter().map(Value::to_string).collect();
    std::fs::write(&file, text.join("\n")).expect("write");
    let output = detect(&dir.path, &file, &shipped_rules());
    let fan_outs: Vec<Value> = stdout_lines(&output)
        .into_iter()
        .filter(|alert| alert["rule_id"] == COMMAND_FAN_OUT)
        .collect();

    assert_eq!(fan_outs.len(), 1, "{fan_outs:?}");
    assert_eq!(fan_outs[0]["evidence"].as_array().map(Vec::len), Some(20));
}

#[test]
fn ten_secoc_failures_in_a_minute_is_a_burst() {
    let failure = |vehicle, seconds| {
        event(
            vehicle,
            "ids",
            "ids.secoc_verification_failed",
            seconds,
            json!({}),
        )
    };
    let mut events: Vec<Value> = (0..10).map(|i| failure("forged", i * 5)).collect();
    events.extend((0..9).map(|i| failure("glitch", i * 5)));

    let found = alerts(&events);

    assert!(fired(&found, SECOC_BURST, "forged"), "{found:?}");
    assert!(!fired(&found, SECOC_BURST, "glitch"), "{found:?}");
}

#[test]
fn ten_failed_telematics_logins_is_a_brute_force() {
    let login = |vehicle, status, seconds| {
        event(
            vehicle,
            "telematics",
            "telematics.login",
            seconds,
            json!({"status": status}),
        )
    };
    let mut events: Vec<Value> = (0..10)
        .map(|i| login("attacked", "failed", i * 20))
        .collect();
    events.extend((0..10).map(|i| login("busy", "ok", i * 20)));

    let found = alerts(&events);

    assert!(fired(&found, LOGIN_BRUTE_FORCE, "attacked"), "{found:?}");
    assert!(!fired(&found, LOGIN_BRUTE_FORCE, "busy"), "{found:?}");
}

#[test]
fn a_malformed_rule_file_is_named_and_the_other_rules_keep_working() {
    let dir = TempDir::new().expect("dir");
    let rules = dir.path.join("rules");
    std::fs::create_dir(&rules).expect("mkdir");
    let good = std::fs::read_to_string(shipped_rules().join("vehicle/odometer_rollback.yml"))
        .expect("shipped rule");
    std::fs::write(rules.join("good.yml"), good).expect("write");
    std::fs::write(
        rules.join("broken.yml"),
        "title: x\ndetection:\n  sel: [unclosed\n",
    )
    .expect("write");

    let validate = keelson(
        &dir.path,
        &["rules", "validate", rules.to_str().expect("p")],
    );
    let reports = stdout_lines(&validate);
    assert_eq!(validate.status.code(), Some(1));
    let broken = reports
        .iter()
        .find(|r| r["source"] == "broken.yml")
        .expect("broken reported");
    assert_eq!(broken["status"], "error");
    assert!(
        broken["line"].as_u64().is_some_and(|line| line >= 1),
        "{broken}"
    );
    assert!(
        broken["reason"]
            .as_str()
            .is_some_and(|reason| !reason.is_empty())
    );

    let file = dir.path.join("events.ndjson");
    let rollback = event(
        "rolled",
        "telematics",
        "telematics.odometer",
        1,
        json!({"odometer_delta_km": -5}),
    );
    std::fs::write(&file, rollback.to_string()).expect("write");
    let output = detect(&dir.path, &file, &rules);
    assert!(output.status.success());
    let found = stdout_lines(&output);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        stderr(&output).contains("broken.yml"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn importing_the_shipped_rules_twice_stores_each_once_and_ingest_alerts_with_them() {
    let dir = TempDir::new().expect("dir");
    let rules = shipped_rules();
    let rules = rules.to_str().expect("utf-8");
    let first = keelson(&dir.path, &["rules", "import", rules]);
    assert!(first.status.success(), "{}", stderr(&first));
    let lines = stdout_lines(&first);
    let files = std::fs::read_dir(shipped_rules().join("vehicle"))
        .expect("shipped rules")
        .count();
    assert_eq!(lines.len(), files);
    assert!(
        lines.iter().all(|line| line["outcome"] == "created"),
        "{lines:?}"
    );
    let uds = lines
        .iter()
        .find(|line| line["file"] == "vehicle/uds_security_access_brute_force.yml")
        .expect("uds rule imported");
    assert_eq!(uds["rule"], UDS_BRUTE_FORCE);

    let again = keelson(&dir.path, &["rules", "import", rules]);
    let lines = stdout_lines(&again);
    assert!(
        lines.iter().all(|line| line["outcome"] == "unchanged"),
        "{lines:?}"
    );

    // The shipped rules say `status: test`, so they fire as test rules on ingest.
    let file = dir.path.join("events.ndjson");
    let events: Vec<String> = (0..5)
        .map(|i| rejected_key("veh-9", i * 10).to_string())
        .collect();
    std::fs::write(&file, events.join("\n")).expect("write events");
    let ingest = keelson(
        &dir.path,
        &["ingest", file.to_str().expect("utf-8"), "--json"],
    );
    assert!(ingest.status.success(), "{}", stderr(&ingest));
    assert_eq!(support::stdout_json(&ingest)["accepted"], 5);

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let alerts = runtime.block_on(async {
        let location = keelson_store::StoreLocation::DataDir(dir.path.clone());
        let store = keelson_store::Store::open(&location).await.expect("store");
        let filter = keelson_store::alerts::AlertFilter::default();
        store.list_alerts(&filter).await.expect("alerts")
    });
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].rule_id, UDS_BRUTE_FORCE);
    assert!(
        alerts[0].test,
        "a rule imported from `status: test` raises test alerts"
    );
    assert_eq!(alerts[0].evidence.len(), 5);
}

#[test]
fn incidents_form_from_the_alerts_of_active_rules_and_read_back_through_the_cli() {
    let dir = TempDir::new().expect("dir");
    let rules = dir.path.join("rules");
    std::fs::create_dir(&rules).expect("rules dir");
    let shipped = std::fs::read_to_string(
        shipped_rules().join("vehicle/uds_security_access_brute_force.yml"),
    )
    .expect("shipped rule");
    assert!(
        shipped.contains("status: test"),
        "the shipped rule's status changed"
    );
    let stable = shipped.replace("status: test", "status: stable");
    std::fs::write(rules.join("uds.yml"), stable).expect("write rule");
    let import = keelson(
        &dir.path,
        &["rules", "import", rules.to_str().expect("utf-8")],
    );
    assert!(import.status.success(), "{}", stderr(&import));
    let file = dir.path.join("events.ndjson");
    let events: Vec<String> = ["veh-1", "veh-2"]
        .iter()
        .flat_map(|vehicle| (0..5).map(move |i| rejected_key(vehicle, i * 10).to_string()))
        .collect();
    std::fs::write(&file, events.join("\n")).expect("write events");
    let ingest = keelson(
        &dir.path,
        &["ingest", file.to_str().expect("utf-8"), "--json"],
    );
    assert!(ingest.status.success(), "{}", stderr(&ingest));

    let list = keelson(&dir.path, &["incidents", "list", "--state", "new"]);
    assert!(list.status.success(), "{}", stderr(&list));
    let incidents = stdout_lines(&list);
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0]["sigma_rule"], UDS_BRUTE_FORCE);
    let id = incidents[0]["id"].as_str().expect("id");
    let show = keelson(&dir.path, &["incidents", "show", id]);
    assert!(show.status.success(), "{}", stderr(&show));
    let detail = support::stdout_json(&show);
    assert_eq!(detail["vehicles_affected"], 2, "{detail}");
    assert_eq!(detail["alerts"].as_array().map(Vec::len), Some(2));
    assert_eq!(detail["allowed_transitions"][0], "acknowledged");

    let resolved = keelson(&dir.path, &["incidents", "list", "--state", "resolved"]);
    assert!(stdout_lines(&resolved).is_empty());
    let missing = keelson(&dir.path, &["incidents", "show", "no-such-incident"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("incident no-such-incident not found"),
        "{}",
        stderr(&missing)
    );
    let bad_state = keelson(&dir.path, &["incidents", "list", "--state", "escalated"]);
    assert_eq!(bad_state.status.code(), Some(2));
    assert!(
        stderr(&bad_state).contains("escalated"),
        "{}",
        stderr(&bad_state)
    );

    evidence_package_verifies_and_a_changed_byte_names_its_file(&dir.path, id);
}

/// The byte offset of the first `needle` in `haystack`.
fn first_offset(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
        .unwrap_or_else(|| panic!("{:?} not found", String::from_utf8_lossy(needle)))
}

fn evidence_package_verifies_and_a_changed_byte_names_its_file(data: &Path, incident: &str) {
    let package = data.join("incident.zip");
    let path = package.to_str().expect("utf-8");
    let export = keelson(data, &["incident", "export", incident, "-o", path]);
    assert!(export.status.success(), "{}", stderr(&export));
    let exported = support::stdout_json(&export);
    let signer = exported["signing_key"].as_str().expect("key").to_owned();
    let bytes = std::fs::read(&package).expect("package");
    assert_eq!(
        exported["sha256"],
        hex::encode(sha2::Sha256::digest(&bytes))
    );

    let intact = keelson(data, &["evidence", "verify", path, "--key", &signer]);
    assert!(intact.status.success(), "{}", stderr(&intact));
    let report = support::stdout_json(&intact);
    assert_eq!(report["valid"], true);
    assert_eq!(report["incident_id"], incident);

    // One byte of the first cited event, as stored in events.ndjson (only
    // there is the field compact JSON; the timeline pretty-prints it).
    let mut changed = bytes.clone();
    let at = first_offset(&changed, br#""kind":"uds.negative_response""#);
    changed[at + 9] ^= 0x01;
    let tampered = data.join("tampered.zip");
    std::fs::write(&tampered, &changed).expect("write");
    let broken = keelson(
        data,
        &["evidence", "verify", tampered.to_str().expect("utf-8")],
    );
    assert_eq!(broken.status.code(), Some(1), "{}", stderr(&broken));
    let report = support::stdout_json(&broken);
    assert_eq!(report["valid"], false);
    let files: Vec<&str> = report["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|problem| problem["file"].as_str())
        .collect();
    assert_eq!(files, ["events.ndjson"], "{report}");
    assert!(
        stderr(&broken).contains("events.ndjson"),
        "{}",
        stderr(&broken)
    );

    let mut forged = bytes.clone();
    let at = first_offset(&forged, br#""exported_by": ""#);
    forged[at + 16] ^= 0x01;
    std::fs::write(&tampered, &forged).expect("write");
    let unsigned = keelson(
        data,
        &["evidence", "verify", tampered.to_str().expect("utf-8")],
    );
    assert_eq!(unsigned.status.code(), Some(1));
    let report = support::stdout_json(&unsigned);
    assert_eq!(report["problems"][0]["file"], "manifest.json", "{report}");

    let stranger = "11".repeat(32);
    let wrong_key = keelson(data, &["evidence", "verify", path, "--key", &stranger]);
    assert_eq!(wrong_key.status.code(), Some(1), "{}", stderr(&wrong_key));
}
