//! The public disclosure intake and security.txt through the real router:
//! an accepted report becomes a received case, and every kind of bad or
//! excessive request gets its own clear 4xx with nothing stored.

mod support;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use keelson_core::{Role, Tlp};
use keelson_server::config::Config;
use keelson_server::security_txt::SecurityTxt;
use serde_json::{Value, json};
use support::{TestApp, body_bytes, body_json, error_code};

struct Answer {
    status: StatusCode,
    retry_after: Option<String>,
    body: Value,
}

/// POSTs a report from `client` (an IP address) without any credentials.
async fn report_from(app: &TestApp, client: &str, content_type: &str, body: String) -> Answer {
    let peer: SocketAddr = format!("{client}:40000").parse().expect("address");
    let mut request = Request::post("/api/v1/disclosures")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("request");
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = app.respond(request).await;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = body_json(response).await;
    Answer {
        status,
        retry_after,
        body,
    }
}

async fn report(app: &TestApp, client: &str, body: &Value) -> Answer {
    report_from(app, client, "application/json", body.to_string()).await
}

fn valid_report() -> Value {
    json!({
        "title": "Gateway accepts diagnostic session while driving",
        "description": "DiagnosticSessionControl 0x10 0x03 succeeds above 20 km/h.",
        "reporter_contact": "mailto:researcher@example.org",
        "affected_product": "Central gateway 5.1",
    })
}

