//! The forensic evidence store through the API, on SQLite and PostgreSQL:
//! an analyst attaches a DLT capture from the public corpus to an incident;
//! it is listed with size, kind, uploader and time, downloaded byte for byte
//! (its SHA-256 checked with Python's `hashlib`), and every listing and
//! download appears in the item's custody log in order; readers without
//! the incident's clearance get 404. An exported evidence package carries
//! the file under its digest and verifies; with one byte of it changed the
//! verification fails naming that file, and the export is in the custody
//! log too.

mod support;

use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use keelson_core::{Marking, Principal, Role, Severity, Tlp};
use keelson_server::config::Config;
use keelson_server::forensics::{InstanceKey, export_incident, verify_package};
use keelson_store::alerts::Sighting;
use keelson_store::incidents::IncidentFilter;
use keelson_store::testing::TempDir;
use serde_json::Value;
use support::{TestApp, body_bytes};

/// A DLT capture from the COVESA dlt-daemon test files.
const CAPTURE: &str = "dlt-daemon/tests/testfile.dlt";

/// An incident of one alert marked AMBER; its ID.
async fn incident(app: &TestApp) -> String {
    incident_marked(app, Marking::new(Tlp::Amber)).await
}

async fn incident_marked(app: &TestApp, marking: Marking) -> String {
    let sighting = Sighting {
        rule_id: "r-uds".to_owned(),
        sigma_rule: "uds-brute-force".to_owned(),
        title: "UDS security access brute force".to_owned(),
        severity: Severity::High,
        test: false,
        correlation: true,
        heightened: false,
        vehicle_id: Some("veh-1".to_owned()),
        build_id: Some("gw-1.2.0".to_owned()),
        first_seen_us: 1_000_000,
        last_seen_us: 2_000_000,
        count: 1,
        evidence: Vec::new(),
        atm_tags: Vec::new(),
        marking,
    };
    app.store
        .record_sightings("detection", vec![sighting], 60_000_000, 3_600_000_000)
        .await
        .expect("record");
    let all = app
        .store
        .list_incidents(&IncidentFilter::default())
        .await
        .expect("list");
    all[0].id.clone()
}

