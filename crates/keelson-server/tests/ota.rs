//! OTA events through the telemetry ingest path: an accepted
//! `ota.install_completed` moves the vehicle's ECU slot to the new build,
//! a replay of the event adds no history, and an event naming a build the
//! inventory does not know is still stored while the slot stays as it was.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use keelson_core::Role;
use serde_json::{Value, json};
use support::TestApp;

async fn ingest(app: &TestApp, token: &str, event: &Value) -> Value {
    let request = Request::post("/api/v1/telemetry")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from(format!("{event}\n")))
        .expect("request");
    let (status, answer) = app.send(request).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["results"][0]["status"].clone()
}

fn ota(event_id: &str, build: &str, at: &str) -> Value {
    json!({"event_id": event_id, "vehicle_id": "v1", "source": "ota",
           "kind": "ota.install_completed", "ecu": "tcu", "build_id": build,
           "vehicle_time": at})
}

fn builds(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|installation| installation["build_id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn ota_events_move_the_slot_once_and_unknown_builds_leave_it_alone() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let created = [
        ("/api/v1/vehicles", json!({"id": "v1"})),
        ("/api/v1/ecus", json!({"id": "tcu", "name": "Telematics"})),
        (
            "/api/v1/builds",
            json!({"id": "tcu-a", "ecu": "tcu", "firmware_version": "1"}),
        ),
        (
            "/api/v1/builds",
            json!({"id": "tcu-b", "ecu": "tcu", "firmware_version": "2"}),
        ),
    ];
    for (path, body) in created {
        assert_eq!(
            app.post(path, &admin, &body).await.0,
            StatusCode::CREATED,
            "{path}"
        );
    }

    let first = ingest(&app, &admin, &ota("e1", "tcu-a", "2026-01-01T00:00:00Z")).await;
    let second = ingest(&app, &admin, &ota("e2", "tcu-b", "2026-02-01T00:00:00Z")).await;
    let replay = ingest(&app, &admin, &ota("e2", "tcu-b", "2026-02-01T00:00:00Z")).await;
    let unknown = ingest(&app, &admin, &ota("e3", "tcu-x", "2026-03-01T00:00:00Z")).await;

    assert_eq!(
        [first, second, unknown],
        ["accepted", "accepted", "accepted"]
    );
    assert_eq!(replay, "duplicate");
    let (_, current) = app.get("/api/v1/vehicles/v1/builds", Some(&admin)).await;
    assert_eq!(builds(&current), ["tcu-b"]);
    let (_, history) = app
        .get("/api/v1/vehicles/v1/builds?history=true", Some(&admin))
        .await;
    assert_eq!(builds(&history), ["tcu-a", "tcu-b"]);
    assert_eq!(history["items"][0]["removed_at"], "2026-02-01T00:00:00Z");
    let (_, events) = app.get("/api/v1/events", Some(&admin)).await;
    assert_eq!(
        events["items"].as_array().map(Vec::len),
        Some(3),
        "{events}"
    );
    assert_eq!(
        (&events["total"], &events["next"]),
        (&json!(3), &Value::Null)
    );
}
