//! Security-test findings through the API: a SARIF report attached to a build,
//! listed, and a case opened from one result; a build the reader may not see is
//! a 404.

mod support;

use keelson_core::{Marking, Role, Tlp};
use keelson_store::fleet::SoftwareBuild;
use serde_json::json;
use support::TestApp;

#[tokio::test]
async fn a_sarif_result_is_stored_on_its_build_and_opens_a_case() {
    let app = TestApp::new().await;
    let build = SoftwareBuild {
        id: "tcu-4.2.0".to_owned(),
        ecu: "tcu".to_owned(),
        firmware_version: "4.2.0".to_owned(),
        digest: None,
        marking: Marking::new(Tlp::Amber),
    };
    app.store.create_build("test", &build).await.expect("build");
    let token = app.token_for("tess", Role::PsirtEngineer, None).await;
    let report = json!({ "version": "2.1.0", "runs": [{ "tool": { "driver": { "name": "fuzzer",
        "rules": [{ "id": "CVE-2024-3094", "properties": { "security-severity": "9.8" } }] } },
        "results": [{ "ruleId": "CVE-2024-3094", "level": "error",
                      "message": { "text": "sshd accepts the backdoor key" } }] }] });

    let path = "/api/v1/builds/tcu-4.2.0/security-findings";
    let (status, imported) = app.post(path, &token, &report).await;
    assert_eq!(status, 200, "{imported}");
    assert_eq!(imported["stored"][0]["severity"], "critical");
    let (_, listed) = app.get(path, Some(&token)).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    let id = listed[0]["id"].as_str().unwrap_or_default().to_owned();

    let (status, case) = app
        .post(&format!("{path}/{id}/case"), &token, &json!({}))
        .await;
    assert_eq!(status, 201, "{case}");
    assert_eq!(case["intake"]["kind"], "security_test");
    assert_eq!(case["vulnerability_ids"], json!(["CVE-2024-3094"]));
    assert_eq!(case["severity"], "critical");

    let (status, bad) = app.post(path, &token, &json!({ "version": "1" })).await;
    assert_eq!(status, 422, "{bad}");
    let partner = app.token_for("pat", Role::Partner, Some("other")).await;
    let (status, _) = app.get(path, Some(&partner)).await;
    assert_eq!(status, 404);
}
