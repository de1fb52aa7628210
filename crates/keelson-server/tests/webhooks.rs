//! Webhooks against a real HTTP receiver on a local port: a case
//! transition is POSTed with its HMAC-SHA256 signature (checked with
//! Python's `hmac` module, not with Keelson's code), retried on the
//! injected schedule until the receiver accepts it, each attempt recorded
//! and listed; a record above the subscriber's `max_tlp` is not sent.

mod support;

use std::sync::Arc;

use axum::http::StatusCode;
use keelson_core::Role;
use keelson_server::config::Config;
use keelson_server::webhooks::{EventKind, WebhookSubscription};
use serde_json::{Value, json};
use support::TestApp;
use support::receiver::{Receiver, python_signature, start_receiver};
use tokio::sync::Mutex;

const SECRET: &str = "hook-secret-7f3a";

fn config(url: &str, retries: usize) -> Config {
    Config {
        webhooks: vec![WebhookSubscription {
            url: url.to_owned(),
            secret: SECRET.to_owned(),
            events: vec![EventKind::CaseTransition],
            max_tlp: keelson_core::Tlp::Amber,
        }],
        // No waiting between attempts: the test does not depend on time.
        webhook_retry_secs: vec![0; retries],
        ..Config::default()
    }
}

async fn open_and_triage(app: &TestApp, token: &str, tlp: &str) -> String {
    let case = json!({"title": "OTA client skips the signature check",
                      "intake": {"kind": "manual"}, "vulnerability_ids": ["CVE-2024-3094"],
                      "marking": {"tlp": tlp}});
    let (_, case) = app.post("/api/v1/cases", token, &case).await;
    let id = case["id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/api/v1/cases/{id}/transitions");
    let (status, answer) = app
        .post(
            &path,
            token,
            &json!({"to": "triage", "reason": "reproduced"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    id
}

#[tokio::test]
async fn a_transition_is_signed_retried_until_accepted_and_recorded() {
    let receiver = Arc::new(Mutex::new(Receiver {
        refuse_first: 2,
        ..Receiver::default()
    }));
    let url = start_receiver(receiver.clone()).await;
    let app = TestApp::with_config(config(&url, 3)).await;
    let admin = app.token_for("root", Role::Admin, None).await;

    let id = open_and_triage(&app, &admin, "AMBER").await;
    app.state.notifier.flush().await;

    let receiver = receiver.lock().await;
    assert_eq!(receiver.seen.len(), 3, "two refusals, then accepted");
    let (signature, body) = &receiver.seen[2];
    assert_eq!(signature, &python_signature(SECRET, body));
    assert!(
        receiver.seen.iter().all(|seen| &seen.1 == body),
        "every retry sends the same bytes"
    );
    let payload: Value = serde_json::from_str(body).expect("JSON body");
    assert_eq!(payload["event"], "case.transition");
    assert_eq!(
        (
            &payload["data"]["case_id"],
            &payload["data"]["from"],
            &payload["data"]["to"]
        ),
        (&json!(id), &json!("received"), &json!("triage"))
    );

    let (status, list) = app.get("/api/v1/webhooks/deliveries", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    let delivery = &list["items"][0];
    assert_eq!(
        (&delivery["status"], &delivery["attempts"]),
        (&json!("delivered"), &json!(3))
    );
    assert_eq!(delivery["id"], payload["id"]);
}

#[tokio::test]
async fn a_receiver_that_never_accepts_fails_the_delivery_after_the_schedule() {
    let receiver = Arc::new(Mutex::new(Receiver {
        refuse_first: usize::MAX,
        ..Receiver::default()
    }));
    let url = start_receiver(receiver.clone()).await;
    let app = TestApp::with_config(config(&url, 2)).await;
    let admin = app.token_for("root", Role::Admin, None).await;

    open_and_triage(&app, &admin, "GREEN").await;
    app.state.notifier.flush().await;

    assert_eq!(
        receiver.lock().await.seen.len(),
        3,
        "the first attempt and two retries"
    );
    let (_, list) = app
        .get("/api/v1/webhooks/deliveries?status=failed", Some(&admin))
        .await;
    let delivery = &list["items"][0];
    assert_eq!(
        (&delivery["attempts"], &delivery["last_status_code"]),
        (&json!(3), &json!(503))
    );
    assert_eq!(delivery["last_error"], "answered 503 Service Unavailable");
}

#[tokio::test]
async fn a_record_above_the_subscriber_is_not_sent() {
    let receiver = Arc::new(Mutex::new(Receiver::default()));
    let url = start_receiver(receiver.clone()).await;
    let app = TestApp::with_config(config(&url, 0)).await;
    let admin = app.token_for("root", Role::Admin, None).await;

    // The subscriber's max_tlp is AMBER.
    open_and_triage(&app, &admin, "AMBER+STRICT").await;
    app.state.notifier.flush().await;
    assert!(receiver.lock().await.seen.is_empty());
    let (_, list) = app.get("/api/v1/webhooks/deliveries", Some(&admin)).await;
    assert_eq!(list["total"], 0);
    let (status, refused) = app
        .get("/api/v1/webhooks/deliveries?status=sent", Some(&admin))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    let (status, _) = app.get("/api/v1/webhooks/deliveries", Some(&bob)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// The PyPI `requests` OSV record of the corpus (CVE-2023-32681, affected
/// up to its last listed version 2.9.2 among others) and a one-entry KEV
/// catalogue naming that CVE, written here for the test.
async fn knowledge_base_with_a_kev_entry(app: &TestApp) -> bool {
    let Some(record) =
        keelson_testkit::corpus_path("osv/osv-schema/tools/osv-linter/testdata/PYSEC-2023-74.json")
    else {
        return false;
    };
    let osv = std::fs::read(&record).expect("read record");
    let kev = br#"{"catalogVersion": "test", "vulnerabilities": [
        {"cveID": "CVE-2023-32681", "dateAdded": "2023-06-01"}]}"#
        .to_vec();
    for (kind, name, bytes) in [("osv", "PYSEC-2023-74.json", osv), ("kev", "kev.json", kev)] {
        use sha2::Digest;
        let file = keelson_store::feeds::FeedFile {
            sha256: hex::encode(sha2::Sha256::digest(&bytes)),
            kind: kind.to_owned(),
            name: name.to_owned(),
            bytes,
        };
        app.store.store_feed_file("test", file).await.expect("feed");
    }
    true
}

#[tokio::test]
async fn a_newly_attached_sbom_announces_its_kev_finding_once() {
    let receiver = Arc::new(Mutex::new(Receiver::default()));
    let url = start_receiver(receiver.clone()).await;
    let mut config = config(&url, 0);
    config.webhooks[0].events = vec![EventKind::KevFinding];
    let app = TestApp::with_config(config).await;
    if !knowledge_base_with_a_kev_entry(&app).await {
        return;
    }
    let admin = app.token_for("root", Role::Admin, None).await;
    let build = json!({"id": "hu-1.0", "ecu": "hu", "firmware_version": "1.0",
                       "marking": {"tlp": "GREEN"}});
    assert_eq!(
        app.post("/api/v1/builds", &admin, &build).await.0,
        StatusCode::CREATED
    );
    let sbom = json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                      "components": [{"type": "library", "bom-ref": "requests", "name": "requests",
                                      "version": "2.9.2", "purl": "pkg:pypi/requests@2.9.2"}]});

    let (status, answer) = app.post("/api/v1/builds/hu-1.0/sbom", &admin, &sbom).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let (status, _) = app.post("/api/v1/builds/hu-1.0/sbom", &admin, &sbom).await;
    assert_eq!(status, StatusCode::OK, "the same SBOM again");
    // Another document of the build that lists the same component again:
    // its finding is not new, so it is not announced again.
    let mut second = sbom.clone();
    second["serialNumber"] = json!("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79");
    let (status, answer) = app
        .post("/api/v1/builds/hu-1.0/sbom", &admin, &second)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    app.state.notifier.flush().await;

    let receiver = receiver.lock().await;
    assert_eq!(receiver.seen.len(), 1, "announced once");
    let (signature, body) = &receiver.seen[0];
    assert_eq!(signature, &python_signature(SECRET, body));
    let payload: Value = serde_json::from_str(body).expect("JSON body");
    assert_eq!(payload["event"], "finding.kev");
    assert_eq!(payload["data"]["vulnerability"], "CVE-2023-32681");
    assert_eq!(payload["data"]["build_id"], "hu-1.0");
}

#[tokio::test]
async fn publishing_an_advisory_announces_each_revision() {
    let receiver = Arc::new(Mutex::new(Receiver::default()));
    let url = start_receiver(receiver.clone()).await;
    let mut config = config(&url, 0);
    config.webhooks[0].events = vec![EventKind::AdvisoryPublished];
    let app = TestApp::with_config(config).await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let build = json!({"id": "tcu-4.2.0", "ecu": "tcu", "firmware_version": "4.2.0",
                       "marking": {"tlp": "GREEN"}});
    assert_eq!(
        app.post("/api/v1/builds", &admin, &build).await.0,
        StatusCode::CREATED
    );
    let case = json!({"title": "OTA client skips the signature check",
                      "intake": {"kind": "manual"}, "vulnerability_ids": ["CVE-2024-3094"],
                      "marking": {"tlp": "GREEN"},
                      "builds": [{"build_id": "tcu-4.2.0", "status": "affected"}]});
    let (status, case) = app.post("/api/v1/cases", &admin, &case).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_str().unwrap_or_default().to_owned();

    let path = format!("/api/v1/cases/{id}/csaf");
    for summary in ["Initial release.", "Fix rolled out."] {
        let (status, answer) = app.post(&path, &admin, &json!({"summary": summary})).await;
        assert_eq!(status, StatusCode::CREATED, "{summary}: {answer}");
    }
    // A preview is no publication.
    assert_eq!(app.get(&path, Some(&admin)).await.0, StatusCode::OK);
    app.state.notifier.flush().await;

    let receiver = receiver.lock().await;
    assert_eq!(receiver.seen.len(), 2, "one announcement per revision");
    let mut revisions = Vec::new();
    for (signature, body) in &receiver.seen {
        assert_eq!(signature, &python_signature(SECRET, body));
        let payload: Value = serde_json::from_str(body).expect("JSON body");
        assert_eq!(payload["event"], "advisory.published");
        let data = &payload["data"];
        assert_eq!(data["case_id"], json!(id));
        assert_eq!(data["advisory_id"], json!(format!("KEELSON-CASE-{id}")));
        assert_eq!(data["tlp"], "GREEN");
        revisions.push(data["revision"].as_i64());
    }
    revisions.sort_unstable();
    assert_eq!(revisions, [Some(1), Some(2)]);
}
