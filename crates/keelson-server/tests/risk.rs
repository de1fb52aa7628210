//! ISO/SAE 21434 risk determination through the real router: the two
//! feasibility approaches, the configured matrix, refusals with the field
//! and reason, and TLP on both routes (404 for a case above the reader).

mod support;

use axum::http::StatusCode;
use keelson_core::Role;
use keelson_core::risk::{RawRiskMatrix, RiskMatrix};
use keelson_server::config::Config;
use serde_json::{Value, json};
use support::{TestApp, error_code};

/// A case on one build, opened and marked affected by `token`'s user.
async fn case_on_build(app: &TestApp, token: &str) -> String {
    let build = json!({"id": "tcu-4.2.0", "ecu": "tcu", "firmware_version": "4.2",
                       "marking": {"tlp": "GREEN"}});
    let (status, answer) = app.post("/api/v1/builds", token, &build).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let case = json!({
        "title": "TCU OTA client skips signature check",
        "intake": {"kind": "manual"},
        "vulnerability_ids": ["CVE-2024-3094"],
        "builds": [{"build_id": "tcu-4.2.0", "status": "affected"}],
    });
    let (status, case) = app.post("/api/v1/cases", token, &case).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case["id"].as_str().unwrap_or_default().to_owned()
}

fn impacts(safety: &str) -> Value {
    json!({"safety": safety, "financial": "moderate", "operational": "negligible",
           "privacy": "negligible"})
}

fn risk_path(case: &str) -> String {
    format!("/api/v1/cases/{case}/builds/tcu-4.2.0/risk")
}

#[tokio::test]
async fn both_approaches_give_the_annex_values() {
    let app = TestApp::new().await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    let case = case_on_build(&app, &bob).await;

    // Annex G.2: 1 + 3 + 3 + 1 + 4 = 12, high; Annex H: major at high is 4.
    let potential = json!({"impacts": impacts("major"), "feasibility": {
        "method": "attack_potential", "elapsed_time": "up_to_one_week",
        "specialist_expertise": "proficient", "item_knowledge": "restricted",
        "window_of_opportunity": "easy", "equipment": "specialized"}});
    let (status, answer) = app.put(&risk_path(&case), &bob, &potential).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["outcome"], "added");
    let found = &answer["risk"]["determination"];
    assert_eq!(
        (
            &found["attack_potential"],
            &found["feasibility_rating"],
            &found["risk_value"]
        ),
        (&json!(12), &json!("high"), &json!(4))
    );

    // Annex G.3: AV:P/AC:L/PR:N/UI:N gives E = 0.91, very low; Annex H:
    // severe at very low is 2.
    let vector = json!({"impacts": impacts("severe"), "feasibility": {
        "method": "cvss", "vector": "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}});
    let (status, answer) = app.put(&risk_path(&case), &bob, &vector).await;
    assert_eq!(
        (status, &answer["outcome"]),
        (StatusCode::OK, &json!("changed"))
    );
    let found = &answer["risk"]["determination"];
    assert_eq!(
        (
            &found["exploitability"],
            &found["feasibility_rating"],
            &found["risk_value"]
        ),
        (&json!(0.91), &json!("very_low"), &json!(2))
    );

    let (status, list) = app
        .get(&format!("/api/v1/cases/{case}/risks"), Some(&bob))
        .await;
    assert_eq!(
        (status, &list["total"]),
        (StatusCode::OK, &json!(1)),
        "{list}"
    );
    assert_eq!(list["items"][0]["determination"]["risk_value"], 2);
    let (_, history) = app
        .get(&format!("/api/v1/cases/{case}/history"), Some(&bob))
        .await;
    let risk_entries = history["items"]
        .as_array()
        .map(|items| items.iter().filter(|e| e["action"] == "case.risk").count());
    assert_eq!(risk_entries, Some(2));
}

#[tokio::test]
async fn the_configured_matrix_decides_the_value() {
    let matrix = RiskMatrix::try_from(RawRiskMatrix {
        severe: vec![5, 5, 5, 5],
        major: vec![4, 4, 4, 4],
        moderate: vec![3, 3, 3, 3],
        negligible: vec![1, 1, 1, 1],
    });
    let config = Config {
        risk_matrix: matrix.unwrap_or_default(),
        ..Config::default()
    };
    let app = TestApp::with_config(config).await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    let case = case_on_build(&app, &bob).await;
    let vector = json!({"impacts": impacts("severe"), "feasibility": {
        "method": "cvss", "vector": "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}});
    let (status, answer) = app.put(&risk_path(&case), &bob, &vector).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // The default matrix would say 2 (see above); this one says 5.
    assert_eq!(answer["risk"]["determination"]["risk_value"], 5);
    assert_eq!(
        answer["risk"]["determination"]["matrix"]["severe"],
        json!([5, 5, 5, 5])
    );
}

#[tokio::test]
async fn bad_inputs_are_refused_with_the_field_and_reason() {
    let app = TestApp::new().await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    let case = case_on_build(&app, &bob).await;

    let v2 = json!({"impacts": impacts("severe"), "feasibility": {
        "method": "cvss", "vector": "AV:N/AC:L/Au:N/C:P/I:P/A:P"}});
    let (status, answer) = app.put(&risk_path(&case), &bob, &v2).await;
    assert_eq!(
        (status, error_code(&answer)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("v3.0 or v3.1"), "{message}");

    let typo = json!({"impacts": impacts("fatal"), "feasibility": {
        "method": "cvss", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}});
    let (status, answer) = app.put(&risk_path(&case), &bob, &typo).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("fatal"), "{message}");
}

#[tokio::test]
async fn a_case_above_the_reader_hides_its_risks() {
    let app = TestApp::new().await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    let pat = app.token_for("pat", Role::Partner, Some("acme")).await;
    let case = case_on_build(&app, &bob).await;
    let vector = json!({"impacts": impacts("severe"), "feasibility": {
        "method": "cvss", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}});
    let (status, _) = app.put(&risk_path(&case), &bob, &vector).await;
    assert_eq!(status, StatusCode::OK);

    // The case is AMBER and shared with no partner organisation.
    let (status, _) = app
        .get(&format!("/api/v1/cases/{case}/risks"), Some(&pat))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A partner may not work cases at all, whatever it may read.
    let (status, _) = app.put(&risk_path(&case), &pat, &vector).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