/// SHA-256 of the file as Python's standard library computes it.
fn python_sha256(path: &std::path::Path) -> String {
    let script =
        "import hashlib, sys\nprint(hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest())";
    let output = Command::new("python3")
        .args(["-c", script, path.to_str().expect("utf-8")])
        .output()
        .expect("python3");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

async fn attach(app: &TestApp, token: &str, incident: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let path = format!(
        "/api/v1/incidents/{incident}/evidence?kind=log&name=testfile.dlt&description=gateway%20DLT"
    );
    let request = Request::post(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(bytes))
        .expect("request");
    app.send(request).await
}

async fn download(app: &TestApp, token: &str, path: &str) -> (StatusCode, Vec<u8>) {
    let request = Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let response = app.respond(request).await;
    (response.status(), body_bytes(response).await)
}

async fn custody(app: &TestApp, token: &str, incident: &str, item: &str) -> Vec<(String, String)> {
    let path = format!("/api/v1/incidents/{incident}/evidence/{item}/custody");
    let (status, entries) = app.get(&path, Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{entries}");
    entries
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| {
            let text = |key: &str| entry[key].as_str().unwrap_or_default().to_owned();
            (text("actor"), text("action"))
        })
        .collect()
}

fn pair(actor: &str, action: &str) -> (String, String) {
    (actor.to_owned(), action.to_owned())
}

#[tokio::test]
async fn evidence_is_kept_by_digest_and_every_access_is_in_its_custody_log() {
    let Some(corpus) = keelson_testkit::corpus_path("can") else {
        return;
    };
    let capture_path = corpus.join(CAPTURE);
    let capture = std::fs::read(&capture_path).expect("capture");
    let digest = python_sha256(&capture_path);
    let data = TempDir::new().expect("data dir");
    let config = Config {
        data_dir: data.path.clone(),
        ..Config::default()
    };
    for app in TestApp::on_both_backends(config).await {
        let analyst = app.token_for("ana", Role::VsocAnalyst, None).await;
        let auditor = app.token_for("ivy", Role::PsirtEngineer, None).await;
        let partner = app.token_for("pat", Role::Partner, Some("tier1")).await;
        let incident = incident(&app).await;

        let (status, item) = attach(&app, &analyst, &incident, capture.clone()).await;
        let (again, same) = attach(&app, &analyst, &incident, capture.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{item}");
        assert_eq!(again, StatusCode::OK, "{same}");
        assert_eq!(item["sha256"], digest.as_str());
        assert_eq!(same["id"], item["id"]);
        assert_eq!(item["size"], capture.len() as u64);
        assert_eq!(
            (item["kind"].as_str(), item["uploaded_by"].as_str()),
            (Some("log"), Some("ana"))
        );
        assert!(item["uploaded_at"].is_string());
        let id = item["id"].as_str().expect("id").to_owned();

        let list = format!("/api/v1/incidents/{incident}/evidence");
        let (_, page) = app.get(&list, Some(&auditor)).await;
        assert_eq!(page["total"], 1, "{page}");
        assert_eq!(page["items"][0]["description"], "gateway DLT");
        let content = format!("{list}/{id}/content");
        let (status, bytes) = download(&app, &auditor, &content).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(bytes, capture);
        let (status, by_digest) =
            download(&app, &analyst, &format!("/api/v1/evidence/{digest}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(by_digest, capture);

        let (partner_list, _) = app.get(&list, Some(&partner)).await;
        let (partner_item, _) = download(&app, &partner, &content).await;
        let unknown = format!("/api/v1/evidence/{}", "0".repeat(64));
        let (missing, _) = download(&app, &analyst, &unknown).await;
        assert_eq!(partner_list, StatusCode::FORBIDDEN);
        assert_eq!(partner_item, StatusCode::FORBIDDEN);
        assert_eq!(missing, StatusCode::NOT_FOUND);

        let trail = custody(&app, &analyst, &incident, &id).await;
        let expected = [
            pair("ana", "evidence.upload"),
            pair("ivy", "evidence.list"),
            pair("ivy", "evidence.download"),
            pair("ana", "evidence.download"),
        ];
        assert_eq!(trail, expected);

        exported_package_carries_the_evidence(&app, &data, &incident, &digest, &capture).await;
        let trail = custody(&app, &analyst, &incident, &id).await;
        assert_eq!(
            trail.last(),
            Some(&pair("ana", "evidence.export")),
            "{trail:?}"
        );
        assert!(app.store.verify_audit_chain().await.expect("verify").ok);
    }
}

async fn exported_package_carries_the_evidence(
    app: &TestApp,
    data: &TempDir,
    incident: &str,
    digest: &str,
    capture: &[u8],
) {
    let key = InstanceKey::load_or_create(&data.path).expect("key");
    let reader = Principal::new("ana", Role::VsocAnalyst, None);
    let package = export_incident(
        &app.store,
        &reader,
        "ana",
        incident,
        &key,
        &app.state.evidence,
    )
    .await
    .expect("export");
    let file = format!("evidence/{digest}");
    let listed = package
        .manifest
        .files
        .iter()
        .find(|entry| entry.path == file);
    let listed = listed.unwrap_or_else(|| panic!("{file} not in {:?}", package.manifest.files));
    assert_eq!(listed.sha256, digest);
    assert_eq!(listed.bytes, capture.len() as u64);

    let intact = verify_package(&package.bytes, Some(&key.public_hex()));
    assert!(intact.valid, "{:?}", intact.problems);

    // The archive stores entries uncompressed: the capture's bytes appear
    // whole; change the last byte of them.
    let start = package
        .bytes
        .windows(capture.len())
        .position(|window| window == capture)
        .expect("the capture inside the package");
    let mut changed = package.bytes.clone();
    changed[start + capture.len() - 1] ^= 0x01;
    let broken = verify_package(&changed, Some(&key.public_hex()));
    assert!(!broken.valid);
    let named: Vec<&str> = broken.problems.iter().map(|p| p.file.as_str()).collect();
    assert_eq!(named, [file.as_str()], "{:?}", broken.problems);
}

#[tokio::test]
async fn evidence_of_a_red_incident_is_hidden_from_readers_not_named_on_it() {
    let data = TempDir::new().expect("data dir");
    let config = Config {
        data_dir: data.path.clone(),
        ..Config::default()
    };
    let app = TestApp::with_config(config).await;
    let named = app.token_for("ana", Role::VsocAnalyst, None).await;
    let other = app.token_for("bob", Role::VsocAnalyst, None).await;
    let mut marking = Marking::new(Tlp::Red);
    marking.named_readers = vec!["ana".to_owned()];
    let incident = incident_marked(&app, marking).await;
    let (status, item) = attach(&app, &named, &incident, b"memory image".to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    let id = item["id"].as_str().expect("id");
    let digest = item["sha256"].as_str().expect("digest");

    let list = format!("/api/v1/incidents/{incident}/evidence");
    let paths = [
        list.clone(),
        format!("{list}/{id}"),
        format!("{list}/{id}/content"),
        format!("{list}/{id}/custody"),
        format!("/api/v1/evidence/{digest}"),
    ];
    for path in &paths {
        let (status, _) = download(&app, &other, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (attach_status, _) = attach(&app, &other, &incident, b"other".to_vec()).await;
    assert_eq!(attach_status, StatusCode::NOT_FOUND);

    let trail = custody(&app, &named, &incident, id).await;
    assert_eq!(
        trail,
        [pair("ana", "evidence.upload")],
        "refused reads leave no entry"
    );
}
