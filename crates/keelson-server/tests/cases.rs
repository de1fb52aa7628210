//! PSIRT cases through the real router: the workflow with its refusals,
//! the history read from the audit log, one case per vulnerability across
//! builds, and TLP on every case path (404 for a case above the reader).

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use keelson_core::Role;
use serde_json::{Value, json};
use support::{TestApp, error_code};

async fn add_build(app: &TestApp, token: &str, id: &str) {
    let body =
        json!({"id": id, "ecu": "tcu", "firmware_version": "4.2", "marking": {"tlp": "GREEN"}});
    let (status, answer) = app.post("/api/v1/builds", token, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
}

fn case_body(cve: &str, builds: Value) -> Value {
    json!({
        "title": "TCU OTA client skips signature check",
        "intake": {"kind": "finding", "source": "finding-42"},
        "vulnerability_ids": [cve],
        "severity": "high",
        "builds": builds,
    })
}

async fn open_case(app: &TestApp, token: &str, body: &Value) -> String {
    let (status, case) = app.post("/api/v1/cases", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case["id"].as_str().expect("id").to_owned()
}

async fn patch(app: &TestApp, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
    let request = Request::patch(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    app.send(request).await
}

async fn transition(app: &TestApp, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    let path = format!("/api/v1/cases/{id}/transitions");
    app.post(&path, token, &body).await
}

#[tokio::test]
async fn a_case_moves_through_its_workflow_and_its_history_is_the_audit_log() {
    let app = TestApp::new().await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    app.token_for("ana", Role::PsirtEngineer, None).await;
    add_build(&app, &bob, "tcu-4.2.0").await;
    let body = case_body("CVE-2024-3094", json!([]));
    let id = open_case(&app, &bob, &body).await;

    for (to, reason) in [
        ("triage", "reproduced on the bench"),
        ("analysis", "root cause known"),
    ] {
        let (status, case) = transition(&app, &bob, &id, json!({"to": to, "reason": reason})).await;
        assert_eq!(
            (status, case["state"].as_str()),
            (StatusCode::OK, Some(to)),
            "{case}"
        );
    }
    let (status, refused) = transition(
        &app,
        &bob,
        &id,
        json!({"to": "closed", "reason": "shipped"}),
    )
    .await;
    assert_eq!(
        (status, error_code(&refused)),
        (StatusCode::CONFLICT, "invalid_transition")
    );
    assert_eq!(
        refused["error"]["message"],
        "a case in analysis cannot move to closed: it may move to remediation, \
         not_affected, duplicate or rejected"
    );

    let path = format!("/api/v1/cases/{id}");
    let (status, _) = patch(
        &app,
        &path,
        &bob,
        &json!({"severity": "critical", "owner": "ana"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let build = json!({"status": "affected", "reason": "version in range"});
    let (status, answer) = app
        .put(&format!("{path}/builds/tcu-4.2.0"), &bob, &build)
        .await;
    assert_eq!(
        (status, &answer["outcome"]),
        (StatusCode::OK, &json!("added")),
        "{answer}"
    );
    let comment = json!({"body": "Supplier notified."});
    assert_eq!(
        app.post(&format!("{path}/comments"), &bob, &comment)
            .await
            .0,
        StatusCode::CREATED
    );
    let task = json!({"title": "Draft the advisory", "assignee": "ana"});
    assert_eq!(
        app.post(&format!("{path}/tasks"), &bob, &task).await.0,
        StatusCode::CREATED
    );

    let (status, history) = app.get(&format!("{path}/history"), Some(&bob)).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let items = history["items"].as_array().cloned().unwrap_or_default();
    let actions: Vec<&str> = items.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions,
        [
            "case.create",
            "case.transition",
            "case.transition",
            "case.update",
            "case.build_status",
            "case.comment",
            "case.task.create"
        ]
    );
    assert_eq!(
        items[1]["detail"],
        json!({"from": "received", "to": "triage", "reason": "reproduced on the bench"})
    );
    assert_eq!(items[1]["actor"], "bob");
    assert_eq!(history["total"], 7);

    // The same entries, in the same order, as the audit log itself lists them.
    let admin = app.token_for("root", Role::Admin, None).await;
    let audit_path = format!("/api/v1/audit?object_type=case&object_id={id}");
    let (_, audit) = app.get(&audit_path, Some(&admin)).await;
    let mut audit_seqs: Vec<i64> = audit
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["seq"].as_i64())
        .collect();
    audit_seqs.reverse();
    let history_seqs: Vec<i64> = items.iter().filter_map(|e| e["seq"].as_i64()).collect();
    assert_eq!(history_seqs, audit_seqs);
    let (_, chain) = app.get("/api/v1/audit/verify", Some(&admin)).await;
    assert_eq!(chain["ok"], true, "{chain}");

    let (_, detail) = app.get(&path, Some(&bob)).await;
    assert_eq!(detail["severity"], "critical");
    assert_eq!(detail["builds"][0]["status"], "affected");
    assert_eq!(detail["tasks"][0]["assignee"], "ana");
    assert_eq!(detail["comments"][0]["body"], "Supplier notified.");
}

#[tokio::test]
async fn a_transition_needs_a_reason_and_a_duplicate_its_original() {
    let app = TestApp::new().await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    let first = open_case(&app, &bob, &case_body("CVE-2024-0001", json!([]))).await;
    let second = open_case(&app, &bob, &case_body("CVE-2024-0002", json!([]))).await;

    let attempts = [
        (json!({"to": "triage"}), "reason"),
        (json!({"to": "triage", "reason": "  "}), "reason"),
        (json!({"to": "duplicate", "reason": "same"}), "duplicate_of"),
        (
            json!({"to": "duplicate", "reason": "same", "duplicate_of": "nope"}),
            "duplicate_of",
        ),
        (json!({"to": "finished", "reason": "x"}), "finished"),
    ];
    for (body, named) in attempts {
        let (status, error) = transition(&app, &bob, &second, body.clone()).await;
        assert_eq!(
            (status, error_code(&error)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            "{body}"
        );
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(named), "{named}: {message}");
    }

    let body = json!({"to": "duplicate", "reason": "same report", "duplicate_of": first});
    let (status, case) = transition(&app, &bob, &second, body).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    assert_eq!(
        (&case["state"], &case["duplicate_of"]),
        (&json!("duplicate"), &json!(first))
    );
    let (status, error) =
        transition(&app, &bob, &second, json!({"to": "triage", "reason": "x"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        error["error"]["message"],
        "a case in duplicate is finished: no transition leaves it"
    );
}

#[tokio::test]
async fn a_second_intake_of_the_vulnerability_adds_its_build_to_the_open_case() {
    let app = TestApp::new().await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    add_build(&app, &bob, "gw-1.0").await;
    add_build(&app, &bob, "gw-2.0").await;
    let first = case_body(
        "CVE-2023-4863",
        json!([{"build_id": "gw-1.0", "status": "affected"}]),
    );
    let id = open_case(&app, &bob, &first).await;

    let again = case_body(
        "cve-2023-4863",
        json!([{"build_id": "gw-2.0", "status": "under_investigation"}]),
    );
    let (status, merged) = app.post("/api/v1/cases", &bob, &again).await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["id"], json!(id));

    let (_, builds) = app
        .get(&format!("/api/v1/cases/{id}/builds"), Some(&bob))
        .await;
    let statuses: Vec<(&str, &str)> = builds["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| Some((b["build_id"].as_str()?, b["status"].as_str()?)))
        .collect();
    assert_eq!(
        statuses,
        [("gw-1.0", "affected"), ("gw-2.0", "under_investigation")]
    );
    let (_, list) = app
        .get("/api/v1/cases?vulnerability=CVE-2023-4863", Some(&bob))
        .await;
    assert_eq!(list["total"], 1);
}

/// (marking, visible to a partner of `acme`)
fn markings() -> Vec<(Value, bool)> {
    vec![
        (json!({"tlp": "CLEAR"}), true),
        (json!({"tlp": "GREEN"}), true),
        (json!({"tlp": "AMBER", "shared_with_orgs": ["acme"]}), true),
        (
            json!({"tlp": "AMBER", "shared_with_orgs": ["globex"]}),
            false,
        ),
        (json!({"tlp": "AMBER+STRICT"}), false),
        (json!({"tlp": "RED", "named_readers": ["ana"]}), false),
    ]
}

#[tokio::test]
async fn a_reader_below_a_cases_tlp_gets_404_on_every_path_of_it() {
    let app = TestApp::new().await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    let partner = app.token_for("pat", Role::Partner, Some("acme")).await;
    let mut expected_visible = Vec::new();
    for (index, (marking, visible)) in markings().into_iter().enumerate() {
        let mut body = case_body(&format!("CVE-2024-{:04}", 1000 + index), json!([]));
        body["marking"] = marking.clone();
        if marking["tlp"] == "RED" {
            // bob must stay able to read it to keep working on it.
            body["marking"]["named_readers"] = json!(["ana", "bob"]);
        }
        let id = open_case(&app, &bob, &body).await;
        let want = if visible {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        for suffix in ["", "/history", "/comments", "/tasks", "/builds"] {
            let path = format!("/api/v1/cases/{id}{suffix}");
            let (status, answer) = app.get(&path, Some(&partner)).await;
            assert_eq!(status, want, "partner reading {path} marked {marking}");
            if !visible {
                assert_eq!(error_code(&answer), "not_found");
                assert_eq!(answer["error"]["message"], format!("case {id} not found"));
            }
        }
        if visible {
            expected_visible.push(id);
        }
    }
    let (_, list) = app.get("/api/v1/cases", Some(&partner)).await;
    let mut listed: Vec<String> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|case| case["id"].as_str().map(str::to_owned))
        .collect();
    listed.sort_unstable();
    expected_visible.sort_unstable();
    assert_eq!(listed, expected_visible);
    assert_eq!(list["total"], expected_visible.len());

    // An internal analyst not named on the RED case does not see it either.
    let carol = app.token_for("carol", Role::VsocAnalyst, None).await;
    let (_, all) = app.get("/api/v1/cases", Some(&carol)).await;
    assert_eq!(all["total"], markings().len() - 1);
    let (status, _) = app
        .post(
            "/api/v1/cases",
            &partner,
            &case_body("CVE-2024-9999", json!([])),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "partners do not open cases");
}

#[tokio::test]
async fn the_case_list_filters_and_pages() {
    let app = TestApp::new().await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    let mut low = case_body("CVE-2024-0001", json!([]));
    low["severity"] = json!("low");
    let low = open_case(&app, &bob, &low).await;
    let high = open_case(&app, &bob, &case_body("CVE-2024-0002", json!([]))).await;
    transition(&app, &bob, &high, json!({"to": "triage", "reason": "seen"})).await;

    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|case| case["id"].as_str().map(str::to_owned))
            .collect()
    };
    let (_, page) = app.get("/api/v1/cases?severity=low", Some(&bob)).await;
    assert_eq!(ids(&page), [low.as_str()]);
    let (_, page) = app.get("/api/v1/cases?state=triage", Some(&bob)).await;
    assert_eq!(ids(&page), [high.as_str()]);
    let (_, first) = app.get("/api/v1/cases?limit=1", Some(&bob)).await;
    assert_eq!((&first["total"], &first["next"]), (&json!(2), &json!("1")));
    let (_, second) = app.get("/api/v1/cases?limit=1&cursor=1", Some(&bob)).await;
    assert_eq!(second["next"], Value::Null);
    let mut both = [ids(&first), ids(&second)].concat();
    both.sort_unstable();
    let mut expected = vec![low, high];
    expected.sort_unstable();
    assert_eq!(both, expected);
    let (status, error) = app.get("/api/v1/cases?state=done", Some(&bob)).await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
}

#[tokio::test]
async fn case_and_disclosure_routes_appear_in_the_openapi_document() {
    let app = TestApp::new().await;
    let (_, document) = app.get("/api/openapi.json", None).await;
    let routes = [
        ("/api/v1/cases", "get"),
        ("/api/v1/cases", "post"),
        ("/api/v1/cases/{id}", "get"),
        ("/api/v1/cases/{id}", "patch"),
        ("/api/v1/cases/{id}/transitions", "post"),
        ("/api/v1/cases/{id}/history", "get"),
        ("/api/v1/cases/{id}/comments", "post"),
        ("/api/v1/cases/{id}/tasks", "post"),
        ("/api/v1/cases/{id}/tasks/{task_id}", "patch"),
        ("/api/v1/cases/{id}/builds", "get"),
        ("/api/v1/cases/{id}/builds/{build_id}", "put"),
        ("/api/v1/disclosures", "post"),
        ("/api/v1/disclosures/{id}", "get"),
    ];
    for (path, method) in routes {
        assert!(
            document["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
}

#[tokio::test]
async fn the_audit_log_withholds_the_details_of_a_case_the_admin_may_not_read() {
    let app = TestApp::new().await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let mut red = case_body("CVE-2024-7777", json!([]));
    red["marking"] = json!({"tlp": "RED", "named_readers": ["bob"]});
    let red = open_case(&app, &bob, &red).await;
    let green = open_case(&app, &bob, &case_body("CVE-2024-7778", json!([]))).await;
    for id in [&red, &green] {
        let body = json!({"to": "triage", "reason": "exploit published for the head unit"});
        assert_eq!(transition(&app, &bob, id, body).await.0, StatusCode::OK);
    }

    let details = |id: &str| {
        let path = format!("/api/v1/audit?object_type=case&object_id={id}");
        let app = &app;
        let admin = admin.clone();
        async move {
            let (status, entries) = app.get(&path, Some(&admin)).await;
            assert_eq!(status, StatusCode::OK, "{entries}");
            entries
                .as_array()
                .into_iter()
                .flatten()
                .map(|entry| entry["detail"].clone())
                .collect::<Vec<Value>>()
        }
    };
    let hidden = details(&red).await;
    assert_eq!(hidden.len(), 2, "the entries stay listed");
    assert!(hidden.iter().all(Value::is_null), "{hidden:?}");
    let shown = details(&green).await;
    assert!(shown.iter().all(Value::is_string), "{shown:?}");
    let (status, _) = app
        .get(&format!("/api/v1/cases/{red}/history"), Some(&admin))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_case_input_is_a_422_naming_the_field() {
    let app = TestApp::new().await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    let mut bad_id = case_body("heartbleed", json!([]));
    bad_id["severity"] = json!("high");
    let mut bad_team = case_body("CVE-2024-0001", json!([]));
    bad_team["team"] = json!("marketing");
    let mut no_owner = case_body("CVE-2024-0001", json!([]));
    no_owner["owner"] = json!("nobody");
    let no_build = case_body(
        "CVE-2024-0001",
        json!([{"build_id": "no-such-build", "status": "affected"}]),
    );
    let mut blank = case_body("CVE-2024-0001", json!([]));
    blank["title"] = json!("  ");
    let mut no_intake = case_body("CVE-2024-0001", json!([]));
    no_intake
        .as_object_mut()
        .map(|fields| fields.remove("intake"));
    let attempts = [
        (bad_id, "heartbleed"),
        (bad_team, "marketing"),
        (no_owner, "owner"),
        (no_build, "no-such-build"),
        (blank, "title"),
        (no_intake, "intake"),
    ];
    for (body, named) in attempts {
        let (status, error) = app.post("/api/v1/cases", &bob, &body).await;
        assert_eq!(
            (status, error_code(&error)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            "{body}"
        );
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(named), "{named}: {message}");
    }
    let (_, list) = app.get("/api/v1/cases", Some(&bob)).await;
    assert_eq!(list["total"], 0, "nothing was opened");
}
