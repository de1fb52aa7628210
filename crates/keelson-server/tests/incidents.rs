//! Incidents through the API, on SQLite and PostgreSQL: telemetry that
//! fires the shipped UDS brute-force rule raises alerts, which group into
//! incidents per build; analysts move, merge and split them; the metrics'
//! MTTD and MTTR equal the means worked out here from the stamps each
//! incident recorded; a reader without clearance sees none of it; an
//! escalation opens a PSIRT case linked both ways that carries the
//! hand-over and the containment notes.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use keelson_core::{Marking, Role, Tlp};
use keelson_server::config::Config;
use keelson_store::fleet::{SoftwareBuild, Vehicle};
use serde_json::{Value, json};
use support::{TestApp, error_code};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Five rejected SecurityAccess keys ten seconds apart from `start` seconds
/// after 08:00 UTC, on one vehicle and build.
fn burst(prefix: &str, vehicle: &str, build: &str, start: u32) -> Vec<Value> {
    (0..5)
        .map(|i| {
            let seconds = start + i * 10;
            let at = format!("2026-06-01T08:{:02}:{:02}Z", seconds / 60, seconds % 60);
            json!({"event_id": format!("{prefix}-{i}"), "vehicle_id": vehicle, "ecu": "gateway",
                   "build_id": build, "source": "uds", "kind": "uds.negative_response",
                   "vehicle_time": at, "attributes": {"service": 0x27, "nrc": 0x35}})
        })
        .collect()
}

async fn setup(app: &TestApp) -> (String, String) {
    let engineer = app.token_for("dee", Role::DetectionEngineer, None).await;
    let analyst = app.token_for("ana", Role::VsocAnalyst, None).await;
    let path =
        keelson_testkit::repo_root().join("rules/vehicle/uds_security_access_brute_force.yml");
    let sigma = std::fs::read_to_string(&path).expect("shipped rule");
    let (status, rule) = app
        .post(
            "/api/v1/rules",
            &engineer,
            &json!({"sigma": sigma, "status": "active"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    (engineer, analyst)
}

async fn ingest(app: &TestApp, token: &str, events: &[Value]) {
    let (status, answer) = app.ingest(token, events).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["accepted"].as_u64(),
        Some(events.len() as u64),
        "{answer}"
    );
}

async fn incidents(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let (status, page) = app
        .get(&format!("/api/v1/incidents{query}"), Some(token))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().cloned().unwrap_or_default()
}

async fn move_to(app: &TestApp, token: &str, id: &str, to: &str) -> (StatusCode, Value) {
    let path = format!("/api/v1/incidents/{id}/transitions");
    app.post(
        &path,
        token,
        &json!({"to": to, "reason": "analyst decision"}),
    )
    .await
}

fn micros(stamp: &Value) -> f64 {
    let text = stamp
        .as_str()
        .unwrap_or_else(|| panic!("not a stamp: {stamp}"));
    let at = OffsetDateTime::parse(text, &Rfc3339).expect("RFC 3339");
    (at.unix_timestamp_nanos() / 1_000) as f64
}

fn on_build<'a>(all: &'a [Value], build: &str) -> &'a Value {
    all.iter()
        .find(|incident| incident["build_id"] == build)
        .unwrap_or_else(|| panic!("no incident on {build}: {all:?}"))
}

