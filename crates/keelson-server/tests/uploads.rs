//! Log uploads through the API: the file is kept as evidence under its
//! SHA-256, decoded in the background through the file-ingest path (so a
//! second upload of the same file stores nothing twice), CAN frames carry
//! the signals of the vehicle model's DBC files (checked against cantools),
//! a bad format or an oversized body gets a clear 4xx, and quarantine
//! replay is for admins.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use keelson_core::Role;
use keelson_server::config::Config;
use keelson_store::fleet::{Vehicle, VehicleModel};
use keelson_store::testing::TempDir;
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::{TestApp, error_code};

const CIVIC_CAPTURE: &str = "eldominio-canbuslogs/civic-2019-type-r/turnonanddrive.first20000.log";
const CIVIC_DBC: &str = "generator/honda/honda_civic_hatchback_ex_2017_can.dbc";

/// The app (its evidence folder in `data`) with a Civic vehicle and a
/// VSOC analyst's token.
async fn app_with_civic(
    data: &TempDir,
    dbc_dir: Option<PathBuf>,
    upload_limit: usize,
) -> (TestApp, String) {
    let config = Config {
        data_dir: data.path.clone(),
        dbc_dir,
        upload_limit,
        ..Config::default()
    };
    let app = TestApp::with_config(config).await;
    let token = app.token_for("ana", Role::VsocAnalyst, None).await;
    let model = VehicleModel {
        id: "civic-2019".to_owned(),
        make: "Honda".to_owned(),
        model: "Civic Type R".to_owned(),
        year: Some(2019),
        platform: None,
        dbc_files: vec![CIVIC_DBC.to_owned()],
        marking: keelson_core::tlp::default_marking(),
    };
    app.store
        .create_vehicle_model("test", &model)
        .await
        .expect("model");
    let vehicle = Vehicle {
        id: "veh-civic".to_owned(),
        model_id: Some(model.id),
        vin_hash: None,
        region: None,
        marking: keelson_core::tlp::default_marking(),
    };
    app.store
        .create_vehicle("test", &vehicle)
        .await
        .expect("vehicle");
    (app, token)
}

