//! Incident playbooks through the API, on SQLite and PostgreSQL: the shipped
//! UDS playbook, imported over the API, runs by itself when telemetry forms
//! an incident of its rule (once, however many alerts follow): containment
//! recorded, the rule heightened, logs requested from every affected
//! vehicle (fulfilled by their uploads), the incident escalated, the manual
//! step left to an analyst. A webhook step is delivered to a real local
//! receiver, signed (checked with Python's `hmac`), and a failing step is
//! recorded with its reason while the run goes on. Bad playbooks are
//! answered with every problem and its line; runs are read under the
//! incident's clearance.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use keelson_core::{Marking, Role, Tlp};
use keelson_server::config::Config;
use keelson_server::webhooks::{EventKind, WebhookSubscription};
use keelson_store::fleet::Vehicle;
use keelson_store::testing::TempDir;
use serde_json::{Value, json};
use support::receiver::{Receiver, python_signature, start_receiver};
use support::{TestApp, error_code};

const SECRET: &str = "playbook-hook-5d1e";
const UDS_RULE: &str = "rules/vehicle/uds_security_access_brute_force.yml";
const UDS_PLAYBOOK: &str = "playbooks/uds_security_access_brute_force.yml";

/// Five rejected SecurityAccess keys ten seconds apart from `start`.
fn burst(prefix: &str, vehicle: &str, start: u32) -> Vec<Value> {
    (0..5)
        .map(|i| {
            let seconds = start + i * 10;
            let at = format!("2026-06-01T08:{:02}:{:02}Z", seconds / 60, seconds % 60);
            json!({"event_id": format!("{prefix}-{i}"), "vehicle_id": vehicle, "ecu": "gateway",
                   "build_id": "gw-1.2.0", "source": "uds", "kind": "uds.negative_response",
                   "vehicle_time": at, "attributes": {"service": 0x27, "nrc": 0x35}})
        })
        .collect()
}

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(keelson_testkit::repo_root().join(path)).expect("repo file")
}

/// The shipped UDS rule (marked as given) and tokens of an engineer and
/// an analyst; the rule's stored ID.
async fn setup(app: &TestApp, marking: Value) -> (String, String, String) {
    let engineer = app.token_for("dee", Role::DetectionEngineer, None).await;
    let analyst = app.token_for("ana", Role::VsocAnalyst, None).await;
    let rule = json!({"sigma": repo_file(UDS_RULE), "status": "active", "marking": marking});
    let (status, rule) = app.post("/api/v1/rules", &engineer, &rule).await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let rule_id = rule["id"].as_str().expect("rule id").to_owned();
    (engineer, analyst, rule_id)
}

async fn add_vehicles(app: &TestApp, ids: &[&str]) {
    for id in ids {
        let vehicle = Vehicle {
            id: (*id).to_owned(),
            model_id: None,
            vin_hash: None,
            region: Some("EU".to_owned()),
            marking: Marking::new(Tlp::Amber),
        };
        app.store
            .create_vehicle("test", &vehicle)
            .await
            .expect("vehicle");
    }
}

async fn post_playbook(app: &TestApp, token: &str, text: &str) -> (StatusCode, Value) {
    let request = Request::post("/api/v1/playbooks")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/yaml")
        .body(Body::from(text.to_owned()))
        .expect("request");
    app.send(request).await
}

async fn ingest(app: &TestApp, token: &str, events: &[Value]) {
    let (status, answer) = app.ingest(token, events).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    app.state.playbooks.flush().await;
}

async fn only_incident(app: &TestApp, token: &str) -> String {
    let (status, page) = app.get("/api/v1/incidents", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 1, "{page}");
    page["items"][0]["id"].as_str().expect("id").to_owned()
}

