//! Detection in the running server, driven through the API with the rules
//! shipped in `rules/vehicle`: telemetry POSTed to `/api/v1/telemetry`
//! raises stored alerts citing the stored events; replays raise nothing;
//! rule changes take effect without a restart; scope is honoured; a
//! malformed rule is refused with its line while the others keep firing.
//! Thresholds come from the rule texts (five rejected keys in ten minutes).

mod support;

use axum::http::StatusCode;
use keelson_core::Role;
use serde_json::{Value, json};
use support::{TestApp, error_code};

const UDS_RULE_FILE: &str = "uds_security_access_brute_force.yml";
const UDS_RULE: &str = "6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f02";
const ODOMETER_RULE_FILE: &str = "odometer_rollback.yml";
const ODOMETER_RULE: &str = "6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f04";

fn shipped(file: &str) -> String {
    let path = keelson_testkit::repo_root()
        .join("rules/vehicle")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// A SecurityAccess key rejected with invalidKey, `seconds` after 08:00 UTC.
fn rejected_key(id: &str, vehicle: &str, build: &str, seconds: u32) -> Value {
    let at = format!(
        "2026-06-01T{:02}:{:02}:{:02}Z",
        8 + seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    json!({"event_id": id, "vehicle_id": vehicle, "ecu": "gateway", "build_id": build,
           "source": "uds", "kind": "uds.negative_response", "vehicle_time": at,
           "attributes": {"service": 0x27, "nrc": 0x35}})
}

/// Five rejected keys ten seconds apart, starting at `start` seconds.
fn burst(prefix: &str, vehicle: &str, build: &str, start: u32) -> Vec<Value> {
    (0..5)
        .map(|i| rejected_key(&format!("{prefix}-{i}"), vehicle, build, start + i * 10))
        .collect()
}

async fn add_rule(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, rule) = app.post("/api/v1/rules", token, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    rule
}

async fn alerts(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let (status, page) = app
        .get(&format!("/api/v1/alerts{query}"), Some(token))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().cloned().unwrap_or_default()
}

async fn set_status(app: &TestApp, token: &str, rule: &str, status: &str) {
    let path = format!("/api/v1/rules/{rule}/status");
    let body = json!({"status": status, "reason": "test of the lifecycle"});
    let (code, answer) = app.post(&path, token, &body).await;
    assert_eq!(code, StatusCode::OK, "{answer}");
    assert_eq!(answer["status"], status);
}

fn keys(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|event| format!("id:{}", event["event_id"].as_str().unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn a_burst_of_rejected_keys_raises_one_alert_and_its_replay_nothing() {
    let app = TestApp::new().await;
    let engineer = app.token_for("dee", Role::DetectionEngineer, None).await;
    add_rule(
        &app,
        &engineer,
        json!({"sigma": shipped(UDS_RULE_FILE), "status": "active"}),
    )
    .await;

    let events = burst("e", "veh-1", "gw-1.2.0", 0);
    let (status, answer) = app.ingest(&engineer, &events).await;
    assert_eq!(
        (status, answer["accepted"].as_u64()),
        (StatusCode::OK, Some(5)),
        "{answer}"
    );

    let found = alerts(&app, &engineer, "").await;
    assert_eq!(found.len(), 1, "{found:?}");
    let alert = &found[0];
    assert_eq!(alert["rule_id"], UDS_RULE);
    assert_eq!(alert["sigma_rule"], UDS_RULE);
    assert_eq!(alert["severity"], "high");
    assert_eq!(alert["vehicle_id"], "veh-1");
    assert_eq!(alert["count"], 1);
    assert_eq!(alert["test"], false);
    assert_eq!(alert["first_seen"], "2026-06-01T08:00:00Z");
    assert_eq!(alert["last_seen"], "2026-06-01T08:00:40Z");
    assert_eq!(alert["evidence"], json!(keys(&events)));

    let path = format!(
        "/api/v1/alerts/{}",
        alert["id"].as_str().unwrap_or_default()
    );
    let (status, detail) = app.get(&path, Some(&engineer)).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let cited: Vec<&str> = detail["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|event| event["event_id"].as_str())
        .collect();
    assert_eq!(cited, vec!["e-0", "e-1", "e-2", "e-3", "e-4"]);

    let (_, replay) = app.ingest(&engineer, &events).await;
    assert_eq!(replay["duplicates"].as_u64(), Some(5), "{replay}");
    let after = alerts(&app, &engineer, "").await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0]["count"], 1, "a replay must not count again");

    let metrics = app
        .respond(
            axum::http::Request::get("/metrics")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    let text = body_text(metrics).await;
    assert!(
        text.contains("keelson_alerts_raised_total{severity=\"high\"} 1"),
        "{text}"
    );
}

async fn body_text(response: axum::response::Response) -> String {
    String::from_utf8_lossy(&support::body_bytes(response).await).into_owned()
}

#[tokio::test]
async fn a_retired_rule_stays_quiet_until_set_active_again_without_restart() {
    let app = TestApp::new().await;
    let engineer = app.token_for("dee", Role::DetectionEngineer, None).await;
    add_rule(
        &app,
        &engineer,
        json!({"sigma": shipped(UDS_RULE_FILE), "status": "active"}),
    )
    .await;
    app.ingest(&engineer, &burst("a", "veh-1", "gw-1.2.0", 0))
        .await;
    assert_eq!(alerts(&app, &engineer, "").await.len(), 1);

    set_status(&app, &engineer, UDS_RULE, "retired").await;
    app.ingest(&engineer, &burst("b", "veh-1", "gw-1.2.0", 300))
        .await;
    let quiet = alerts(&app, &engineer, "").await;
    assert_eq!(quiet.len(), 1, "a retired rule fired: {quiet:?}");
    assert_eq!(quiet[0]["count"], 1);

    // Half an hour later: outside the ten-minute window of the first alert.
    set_status(&app, &engineer, UDS_RULE, "active").await;
    app.ingest(&engineer, &burst("c", "veh-1", "gw-1.2.0", 1800))
        .await;
    let revived = alerts(&app, &engineer, "").await;
    assert_eq!(revived.len(), 2, "{revived:?}");
    assert_eq!(revived[0]["first_seen"], "2026-06-01T08:30:00Z");

    // Two minutes later again: within the window, so the same alert counts up.
    let repeat = burst("d", "veh-1", "gw-1.2.0", 1920);
    app.ingest(&engineer, &repeat).await;
    let merged = alerts(&app, &engineer, "").await;
    assert_eq!(merged.len(), 2, "{merged:?}");
    assert_eq!(merged[0]["count"], 2);
    assert_eq!(merged[0]["last_seen"], "2026-06-01T08:32:40Z");
    let evidence = merged[0]["evidence"].as_array().map_or(0, Vec::len);
    assert_eq!(evidence, 10);
}

#[tokio::test]
async fn a_rule_scoped_to_a_build_fires_only_for_that_build() {
    let app = TestApp::new().await;
    let engineer = app.token_for("dee", Role::DetectionEngineer, None).await;
    let scope = json!({"builds": ["gw-1.2.0"]});
    let body = json!({"sigma": shipped(UDS_RULE_FILE), "status": "active", "scope": scope});
    add_rule(&app, &engineer, body).await;

    app.ingest(&engineer, &burst("y", "veh-y", "gw-1.3.0", 0))
        .await;
    app.ingest(&engineer, &burst("x", "veh-x", "gw-1.2.0", 0))
        .await;
    let found = alerts(&app, &engineer, "").await;
    let vehicles: Vec<&str> = found
        .iter()
        .filter_map(|a| a["vehicle_id"].as_str())
        .collect();
    assert_eq!(vehicles, vec!["veh-x"]);
    assert_eq!(found[0]["build_id"], "gw-1.2.0");
}

#[tokio::test]
async fn a_rule_scoped_to_a_model_fires_only_for_that_models_vehicles() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    for (model, vehicle) in [("m-a", "veh-a"), ("m-b", "veh-b")] {
        let body = json!({"id": model, "make": "Acme", "model": model});
        assert_eq!(
            app.post("/api/v1/models", &admin, &body).await.0,
            StatusCode::CREATED
        );
        let body = json!({"id": vehicle, "model_id": model});
        assert_eq!(
            app.post("/api/v1/vehicles", &admin, &body).await.0,
            StatusCode::CREATED
        );
    }
    let body = json!({"sigma": shipped(ODOMETER_RULE_FILE), "scope": {"models": ["m-a"]}});
    add_rule(&app, &admin, body).await;

    let rollback = |vehicle: &str| {
        json!({"event_id": format!("odo-{vehicle}"), "vehicle_id": vehicle,
               "source": "telematics", "kind": "telematics.odometer",
               "vehicle_time": "2026-06-01T08:00:00Z",
               "attributes": {"odometer_delta_km": -1200}})
    };
    app.ingest(&admin, &[rollback("veh-a"), rollback("veh-b")])
        .await;
    let found = alerts(&app, &admin, &format!("?rule={ODOMETER_RULE}")).await;
    let vehicles: Vec<&str> = found
        .iter()
        .filter_map(|a| a["vehicle_id"].as_str())
        .collect();
    assert_eq!(vehicles, vec!["veh-a"]);
    // Posted without a status, the rule is in test: its alerts say so.
    assert_eq!(found[0]["test"], true);
    assert_eq!(found[0]["severity"], "medium");
}

#[tokio::test]
async fn a_malformed_rule_is_refused_with_its_line_and_the_others_keep_firing() {
    let app = TestApp::new().await;
    let engineer = app.token_for("dee", Role::DetectionEngineer, None).await;
    add_rule(
        &app,
        &engineer,
        json!({"sigma": shipped(UDS_RULE_FILE), "status": "active"}),
    )
    .await;

    // Line 8 opens a quoted scalar that never closes.
    let broken = "title: Broken\nid: broken-1\nlogsource:\n    product: vehicle\n    \
                  category: uds\ndetection:\n    selection:\n        kind: \"x\n    \
                  condition: selection\n";
    let (status, body) = app
        .post("/api/v1/rules", &engineer, &json!({"sigma": broken}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "invalid_rule");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("line 8: yaml syntax"), "{message}");

    // Valid YAML with a modifier that does not exist: refused too, named.
    let unknown = broken.replace("kind: \"x", "kind|sideways: x");
    let (status, body) = app
        .post("/api/v1/rules", &engineer, &json!({"sigma": unknown}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("unknown modifier 'sideways'"), "{message}");
    assert_eq!(
        app.get("/api/v1/rules/broken-1", Some(&engineer)).await.0,
        StatusCode::NOT_FOUND
    );

    app.ingest(&engineer, &burst("e", "veh-1", "gw-1.2.0", 0))
        .await;
    assert_eq!(alerts(&app, &engineer, "").await.len(), 1);
}

#[tokio::test]
async fn rule_writes_are_for_detection_engineers_and_admins() {
    let app = TestApp::new().await;
    let analyst = app.token_for("ana", Role::VsocAnalyst, None).await;
    let engineer = app.token_for("dee", Role::DetectionEngineer, None).await;
    let body = json!({"sigma": shipped(UDS_RULE_FILE)});
    assert_eq!(
        app.post("/api/v1/rules", &analyst, &body).await.0,
        StatusCode::FORBIDDEN
    );
    add_rule(&app, &engineer, body.clone()).await;
    let (status, rule) = app
        .get(&format!("/api/v1/rules/{UDS_RULE}"), Some(&analyst))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rule["status"], "test");
    assert_eq!(rule["title"], "UDS SecurityAccess brute force");
    let path = format!("/api/v1/rules/{UDS_RULE}");
    assert_eq!(
        app.put(&path, &analyst, &body).await.0,
        StatusCode::FORBIDDEN
    );
    let status_path = format!("{path}/status");
    let change = json!({"status": "retired", "reason": "noisy"});
    assert_eq!(
        app.post(&status_path, &analyst, &change).await.0,
        StatusCode::FORBIDDEN
    );
    let no_reason = json!({"status": "retired", "reason": " "});
    assert_eq!(
        app.post(&status_path, &engineer, &no_reason).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let other = json!({"sigma": shipped(ODOMETER_RULE_FILE)});
    let (status, answer) = app.put(&path, &engineer, &other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
}

#[tokio::test]
async fn rules_and_alerts_appear_in_the_openapi_document() {
    let app = TestApp::new().await;
    let (_, document) = app.get("/api/openapi.json", None).await;
    for path in [
        "/api/v1/rules",
        "/api/v1/rules/{id}",
        "/api/v1/rules/{id}/status",
        "/api/v1/alerts",
        "/api/v1/alerts/{id}",
    ] {
        assert!(document["paths"][path].is_object(), "{path} missing");
    }
}

#[tokio::test]
async fn a_rule_stored_outside_the_api_fires_once_the_watch_sees_it() {
    use keelson_server::detection::rules::{RuleInput, prepare};

    let app = TestApp::new().await;
    let engineer = app.token_for("dee", Role::DetectionEngineer, None).await;
    let detector = &app.state.detector;
    // A detector that never compiled anything compiles at its first check, then rests.
    let first_check = detector.reload_if_changed(&app.store).await.ok();
    assert_eq!(first_check, Some(Some(Vec::new())));
    let second_check = detector.reload_if_changed(&app.store).await.ok();
    assert_eq!(second_check, Some(None));

    // What `keelson rules import` does against the same store while the server runs.
    let input = RuleInput {
        sigma: shipped(UDS_RULE_FILE),
        title: None,
        status: Some(keelson_store::rules::RuleStatus::Active),
        scope: Default::default(),
        valid_until: None,
        marking: keelson_core::tlp::default_marking(),
    };
    let new = prepare(input).expect("the shipped rule is valid");
    app.store.import_rule("cli", &new).await.expect("stored");

    let (_, first) = app
        .ingest(&engineer, &burst("a", "veh-1", "gw-1.2.0", 0))
        .await;
    assert_eq!(first["accepted"].as_u64(), Some(5), "{first}");
    assert!(
        alerts(&app, &engineer, "").await.is_empty(),
        "not reloaded yet"
    );

    let reloaded = detector.reload_if_changed(&app.store).await.ok().flatten();
    assert_eq!(reloaded, Some(Vec::new()), "one change, no problems");
    assert_eq!(
        detector.reload_if_changed(&app.store).await.ok(),
        Some(None)
    );

    app.ingest(&engineer, &burst("b", "veh-1", "gw-1.2.0", 100))
        .await;
    let found = alerts(&app, &engineer, "").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["rule_id"], UDS_RULE);
}
