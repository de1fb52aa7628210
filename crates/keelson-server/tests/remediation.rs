//! Remediation packages and compensating controls through the real
//! router: the vehicles on the fixed build counted from the inventory's
//! current installations (and only those the reader may see), a plan's
//! refusal naming the field, expired controls, and a case above the
//! reader hiding all of it.

mod support;

use axum::http::StatusCode;
use keelson_core::Role;
use serde_json::{Value, json};
use support::TestApp;

/// Three vehicles with a TCU on `tcu-a`: v1 and v2 GREEN, v3 AMBER shared
/// with no partner.
async fn fleet(app: &TestApp, admin: &str) {
    let records = [
        (
            "/api/v1/vehicles",
            json!({"id": "v1", "marking": {"tlp": "GREEN"}}),
        ),
        (
            "/api/v1/vehicles",
            json!({"id": "v2", "marking": {"tlp": "GREEN"}}),
        ),
        (
            "/api/v1/vehicles",
            json!({"id": "v3", "marking": {"tlp": "AMBER"}}),
        ),
        (
            "/api/v1/ecus",
            json!({"id": "tcu", "name": "Telematics", "marking": {"tlp": "GREEN"}}),
        ),
        (
            "/api/v1/builds",
            json!({"id": "tcu-a", "ecu": "tcu", "firmware_version": "1",
                                  "marking": {"tlp": "GREEN"}}),
        ),
        (
            "/api/v1/builds",
            json!({"id": "tcu-b", "ecu": "tcu", "firmware_version": "2",
                                  "marking": {"tlp": "GREEN"}}),
        ),
    ];
    for (path, body) in records {
        let (status, answer) = app.post(path, admin, &body).await;
        assert_eq!(status, StatusCode::CREATED, "{path}: {answer}");
    }
    for vehicle in ["v1", "v2", "v3"] {
        install(app, admin, vehicle, "tcu-a", "2026-01-01T00:00:00Z").await;
    }
}

async fn install(app: &TestApp, token: &str, vehicle: &str, build: &str, at: &str) {
    let body = json!({"ecu": "tcu", "build_id": build, "installed_at": at,
                      "marking": {"tlp": "GREEN"}});
    let path = format!("/api/v1/vehicles/{vehicle}/builds");
    let (status, answer) = app.put(&path, token, &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

fn plan(status: &str) -> Value {
    json!({
        "title": "TCU 2 with signed OTA",
        "fixes": [{"kind": "software_build", "reference": "tcu-b"},
                  {"kind": "backend_change", "reference": "ota-backend#812"}],
        "verifications": [{"platform": "MQB", "status": status}],
        "phases": [{"phase": "lab", "starts_on": "2026-12-01", "ends_on": "2026-12-10",
                    "target_vehicles": 2},
                   {"phase": "pilot", "starts_on": "2026-12-11", "target_vehicles": 50}],
    })
}

#[tokio::test]
async fn the_vehicles_on_the_fixed_build_come_from_the_inventory() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let pat = app.token_for("pat", Role::Partner, Some("acme")).await;
    fleet(&app, &admin).await;
    let case = json!({"title": "OTA client skips the signature check",
                      "intake": {"kind": "manual"}, "vulnerability_ids": ["CVE-2024-3094"],
                      "marking": {"tlp": "GREEN"}});
    let (_, case) = app.post("/api/v1/cases", &admin, &case).await;
    let path = format!(
        "/api/v1/cases/{}/remediation",
        case["id"].as_str().unwrap_or_default()
    );

    let (status, package) = app.post(&path, &admin, &plan("pending")).await;
    assert_eq!(status, StatusCode::CREATED, "{package}");
    assert_eq!(
        package["vehicles_on_fixed_builds"], 0,
        "no vehicle runs tcu-b yet"
    );

    for vehicle in ["v1", "v3"] {
        install(&app, &admin, vehicle, "tcu-b", "2026-12-02T00:00:00Z").await;
    }
    let one = format!("{path}/{}", package["id"].as_str().unwrap_or_default());
    let (status, updated) = app.put(&one, &admin, &plan("passed")).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["verifications"][0]["status"], "passed");
    // v1 and v3 run tcu-b now; a partner does not see the AMBER v3.
    assert_eq!(updated["vehicles_on_fixed_builds"], 2);
    let (_, list) = app.get(&path, Some(&pat)).await;
    assert_eq!(list["items"][0]["vehicles_on_fixed_builds"], 1, "{list}");
    assert_eq!(list["items"][0]["phases"][1]["target_vehicles"], 50);

    let mut backwards = plan("passed");
    backwards["phases"][1]["phase"] = json!("lab");
    let (status, refused) = app.put(&one, &admin, &backwards).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("phases[1].phase"), "{message}");
}

#[tokio::test]
async fn controls_show_expired_and_a_hidden_case_hides_its_remediation() {
    let app = TestApp::new().await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    let pat = app.token_for("pat", Role::Partner, Some("acme")).await;
    let case = json!({"title": "OTA client skips the signature check",
                      "intake": {"kind": "manual"}, "vulnerability_ids": ["CVE-2024-3094"]});
    let (_, case) = app.post("/api/v1/cases", &bob, &case).await;
    let path = format!(
        "/api/v1/cases/{}/controls",
        case["id"].as_str().unwrap_or_default()
    );

    let lapsed = json!({"owner": "bob", "description": "Geo-fence OTA downloads",
                        "expires_on": "2020-01-31"});
    let standing = json!({"owner": "bob", "description": "Block unsigned manifests at the backend",
                          "expires_on": "2999-12-31"});
    for control in [&lapsed, &standing] {
        let (status, answer) = app.post(&path, &bob, control).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let (_, list) = app.get(&path, Some(&bob)).await;
    let expired: Vec<&Value> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| &c["expired"])
        .collect();
    assert_eq!(expired, [&json!(true), &json!(false)]);

    // The case is AMBER and shared with no partner.
    let (status, _) = app.get(&path, Some(&pat)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let remediation = path.replace("/controls", "/remediation");
    let (status, _) = app.get(&remediation, Some(&pat)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