async fn runs(app: &TestApp, token: &str, incident: &str) -> Vec<Value> {
    let path = format!("/api/v1/incidents/{incident}/playbook-runs");
    let (status, runs) = app.get(&path, Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{runs}");
    runs.as_array().cloned().unwrap_or_default()
}

fn states(run: &Value) -> Vec<(String, String)> {
    run["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|step| {
            let text = |key: &str| step[key].as_str().unwrap_or_default().to_owned();
            (text("step_id"), text("state"))
        })
        .collect()
}

#[tokio::test]
async fn a_forming_incident_runs_its_bound_playbook_once() {
    let data = TempDir::new().expect("data dir");
    let config = Config {
        data_dir: data.path.clone(),
        ..Config::default()
    };
    for app in TestApp::on_both_backends(config).await {
        let (engineer, analyst, rule_id) = setup(&app, json!({"tlp": "AMBER"})).await;
        add_vehicles(&app, &["veh-1", "veh-2", "veh-3", "veh-4"]).await;
        let (status, stored) = post_playbook(&app, &analyst, &repo_file(UDS_PLAYBOOK)).await;
        assert_eq!(status, StatusCode::CREATED, "{stored}");

        let mut events = burst("a", "veh-1", 0);
        events.extend(burst("b", "veh-2", 60));
        events.extend(burst("c", "veh-3", 120));
        ingest(&app, &engineer, &events).await;

        let incident = only_incident(&app, &analyst).await;
        let all = runs(&app, &analyst, &incident).await;
        assert_eq!(all.len(), 1, "{all:#?}");
        let run = &all[0];
        assert_eq!(run["trigger"], "automatic");
        assert_eq!(run["playbook_id"], "uds-security-access-brute-force");
        let expected = [
            ("block-remote-diagnostics", "done"),
            ("heighten-rule", "done"),
            ("request-gateway-logs", "done"),
            ("ask-dealer-network", "pending"),
            ("escalate-fleet-wide", "done"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(id, state)| ((*id).to_owned(), (*state).to_owned()))
            .collect();
        assert_eq!(states(run), expected, "{run:#}");
        assert_eq!(run["state"], "waiting");
        assert_eq!(run["steps"][0]["actor"], "system");

        let containment_path = format!("/api/v1/incidents/{incident}/containment");
        let (_, notes) = app.get(&containment_path, Some(&analyst)).await;
        assert_eq!(notes.as_array().map(Vec::len), Some(1), "{notes}");
        assert_eq!(
            notes[0]["action"],
            "Remote diagnostic sessions refused by the backend"
        );
        assert_eq!(notes[0]["recorded_by"], "system");
        assert!(notes[0]["expires_at"].is_string(), "{notes}");

        let (_, rule) = app
            .get(&format!("/api/v1/rules/{rule_id}"), Some(&engineer))
            .await;
        assert_eq!(rule["status"], "heightened", "{rule}");

        let escalation = app
            .store
            .escalation_of_incident(&incident)
            .await
            .expect("read");
        let escalation = escalation.expect("the escalate step escalated the incident");
        assert_eq!(escalation.summary["vehicles_affected"], 3);
        assert!(
            run["steps"][4]["detail"]
                .as_str()
                .is_some_and(|detail| detail.contains(&escalation.case_id)),
            "{run:#}"
        );

        log_requests_are_fulfilled_by_uploads(&app, &engineer, &incident).await;
        manual_steps_are_settled_by_an_analyst(&app, &analyst, &incident, run).await;

        ingest(&app, &engineer, &burst("d", "veh-4", 180)).await;
        assert_eq!(only_incident(&app, &analyst).await, incident);
        assert_eq!(runs(&app, &analyst, &incident).await.len(), 1, "ran twice");
        let direct = app.state.playbooks.run_bound_playbooks(&incident).await;
        assert!(direct.expect("run bound playbooks").is_empty(), "ran twice");
        assert!(app.store.verify_audit_chain().await.expect("verify").ok);
    }
}

async fn log_requests_are_fulfilled_by_uploads(app: &TestApp, tcu: &str, incident: &str) {
    let open = "/api/v1/vehicles/veh-2/log-requests?state=open";
    let (status, page) = app.get(open, Some(tcu)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["items"][0]["incident_id"], incident);
    assert_eq!(
        page["items"][0]["note"],
        "Upload the gateway's DLT log covering the last 24 hours"
    );
    let (_, unrelated) = app
        .get("/api/v1/vehicles/veh-4/log-requests", Some(tcu))
        .await;
    assert_eq!(unrelated["total"], 0, "{unrelated}");

    let capture = b"(1700000000.000000) can0 123#DEADBEEF\n".to_vec();
    let request = Request::post("/api/v1/vehicles/veh-2/logs?format=candump")
        .header(header::AUTHORIZATION, format!("Bearer {tcu}"))
        .body(Body::from(capture))
        .expect("request");
    let (status, upload) = app.send(request).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{upload}");

    let (_, still_open) = app.get(open, Some(tcu)).await;
    assert_eq!(still_open["total"], 0, "{still_open}");
    let (_, all) = app
        .get("/api/v1/vehicles/veh-2/log-requests", Some(tcu))
        .await;
    assert_eq!(all["items"][0]["state"], "fulfilled");
    assert_eq!(all["items"][0]["upload_id"], upload["job"]);
    let (_, bad) = app
        .get(
            "/api/v1/vehicles/veh-2/log-requests?state=closed",
            Some(tcu),
        )
        .await;
    assert_eq!(error_code(&bad), "bad_request");
}

async fn manual_steps_are_settled_by_an_analyst(
    app: &TestApp,
    analyst: &str,
    incident: &str,
    run: &Value,
) {
    let run_id = run["id"].as_str().expect("run id");
    let step = |id: &str| format!("/api/v1/incidents/{incident}/playbook-runs/{run_id}/steps/{id}");
    let ticked = json!({"outcome": "done", "note": "no tester was connected"});

    let (status, settled) = app
        .post(&step("ask-dealer-network"), analyst, &ticked)
        .await;
    let (again, _) = app
        .post(&step("ask-dealer-network"), analyst, &ticked)
        .await;
    let (automated, body) = app.post(&step("heighten-rule"), analyst, &ticked).await;
    let (bad, _) = app
        .post(
            &step("ask-dealer-network"),
            analyst,
            &json!({"outcome": "maybe", "note": "x"}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{settled}");
    assert_eq!(settled["actor"], "ana");
    assert_eq!(settled["detail"], "no tester was connected");
    assert_eq!(again, StatusCode::CONFLICT);
    assert_eq!(automated, StatusCode::CONFLICT, "{body}");
    assert_eq!(bad, StatusCode::UNPROCESSABLE_ENTITY);
    let path = format!("/api/v1/incidents/{incident}/playbook-runs/{run_id}");
    let (_, read) = app.get(&path, Some(analyst)).await;
    assert_eq!(read["state"], "completed", "{read:#}");
}

fn webhook_playbook(url: &str) -> String {
    format!(
        "id: notify\ntitle: Notify the SOC\nversion: 1\nbindings:\n  - rule: 6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f02\n\
         steps:\n  - id: call-soc\n    kind: webhook\n    url: {url}\n\
         \x20 - id: call-nobody\n    kind: webhook\n    url: http://127.0.0.1:9/unconfigured\n\
         \x20 - id: contain\n    kind: containment\n    action: OTA campaigns paused\n    scope: gw-1.2.0\n"
    )
}

#[tokio::test]
async fn a_webhook_step_is_signed_and_a_failed_step_does_not_stop_the_run() {
    let receiver = Receiver::refusing(1);
    let url = start_receiver(receiver.clone()).await;
    let config = Config {
        webhooks: vec![WebhookSubscription {
            url: url.clone(),
            secret: SECRET.to_owned(),
            events: vec![EventKind::PlaybookStep],
            max_tlp: Tlp::Amber,
        }],
        webhook_retry_secs: vec![0],
        ..Config::default()
    };
    let app = TestApp::with_config(config).await;
    let (engineer, analyst, _) = setup(&app, json!({"tlp": "AMBER"})).await;
    let (status, stored) = post_playbook(&app, &analyst, &webhook_playbook(&url)).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");

    ingest(&app, &engineer, &burst("a", "veh-1", 0)).await;

    let incident = only_incident(&app, &analyst).await;
    let run = runs(&app, &analyst, &incident).await.remove(0);
    let outcome: Vec<(String, String)> = states(&run);
    assert_eq!(
        outcome[0],
        ("call-soc".to_owned(), "done".to_owned()),
        "{run:#}"
    );
    assert_eq!(outcome[1], ("call-nobody".to_owned(), "failed".to_owned()));
    assert_eq!(outcome[2], ("contain".to_owned(), "done".to_owned()));
    let reason = run["steps"][1]["detail"].as_str().unwrap_or_default();
    assert!(reason.contains("no [[webhooks]] subscription"), "{reason}");
    assert!(
        run["steps"][0]["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("after 2 attempts")
    );

    let seen = receiver.lock().await;
    assert_eq!(seen.seen.len(), 2, "one refused attempt and its retry");
    let (signature, body) = &seen.seen[1];
    assert_eq!(signature, &python_signature(SECRET, body));
    assert_eq!(&seen.seen[0].1, body, "a retry sends the same bytes");
    let payload: Value = serde_json::from_str(body).expect("JSON body");
    assert_eq!(payload["event"], "playbook.step");
    assert_eq!(payload["data"]["incident"]["id"], incident.as_str());
    assert_eq!(payload["data"]["step_id"], "call-soc");
    assert_eq!(payload["data"]["vehicles_affected"], 1);
}

#[tokio::test]
async fn a_bad_playbook_is_answered_with_every_problem_and_its_line() {
    let app = TestApp::new().await;
    let analyst = app.token_for("ana", Role::VsocAnalyst, None).await;
    let partner = app.token_for("pat", Role::Partner, Some("tier1")).await;
    let text = "id: broken\ntitle: Broken\nversion: 1\nbindings: []\nsteps:\n  - id: a\n    kind: webhook\n    url: ftp://x\n  - id: b\n    kind: escalate\n    when: vehicle_count >= many\n";

    let (status, answer) = post_playbook(&app, &analyst, text).await;
    let (forbidden, _) = post_playbook(&app, &partner, &repo_file(UDS_PLAYBOOK)).await;
    let (created, _) = post_playbook(&app, &analyst, &repo_file(UDS_PLAYBOOK)).await;
    let changed = repo_file(UDS_PLAYBOOK).replace("keep the rule", "keep this rule");
    let (same_version, refusal) = post_playbook(&app, &analyst, &changed).await;
    let bumped = changed.replace("version: 1", "version: 2");
    let (replaced, replacement) = post_playbook(&app, &analyst, &bumped).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let lines: Vec<u64> = answer["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|problem| problem["line"].as_u64())
        .collect();
    assert_eq!(lines, [8, 11], "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("line 11")
    );
    assert_eq!(forbidden, StatusCode::FORBIDDEN);
    assert_eq!(created, StatusCode::CREATED);
    assert_eq!(same_version, StatusCode::CONFLICT, "{refusal}");
    assert_eq!(replaced, StatusCode::OK, "{replacement}");
    assert_eq!(replacement["version"], 2);
    let (_, listed) = app.get("/api/v1/playbooks", Some(&analyst)).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["steps"], 5);
    let (_, shown) = app
        .get(
            "/api/v1/playbooks/uds-security-access-brute-force",
            Some(&analyst),
        )
        .await;
    assert_eq!(
        shown["definition"]["steps"][1]["kind"], "heighten_rule",
        "{shown}"
    );
    assert!(
        shown["source"]
            .as_str()
            .unwrap_or_default()
            .contains("keep this rule")
    );
}

#[tokio::test]
async fn runs_are_read_under_the_incident_clearance() {
    let app = TestApp::new().await;
    let marking = json!({"tlp": "RED", "named_readers": ["ana"]});
    let (engineer, analyst, _) = setup(&app, marking).await;
    let outsider = app.token_for("bob", Role::VsocAnalyst, None).await;
    let text = "id: triage\ntitle: Triage\nversion: 1\nbindings: []\nsteps:\n  - id: look\n    kind: manual\n    title: Look at the timeline\n";
    let (status, _) = post_playbook(&app, &analyst, text).await;
    assert_eq!(status, StatusCode::CREATED);
    ingest(&app, &engineer, &burst("a", "veh-1", 0)).await;
    let incident = only_incident(&app, &analyst).await;
    assert!(
        runs(&app, &analyst, &incident).await.is_empty(),
        "no binding, no run"
    );

    let start = format!("/api/v1/incidents/{incident}/playbook-runs");
    let body = json!({"playbook_id": "triage"});
    let (outsider_start, _) = app.post(&start, &outsider, &body).await;
    let (status, run) = app.post(&start, &analyst, &body).await;
    let (hidden, _) = app.get(&start, Some(&outsider)).await;
    let run_path = format!("{start}/{}", run["id"].as_str().unwrap_or_default());
    let (hidden_run, _) = app.get(&run_path, Some(&outsider)).await;
    let (unknown, _) = app
        .post(&start, &analyst, &json!({"playbook_id": "none"}))
        .await;

    assert_eq!(outsider_start, StatusCode::NOT_FOUND);
    assert_eq!(status, StatusCode::CREATED, "{run}");
    assert_eq!(run["trigger"], "manual");
    assert_eq!(run["started_by"], "ana");
    assert_eq!(run["state"], "waiting");
    assert_eq!(hidden, StatusCode::NOT_FOUND);
    assert_eq!(hidden_run, StatusCode::NOT_FOUND);
    assert_eq!(unknown, StatusCode::NOT_FOUND);
    assert_eq!(runs(&app, &analyst, &incident).await.len(), 1);
}

#[tokio::test]
async fn a_run_a_stop_interrupted_is_finished_when_the_server_starts() {
    let app = TestApp::new().await;
    let (engineer, analyst, _) = setup(&app, json!({"tlp": "AMBER"})).await;
    ingest(&app, &engineer, &burst("a", "veh-1", 0)).await;
    let incident = only_incident(&app, &analyst).await;
    let step = json!({"id": "contain", "title": "Contain", "kind": "containment",
                      "action": "Telematics unit isolated", "scope": "veh-1"});
    let new = keelson_store::playbooks::NewRun {
        incident_id: incident.clone(),
        playbook_id: "interrupted".to_owned(),
        playbook_version: 1,
        trigger: keelson_store::playbooks::Trigger::Manual,
        started_by: "ana".to_owned(),
        steps: vec![keelson_store::playbooks::NewStep {
            step_id: "contain".to_owned(),
            kind: "containment".to_owned(),
            title: "Contain".to_owned(),
            spec: step,
        }],
    };
    app.store
        .start_playbook_run("ana", &new)
        .await
        .expect("start")
        .expect("run");

    let finished = app
        .state
        .playbooks
        .resume_unfinished()
        .await
        .expect("resume");
    let again = app
        .state
        .playbooks
        .resume_unfinished()
        .await
        .expect("resume");

    assert_eq!((finished, again), (1, 0));
    let run = runs(&app, &analyst, &incident).await.remove(0);
    assert_eq!(run["state"], "completed", "{run:#}");
    let notes = app
        .store
        .incident_containments(&incident)
        .await
        .expect("notes");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].action, "Telematics unit isolated");
}