async fn upload(app: &TestApp, token: &str, query: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let request = Request::post(format!("/api/v1/vehicles/veh-civic/logs{query}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(body))
        .expect("request");
    app.send(request).await
}

/// The upload's listing once the worker has finished it.
async fn finished(app: &TestApp, token: &str, job: &str) -> Value {
    for _ in 0..600 {
        let (status, list) = app
            .get("/api/v1/vehicles/veh-civic/logs", Some(token))
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let items = list["items"].as_array().cloned().unwrap_or_default();
        let entry = items.into_iter().find(|item| item["id"] == job);
        if let Some(entry) = entry.filter(|e| e["status"] == "done" || e["status"] == "failed") {
            return entry;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("upload {job} did not finish")
}

#[tokio::test]
async fn uploads_are_evidence_decoded_once_with_cantools_signals() {
    let Some(can) = keelson_testkit::corpus_path("can") else {
        return;
    };
    let dbc_dir = can.join("opendbc/dbc");
    let capture_path = can.join(CIVIC_CAPTURE);
    let capture = std::fs::read(&capture_path).expect("capture");
    let lines = capture
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count() as u64;
    let data = TempDir::new().expect("data dir");
    let (app, token) = app_with_civic(&data, Some(dbc_dir.clone()), 64 * 1024 * 1024).await;

    let (status, answer) = upload(&app, &token, "", capture.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let digest = hex::encode(Sha256::digest(&capture));
    assert_eq!(answer["sha256"], digest.as_str());
    assert_eq!(answer["format"], "candump");
    let job = answer["job"].as_str().expect("job").to_owned();
    let stored = app
        .state
        .config
        .data_dir
        .join("evidence/sha256")
        .join(&digest[..2]);
    let evidence = std::fs::read(stored.join(&digest[2..])).expect("evidence file");
    assert_eq!(evidence, capture);

    let first = finished(&app, &token, &job).await;
    assert_eq!(first["status"], "done", "{first}");
    assert_eq!(first["accepted"], lines, "{first}");
    assert_eq!(first["uploaded_by"], "ana");

    let (_, again) = upload(&app, &token, "?format=candump", capture.clone()).await;
    let second = finished(&app, &token, again["job"].as_str().expect("job")).await;
    assert_eq!(
        (second["accepted"].as_u64(), second["duplicates"].as_u64()),
        (Some(0), Some(lines))
    );
    assert_eq!(app.store.count_events().await.expect("count"), lines);

    if oracle_available() {
        signals_match_cantools(&app, &capture_path, &dbc_dir.join(CIVIC_DBC)).await;
    }
}

fn oracle_available() -> bool {
    let probe = Command::new("python3")
        .args(["-c", "import cantools"])
        .output();
    let present = probe.is_ok_and(|out| out.status.success());
    assert!(
        present || !keelson_testkit::corpus_required(),
        "python3 with cantools is required (pip install cantools)"
    );
    present
}

/// cantools' decoding of each frame the DBC knows, by (ID, lowercase data).
fn cantools_decoding(capture: &Path, dbc: &Path) -> HashMap<(u64, String), BTreeMap<String, f64>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../keelson-telemetry/tests/oracle/cantools_decode.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(capture)
        .arg(dbc)
        .output();
    let output = output.expect("run cantools");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(capture).expect("capture text");
    let frames: Vec<&str> = text.lines().collect();
    let mut decoded = HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let record: Value = serde_json::from_str(line).expect("oracle json");
        let Some(signals) = record["signals"].as_object() else {
            continue;
        };
        let number = record["line"].as_u64().expect("line") as usize;
        let frame = frames[number - 1].rsplit(' ').next().expect("frame");
        let (id, data) = frame.split_once('#').expect("id#data");
        let id = u64::from_str_radix(id, 16).expect("hex id");
        let values = signals
            .iter()
            .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(f64::NAN)));
        decoded.insert((id, data.to_ascii_lowercase()), values.collect());
    }
    decoded
}

async fn signals_match_cantools(app: &TestApp, capture: &Path, dbc: &Path) {
    let expected = cantools_decoding(capture, dbc);
    let civic = keelson_store::telemetry::EventFilter {
        vehicle_id: Some("veh-civic".to_owned()),
    };
    let page = app
        .store
        .list_events(&civic, None, 100_000)
        .await
        .expect("events");
    assert_eq!(page.next, None, "every event is compared");
    let events = page.items;
    let mut compared = 0;
    let mut messages = std::collections::HashSet::new();
    for event in &events {
        let attributes = &event.attributes;
        let key = (
            attributes["id"].as_u64().expect("id"),
            attributes["data"].as_str().expect("data").to_owned(),
        );
        let Some(want) = expected.get(&key) else {
            assert!(attributes.get("signals").is_none(), "{attributes}");
            continue;
        };
        let got = attributes["signals"].as_object().expect("signals");
        assert_eq!(got.len(), want.len(), "{attributes}");
        for (name, value) in want {
            let have = got[name]["value"].as_f64().expect("value");
            assert!(
                (have - value).abs() <= 1e-9 * value.abs().max(1.0),
                "{name}: {have} vs {value}"
            );
            assert!(got[name]["unit"].is_string());
        }
        compared += want.len();
        messages.insert(key.0);
    }
    assert!(
        compared > 1000 && messages.len() > 5,
        "{compared} values, {} IDs",
        messages.len()
    );
}

#[tokio::test]
async fn bad_format_and_oversized_uploads_are_refused_clearly() {
    let data = TempDir::new().expect("data dir");
    let (app, token) = app_with_civic(&data, None, 1024).await;

    let (status, body) = upload(&app, &token, "", b"\x00\x01 not a capture".to_vec()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert_eq!(error_code(&body), "unknown_format");

    let (status, body) = upload(&app, &token, "?format=blf", b"(1.0) can0 123#00\n".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let (status, _) = upload(&app, &token, "", vec![b'x'; 4096]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    let request = Request::post("/api/v1/vehicles/no-such/logs")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from("(1.0) can0 123#00\n"))
        .expect("request");
    assert_eq!(app.send(request).await.0, StatusCode::NOT_FOUND);
    assert!(
        app.store
            .list_uploads("veh-civic")
            .await
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn malformed_upload_lines_are_quarantined_and_replay_is_for_admins() {
    let data = TempDir::new().expect("data dir");
    let (app, token) = app_with_civic(&data, None, 1024 * 1024).await;
    let capture = b"(1.000000) can0 123#0102\n(2.000000) can0 12G#zz\n(3.000000) can0 124#03\n";

    let (_, answer) = upload(&app, &token, "", capture.to_vec()).await;
    let done = finished(&app, &token, answer["job"].as_str().expect("job")).await;
    assert_eq!(
        (done["accepted"].as_u64(), done["quarantined"].as_u64()),
        (Some(2), Some(1))
    );
    let quarantined = app
        .store
        .list_quarantine(false, None, 10)
        .await
        .expect("quarantine")
        .items;
    assert_eq!(quarantined.len(), 1);
    assert_eq!(quarantined[0].source, "upload");
    assert_eq!(
        quarantined[0].raw.as_deref(),
        Some("(2.000000) can0 12G#zz")
    );
    assert_eq!(quarantined[0].vehicle_id.as_deref(), Some("veh-civic"));

    let (status, _) = app
        .post("/api/v1/quarantine/replay", &token, &Value::Null)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = app.token_for("root", Role::Admin, None).await;
    let (status, counts) = app
        .post("/api/v1/quarantine/replay", &admin, &Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK, "{counts}");
    assert_eq!(
        (
            counts["replayed"].as_u64(),
            counts["still_quarantined"].as_u64()
        ),
        (Some(0), Some(1))
    );
}
