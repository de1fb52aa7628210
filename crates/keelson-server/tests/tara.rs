//! TARA import and case links through the real router: a bad file refused
//! whole with every line, a re-import that changes nothing, and TLP on
//! every read path (a TARA above the reader is a 404 and absent from lists,
//! and so is a case's link into it).

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use keelson_core::Role;
use serde_json::{Value, json};
use support::{TestApp, body_json};

const TARA: &str = r#"{"kind": "tara", "id": "tcu-gen3", "title": "Telematics unit gen 3", "marking": {"tlp": "AMBER", "shared_with_orgs": ["acme"]}}
{"kind": "asset", "id": "A-1", "name": "Firmware image"}
{"kind": "damage_scenario", "id": "DS-1", "description": "Vehicle runs foreign firmware", "assets": ["A-1"], "impacts": {"safety": "severe", "financial": "major", "operational": "major", "privacy": "negligible"}}
{"kind": "threat_scenario", "id": "TS-1", "description": "Unsigned image accepted over the air", "damage_scenarios": ["DS-1"], "feasibility": "medium", "risk_value": 4}
"#;

async fn import(app: &TestApp, token: &str, text: &str) -> (StatusCode, Value) {
    let request = Request::post("/api/v1/taras")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from(text.to_owned()))
        .expect("request");
    let response = app.respond(request).await;
    let status = response.status();
    (status, body_json(response).await)
}

async fn delete(app: &TestApp, token: &str, path: &str) -> StatusCode {
    let request = Request::delete(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    app.respond(request).await.status()
}

#[tokio::test]
async fn a_bad_file_is_refused_whole_with_each_line_and_reason() {
    let app = TestApp::new().await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    let bad = TARA
        .replace("\"risk_value\": 4", "\"risk_value\": 0")
        .replace("[\"A-1\"]", "[\"A-7\"]");
    let (status, answer) = import(&app, &bob, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let lines: Vec<&Value> = answer["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| &p["line"])
        .collect();
    assert_eq!(lines, [&json!(3), &json!(4)], "{answer}");

    let (_, list) = app.get("/api/v1/taras", Some(&bob)).await;
    assert_eq!(list["total"], 0, "nothing was imported");
}

#[tokio::test]
async fn a_reimport_changes_nothing_and_tlp_hides_the_tara() {
    let app = TestApp::new().await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    let pat = app.token_for("pat", Role::Partner, Some("acme")).await;
    let eve = app.token_for("eve", Role::Partner, Some("other")).await;
    let (status, first) = import(&app, &bob, TARA).await;
    assert_eq!(
        (status, &first["created"]),
        (StatusCode::OK, &json!(3)),
        "{first}"
    );
    let (_, again) = import(&app, &bob, TARA).await;
    assert_eq!(
        (&again["created"], &again["updated"], &again["unchanged"]),
        (&json!(0), &json!(0), &json!(3))
    );

    // AMBER shared with acme: pat sees it, eve does not.
    let (status, tara) = app.get("/api/v1/taras/tcu-gen3", Some(&pat)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tara["threat_scenarios"][0]["risk_value"], 4);
    let (status, _) = app.get("/api/v1/taras/tcu-gen3", Some(&eve)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = app.get("/api/v1/taras", Some(&eve)).await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn a_case_links_to_the_threat_scenarios_it_realises() {
    let app = TestApp::new().await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    let (status, _) = import(&app, &bob, TARA).await;
    assert_eq!(status, StatusCode::OK);
    let case = json!({"title": "OTA client skips the signature check",
                      "intake": {"kind": "manual"}, "vulnerability_ids": ["CVE-2024-3094"],
                      "marking": {"tlp": "GREEN"}});
    let (_, case) = app.post("/api/v1/cases", &bob, &case).await;
    let id = case["id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/api/v1/cases/{id}/threats");

    let link = json!({"tara_id": "tcu-gen3", "threat_id": "TS-1"});
    assert_eq!(app.post(&path, &bob, &link).await.0, StatusCode::CREATED);
    assert_eq!(app.post(&path, &bob, &link).await.0, StatusCode::OK);
    let missing = json!({"tara_id": "tcu-gen3", "threat_id": "TS-9"});
    assert_eq!(
        app.post(&path, &bob, &missing).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let (_, linked) = app.get(&path, Some(&bob)).await;
    assert_eq!(linked["items"][0]["threat"]["id"], "TS-1");
    // The case is GREEN, its TARA AMBER for acme: another partner sees the
    // case but not the link.
    let eve = app.token_for("eve", Role::Partner, Some("other")).await;
    let (status, linked) = app.get(&path, Some(&eve)).await;
    assert_eq!(
        (status, &linked["total"]),
        (StatusCode::OK, &json!(0)),
        "{linked}"
    );

    let one = format!("{path}/tcu-gen3/TS-1");
    assert_eq!(delete(&app, &bob, &one).await, StatusCode::NO_CONTENT);
    assert_eq!(delete(&app, &bob, &one).await, StatusCode::NOT_FOUND);
    let (_, history) = app
        .get(&format!("/api/v1/cases/{id}/history"), Some(&bob))
        .await;
    let actions: Vec<&str> = history["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["case.create", "case.threat.link", "case.threat.unlink"]
    );
}