/// The cases an admin sees, from the API.
async fn cases(app: &TestApp) -> Vec<Value> {
    let admin = app.token_for("root", Role::Admin, None).await;
    let (_, list) = app.get("/api/v1/cases?limit=1000", Some(&admin)).await;
    list["items"].as_array().cloned().unwrap_or_default()
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn an_accepted_report_becomes_a_received_amber_case_without_login() {
    let app = TestApp::new().await;
    let mut body = valid_report();
    // CVSS v3.1 base score 6.5, which the specification rates medium.
    body["cvss_vector"] = json!("CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N");
    let answer = report(&app, "198.51.100.1", &body).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let tracking_id = answer.body["tracking_id"].as_str().expect("tracking id");

    let cases = cases(&app).await;
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert_eq!(case["state"], "received");
    assert_eq!(
        case["intake"],
        json!({"kind": "disclosure", "source": tracking_id})
    );
    assert_eq!(case["marking"]["tlp"], "AMBER");
    assert_eq!(case["severity"], "medium");
    assert_eq!(case["title"], body["title"]);

    let admin = app.token_for("ops", Role::PsirtEngineer, None).await;
    let path = format!("/api/v1/disclosures/{tracking_id}");
    let (status, stored) = app.get(&path, Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["description"], body["description"]);
    assert_eq!(stored["reporter_contact"], body["reporter_contact"]);
    assert_eq!(stored["case_id"], case["id"]);

    let partner = app.token_for("pat", Role::Partner, Some("acme")).await;
    let (status, _) = app.get(&path, Some(&partner)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "reports are for internal users"
    );
}

#[tokio::test]
async fn the_case_takes_the_configured_tlp() {
    let config = Config {
        disclosure_tlp: Tlp::AmberStrict,
        ..Config::default()
    };
    let app = TestApp::with_config(config).await;
    let answer = report(&app, "198.51.100.1", &valid_report()).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(cases(&app).await[0]["marking"]["tlp"], "AMBER+STRICT");
}

#[tokio::test]
async fn an_oversized_report_is_a_413_and_nothing_is_stored() {
    let config = Config {
        disclosure_body_limit: 512,
        ..Config::default()
    };
    let app = TestApp::with_config(config).await;
    let mut body = valid_report();
    body["description"] = json!("A".repeat(4096));
    let answer = report(&app, "198.51.100.2", &body).await;
    assert_eq!(
        (answer.status, error_code(&answer.body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    assert!(
        message(&answer.body).contains("512-byte"),
        "{}",
        answer.body
    );
    assert!(cases(&app).await.is_empty());
}

#[tokio::test]
async fn malformed_json_is_a_400_and_a_bad_field_a_422_naming_it() {
    let app = TestApp::with_config(Config {
        disclosure_burst: 100,
        ..Config::default()
    })
    .await;
    let client = "198.51.100.3";

    let answer = report_from(&app, client, "application/json", "{\"title\": ".to_owned()).await;
    assert_eq!(
        (answer.status, error_code(&answer.body)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    assert!(message(&answer.body).contains("line 1"), "{}", answer.body);

    let mut missing = valid_report();
    missing
        .as_object_mut()
        .map(|fields| fields.remove("affected_product"));
    let mut unknown = valid_report();
    unknown["severity"] = json!("critical");
    let mut wrong_type = valid_report();
    wrong_type["title"] = json!(42);
    let mut blank = valid_report();
    blank["description"] = json!("   ");
    let mut bad_vector = valid_report();
    bad_vector["cvss_vector"] = json!("CVSS:3.1/AV:N/AC:L");
    let cases_and_fields = [
        (missing, "affected_product"),
        (unknown, "severity"),
        (wrong_type, "invalid type"),
        (blank, "description"),
        (bad_vector, "cvss_vector"),
    ];
    for (body, named) in cases_and_fields {
        let answer = report(&app, client, &body).await;
        assert_eq!(
            (answer.status, error_code(&answer.body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            "{body}"
        );
        assert!(
            message(&answer.body).contains(named),
            "{named}: {}",
            answer.body
        );
    }

    let answer = report_from(&app, client, "text/plain", valid_report().to_string()).await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(cases(&app).await.is_empty(), "no bad report became a case");
}

#[tokio::test]
async fn a_flood_from_one_address_is_refused_with_retry_after() {
    // A burst of 3, then one an hour: the test ends long before an hour
    // passes, so whatever the machine's speed the fourth report is refused.
    let config = Config {
        disclosure_burst: 3,
        disclosure_rate_per_hour: 1,
        ..Config::default()
    };
    let app = TestApp::with_config(config).await;
    let flooder = "203.0.113.9";
    let mut statuses = Vec::new();
    let mut refused = None;
    for _ in 0..6 {
        let answer = report(&app, flooder, &valid_report()).await;
        statuses.push(answer.status);
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(answer);
        }
    }
    let created = StatusCode::CREATED;
    let limited = StatusCode::TOO_MANY_REQUESTS;
    assert_eq!(
        statuses,
        [created, created, created, limited, limited, limited]
    );
    let refused = refused.expect("a refusal");
    assert_eq!(error_code(&refused.body), "rate_limited");
    let seconds: u64 = refused
        .retry_after
        .as_deref()
        .and_then(|value| value.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=3600).contains(&seconds), "Retry-After {seconds}");

    // Another address has its own allowance; malformed requests use it up too.
    assert_eq!(
        report(&app, "203.0.113.10", &valid_report()).await.status,
        created
    );
    let junk = "203.0.113.11";
    for _ in 0..3 {
        let answer = report_from(&app, junk, "application/json", "{".to_owned()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    }
    assert_eq!(report(&app, junk, &valid_report()).await.status, limited);
    assert_eq!(cases(&app).await.len(), 4, "refused reports are not stored");
}

fn security_txt(toml_text: &str) -> SecurityTxt {
    toml::from_str(toml_text).expect("valid security.txt table")
}

#[tokio::test]
async fn security_txt_is_served_from_the_configuration_or_is_a_404() {
    let unconfigured = TestApp::new().await;
    let (status, _) = unconfigured.get("/.well-known/security.txt", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let config = Config {
        security_txt: Some(security_txt(
            "contact = \"mailto:psirt@example.com\"\n\
             expires = \"2027-06-30T00:00:00Z\"\n\
             policy = \"https://example.com/psirt/policy\"\n\
             preferred_languages = [\"en\", \"de\"]\n\
             canonical = \"https://example.com/.well-known/security.txt\"\n",
        )),
        ..Config::default()
    };
    let app = TestApp::with_config(config).await;
    let request = Request::get("/.well-known/security.txt")
        .body(Body::empty())
        .expect("request");
    let response = app.respond(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.as_bytes()),
        Some(&b"text/plain; charset=utf-8"[..])
    );
    let bytes = body_bytes(response).await;
    // RFC 9116's field names, one `Field: value` line each.
    assert_eq!(
        String::from_utf8_lossy(&bytes),
        "Contact: mailto:psirt@example.com\n\
         Expires: 2027-06-30T00:00:00Z\n\
         Policy: https://example.com/psirt/policy\n\
         Preferred-Languages: en, de\n\
         Canonical: https://example.com/.well-known/security.txt\n"
    );
}