#[tokio::test]
async fn alerts_group_per_build_and_the_metrics_follow_the_recorded_stamps() {
    for app in TestApp::on_both_backends(Config::default()).await {
        let (engineer, analyst) = setup(&app).await;
        ingest(&app, &engineer, &burst("a", "veh-1", "gw-1.2.0", 0)).await;
        ingest(&app, &engineer, &burst("b", "veh-2", "gw-1.2.0", 120)).await;
        ingest(&app, &engineer, &burst("c", "veh-3", "gw-1.3.0", 240)).await;

        let all = incidents(&app, &analyst, "").await;
        assert_eq!(all.len(), 2, "{all:#?}");
        let old = on_build(&all, "gw-1.2.0").clone();
        let new = on_build(&all, "gw-1.3.0").clone();
        assert_eq!(old["state"], "new");
        assert_eq!(old["severity"], "high");
        assert_eq!(old["first_event"], "2026-06-01T08:00:00Z");
        assert_eq!(old["last_seen"], "2026-06-01T08:02:40Z");
        let old_id = old["id"].as_str().expect("id");
        let new_id = new["id"].as_str().expect("id");

        let (status, detail) = app
            .get(&format!("/api/v1/incidents/{old_id}"), Some(&analyst))
            .await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        assert_eq!(detail["vehicles_affected"], 2);
        assert_eq!(detail["vehicle_ids"], json!(["veh-1", "veh-2"]));
        assert_eq!(detail["build_ids"], json!(["gw-1.2.0"]));
        assert_eq!(detail["alerts"].as_array().map(Vec::len), Some(2));
        let (status, timeline) = app
            .get(
                &format!("/api/v1/incidents/{old_id}/timeline"),
                Some(&analyst),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{timeline}");
        let at: Vec<&str> = timeline
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|entry| entry["at"].as_str())
            .collect();
        assert_eq!(at.len(), 10, "{timeline}");
        assert_eq!(at.first(), Some(&"2026-06-01T08:00:00Z"));
        assert_eq!(at.last(), Some(&"2026-06-01T08:02:40Z"));
        assert!(at.windows(2).all(|pair| pair[0] <= pair[1]), "{at:?}");
        assert_eq!(timeline[5]["vehicle_id"], "veh-2");
        assert_eq!(timeline[5]["clock"], "vehicle");

        for to in ["acknowledged", "contained", "resolved"] {
            let (status, moved) = move_to(&app, &analyst, old_id, to).await;
            assert_eq!(status, StatusCode::OK, "{moved}");
        }
        let (status, _) = move_to(&app, &analyst, new_id, "false_positive").await;
        assert_eq!(status, StatusCode::OK);

        let all = incidents(&app, &analyst, "").await;
        let (old, new) = (on_build(&all, "gw-1.2.0"), on_build(&all, "gw-1.3.0"));
        let detect = |i: &Value| micros(&i["detected"]) - micros(&i["first_event"]);
        let expected_mttd = (detect(old) + detect(new)) / 2.0;
        let expected_mttr = micros(&old["resolved"]) - micros(&old["detected"]);
        let expected_mtta = micros(&old["acknowledged"]) - micros(&old["detected"]);

        let (status, metrics) = app.get("/api/v1/incidents/metrics", Some(&analyst)).await;
        assert_eq!(status, StatusCode::OK, "{metrics}");
        assert_eq!(metrics["incidents"], 2);
        assert_eq!(
            metrics["mean_time_to_detect_us"].as_f64(),
            Some(expected_mttd)
        );
        assert_eq!(
            metrics["mean_time_to_resolve_us"].as_f64(),
            Some(expected_mttr)
        );
        assert_eq!(
            metrics["mean_time_to_acknowledge_us"].as_f64(),
            Some(expected_mtta)
        );
        assert_eq!(
            metrics["by_state"],
            json!({"false_positive": 1, "resolved": 1})
        );
        let rule = &metrics["false_positives_by_rule"]["6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f02"];
        assert_eq!(rule["incidents"], 2, "{metrics}");
        assert_eq!(rule["rate"].as_f64(), Some(0.5));

        let (status, later) = app
            .get(
                "/api/v1/incidents/metrics?since=2999-01-01T00:00:00Z",
                Some(&analyst),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{later}");
        assert_eq!(later["incidents"], 0);
        assert!(later["mean_time_to_detect_us"].is_null());
    }
}

#[tokio::test]
async fn moves_outside_the_workflow_and_readers_without_clearance_are_refused() {
    let app = TestApp::new().await;
    let (engineer, analyst) = setup(&app).await;
    let partner = app.token_for("pat", Role::Partner, Some("acme")).await;
    ingest(&app, &engineer, &burst("a", "veh-1", "gw-1.2.0", 0)).await;
    let id = incidents(&app, &analyst, "").await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let (resolved, _) = move_to(&app, &analyst, &id, "resolved").await;
    let (backwards, refusal) = move_to(&app, &analyst, &id, "contained").await;
    let path = format!("/api/v1/incidents/{id}/transitions");
    let (silent, unexplained) = app
        .post(
            &path,
            &analyst,
            &json!({"to": "investigating", "reason": " "}),
        )
        .await;
    let (engineer_move, _) = move_to(&app, &engineer, &id, "investigating").await;
    let (unknown, _) = move_to(&app, &analyst, &id, "escalated").await;

    assert_eq!(resolved, StatusCode::OK);
    assert_eq!(backwards, StatusCode::CONFLICT);
    assert_eq!(error_code(&refusal), "invalid_transition");
    assert!(refusal.to_string().contains("investigating"), "{refusal}");
    assert_eq!(silent, StatusCode::UNPROCESSABLE_ENTITY, "{unexplained}");
    assert_eq!(engineer_move, StatusCode::FORBIDDEN);
    assert_eq!(unknown, StatusCode::UNPROCESSABLE_ENTITY);

    assert!(incidents(&app, &partner, "").await.is_empty());
    let (hidden, _) = app
        .get(&format!("/api/v1/incidents/{id}"), Some(&partner))
        .await;
    assert_eq!(hidden, StatusCode::NOT_FOUND);
    let (hidden, _) = app
        .get(&format!("/api/v1/incidents/{id}/timeline"), Some(&partner))
        .await;
    assert_eq!(hidden, StatusCode::NOT_FOUND);
    let (status, metrics) = app.get("/api/v1/incidents/metrics", Some(&partner)).await;
    assert_eq!((status, &metrics["incidents"]), (StatusCode::OK, &json!(0)));
    let (bad_time, _) = app
        .get("/api/v1/incidents?since=yesterday", Some(&analyst))
        .await;
    assert_eq!(bad_time, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn analysts_split_merge_comment_and_own_incidents() {
    let app = TestApp::new().await;
    let (engineer, analyst) = setup(&app).await;
    ingest(&app, &engineer, &burst("a", "veh-1", "gw-1.2.0", 0)).await;
    ingest(&app, &engineer, &burst("b", "veh-2", "gw-1.2.0", 120)).await;
    let id = incidents(&app, &analyst, "").await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (_, detail) = app
        .get(&format!("/api/v1/incidents/{id}"), Some(&analyst))
        .await;
    let second_alert = detail["alerts"][1]["id"].clone();

    let (status, split) = app
        .post(
            &format!("/api/v1/incidents/{id}/split"),
            &analyst,
            &json!({"alerts": [second_alert]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{split}");
    assert_eq!(incidents(&app, &analyst, "").await.len(), 2);
    let split_id = split["id"].as_str().expect("id");
    let (status, comment) = app
        .post(
            &format!("/api/v1/incidents/{split_id}/comments"),
            &analyst,
            &json!({"body": "second vehicle, same tool"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{comment}");
    let (status, merged) = app
        .post(
            &format!("/api/v1/incidents/{id}/merge"),
            &analyst,
            &json!({"from": [split_id]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");

    let patch = Request::patch(format!("/api/v1/incidents/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {analyst}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"owner": "ana", "custom_fields": {"ticket": "VSOC-17"}}).to_string(),
        ))
        .expect("request");
    let (status, patched) = app.send(patch).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["owner"], "ana");
    assert_eq!(patched["custom_fields"]["ticket"], "VSOC-17");
    let (_, detail) = app
        .get(&format!("/api/v1/incidents/{id}"), Some(&analyst))
        .await;
    assert_eq!(detail["alerts"].as_array().map(Vec::len), Some(2));
    assert_eq!(detail["comments"][0]["body"], "second vehicle, same tool");
    assert_eq!(incidents(&app, &analyst, "").await.len(), 1);
    let (gone, _) = app
        .get(&format!("/api/v1/incidents/{split_id}"), Some(&analyst))
        .await;
    assert_eq!(gone, StatusCode::NOT_FOUND);
}

async fn add_inventory(app: &TestApp) {
    let build = SoftwareBuild {
        id: "gw-1.2.0".to_owned(),
        ecu: "gateway".to_owned(),
        firmware_version: "1.2.0".to_owned(),
        digest: None,
        marking: Marking::new(Tlp::Green),
    };
    app.store.create_build("test", &build).await.expect("build");
    for (id, region) in [("veh-1", "EU"), ("veh-2", "EU")] {
        let vehicle = Vehicle {
            id: id.to_owned(),
            model_id: None,
            vin_hash: None,
            region: Some(region.to_owned()),
            marking: Marking::new(Tlp::Green),
        };
        app.store
            .create_vehicle("test", &vehicle)
            .await
            .expect("vehicle");
    }
}

#[tokio::test]
async fn escalation_opens_a_linked_case_with_the_hand_over_and_the_containment_notes() {
    for app in TestApp::on_both_backends(Config::default()).await {
        let (engineer, analyst) = setup(&app).await;
        let psirt = app.token_for("pia", Role::PsirtEngineer, None).await;
        let partner = app.token_for("pat", Role::Partner, Some("acme")).await;
        add_inventory(&app).await;
        ingest(&app, &engineer, &burst("a", "veh-1", "gw-1.2.0", 0)).await;
        ingest(&app, &engineer, &burst("b", "veh-2", "gw-1.2.0", 120)).await;
        let incident = incidents(&app, &analyst, "").await[0].clone();
        let id = incident["id"].as_str().expect("id");

        let containment = json!({"action": "SecurityAccess over DoIP blocked at the gateway",
                                 "scope": "builds gw-1.2.0, region EU",
                                 "expires_at": "2030-01-01T00:00:00Z"});
        let path = format!("/api/v1/incidents/{id}/containment");
        let (status, noted) = app.post(&path, &analyst, &containment).await;
        assert_eq!(status, StatusCode::CREATED, "{noted}");
        assert_eq!(noted["expired"], false);
        let escalate = format!("/api/v1/incidents/{id}/escalate");
        let (bad_vector, refusal) = app
            .post(
                &escalate,
                &analyst,
                &json!({"cvss_vector": "CVSS:3.1/AV:X"}),
            )
            .await;
        assert_eq!(bad_vector, StatusCode::UNPROCESSABLE_ENTITY, "{refusal}");

        let hand_over = json!({
            "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H",
            "usage_pattern": "rental fleet, short trips",
            "driver_visible_impact": "none"});
        let (status, answer) = app.post(&escalate, &analyst, &hand_over).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let case = &answer["case"];
        let summary = &answer["escalation"]["summary"];
        assert_eq!(case["intake"]["kind"], "vsoc_escalation");
        assert_eq!(case["intake"]["source"], format!("incident:{id}"));
        assert_eq!(case["severity"], incident["severity"]);
        assert_eq!(case["marking"]["tlp"], incident["marking"]["tlp"]);
        assert_eq!(
            case["cvss_vector"],
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H"
        );
        assert_eq!(summary["vehicles_affected"], 2);
        assert_eq!(summary["build_ids"], json!(["gw-1.2.0"]));
        assert_eq!(summary["provisional_cvss"]["score"], 9.6);
        assert_eq!(summary["operational_context"]["regions"], json!(["EU"]));
        assert_eq!(summary["log_references"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            summary["log_references"][0]["events"]
                .as_array()
                .map(Vec::len),
            Some(5)
        );
        assert_eq!(summary["containment"][0]["action"], containment["action"]);

        let case_id = case["id"].as_str().expect("case id");
        let (status, detail) = app
            .get(&format!("/api/v1/cases/{case_id}"), Some(&psirt))
            .await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        assert_eq!(detail["builds"][0]["build_id"], "gw-1.2.0");
        assert_eq!(detail["builds"][0]["status"], "under_investigation");
        let escalations = format!("/api/v1/cases/{case_id}/escalations");
        let (status, seen) = app.get(&escalations, Some(&psirt)).await;
        assert_eq!(status, StatusCode::OK, "{seen}");
        assert_eq!(seen[0]["incident_id"], id);
        assert_eq!(seen[0]["containment"][0]["scope"], containment["scope"]);
        let (_, incident) = app
            .get(&format!("/api/v1/incidents/{id}"), Some(&analyst))
            .await;
        assert_eq!(incident["escalation"]["case_id"], case_id);

        let (again, refusal) = app.post(&escalate, &analyst, &hand_over).await;
        assert_eq!(again, StatusCode::CONFLICT, "{refusal}");
        assert!(refusal.to_string().contains(case_id), "{refusal}");
        let (hidden, _) = app.get(&escalations, Some(&partner)).await;
        assert_eq!(hidden, StatusCode::NOT_FOUND);
    }
}
