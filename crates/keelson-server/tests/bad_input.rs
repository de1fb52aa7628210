//! Bad input at the API: each kind of client mistake gets a 4xx with the
//! JSON error body, never a 500.

mod support;

use axum::http::StatusCode;
use keelson_core::Role;
use keelson_server::config::Config;
use serde_json::json;
use support::{TestApp, error_code};

#[tokio::test]
async fn malformed_json_is_a_400() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let (status, body) = app
        .post_raw("/api/v1/builds", &admin, "{\"id\": \"x\",")
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
}

#[tokio::test]
async fn wrong_types_are_a_422() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let body = json!({"id": "b", "ecu": 7, "firmware_version": "1"});
    let (status, error) = app.post("/api/v1/builds", &admin, &body).await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    let body = json!({"name": "x", "role": "superuser"});
    let (status, error) = app.post("/api/v1/users", &admin, &body).await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
}

#[tokio::test]
async fn unknown_fields_are_a_422_naming_the_field() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let body = json!({"id": "b", "ecu": "tcu", "firmware_version": "1", "colour": "red"});
    let (status, error) = app.post("/api/v1/builds", &admin, &body).await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("colour"),
        "{error}"
    );
}

#[tokio::test]
async fn bodies_over_the_limit_are_a_413() {
    let config = Config {
        api_body_limit: 1024,
        ..Config::default()
    };
    let app = TestApp::with_config(config).await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let huge = json!({"id": "b", "ecu": "x".repeat(4096), "firmware_version": "1"});
    let (status, error) = app.post("/api/v1/builds", &admin, &huge).await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
}

#[tokio::test]
async fn default_body_limit_is_16_mib() {
    assert_eq!(Config::default().api_body_limit, 16 * 1024 * 1024);
}

#[tokio::test]
async fn wrong_content_type_bad_paging_and_unknown_routes_are_4xx() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let request = axum::http::Request::post("/api/v1/builds")
        .header("authorization", format!("Bearer {admin}"))
        .header("content-type", "text/plain")
        .body(axum::body::Body::from("{}"))
        .expect("request");
    let (status, error) = app.send(request).await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );

    let (status, error) = app.get("/api/v1/builds?limit=0", Some(&admin)).await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let (status, error) = app.get("/api/v1/builds?limit=ten", Some(&admin)).await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let (status, error) = app.get("/api/v1/nothing-here", Some(&admin)).await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::NOT_FOUND, "not_found")
    );
}

#[tokio::test]
async fn conflicts_and_invalid_users_are_4xx() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let build = json!({"id": "b", "ecu": "tcu", "firmware_version": "1"});
    assert_eq!(
        app.post("/api/v1/builds", &admin, &build).await.0,
        StatusCode::CREATED
    );
    let (status, error) = app.post("/api/v1/builds", &admin, &build).await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::CONFLICT, "conflict")
    );

    let partner = json!({"name": "p", "role": "partner"});
    let (status, error) = app.post("/api/v1/users", &admin, &partner).await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    let short = json!({"name": "q", "role": "admin", "password": "short"});
    let (status, _) = app.post("/api/v1/users", &admin, &short).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_token_lifetime_past_ten_years_is_a_422_not_a_crash() {
    let app = TestApp::new().await;
    let partner = app.token_for("pat", Role::Partner, Some("acme")).await;
    for days in [3_651u64, 4_294_967_295] {
        let body = json!({"name": "x", "expires_days": days});
        let (status, error) = app.post("/api/v1/tokens", &partner, &body).await;
        assert_eq!(
            (status, error_code(&error)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            "{days}: {error}"
        );
    }
}

#[tokio::test]
async fn a_method_a_path_does_not_serve_is_a_405_with_the_error_body() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let (status, error) = app.put("/api/v1/models/m-1", &admin, &json!({})).await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
}

#[tokio::test]
async fn a_plain_vin_is_refused_where_its_keyed_hash_belongs() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let plain = json!({"id": "v-plain", "vin_hash": "1HGCM82633A004352"});

    let (status, error) = app.post("/api/v1/vehicles", &admin, &plain).await;

    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    let message = error["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("vin_hash") && message.contains("plain VIN"),
        "{message}"
    );
    let (status, _) = app.get("/api/v1/vehicles/v-plain", Some(&admin)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was stored");

    // The shape the store's keyed hash has: 64 lowercase hex digits.
    let hashed = keelson_store::fleet::vin_hash(b"key", "1HGCM82633A004352");
    let shouted = json!({"id": "v-upper", "vin_hash": hashed.to_ascii_uppercase()});
    let (status, _) = app.post("/api/v1/vehicles", &admin, &shouted).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "upper case would never match"
    );
    let keyed = json!({"id": "v-hashed", "vin_hash": hashed});
    let (status, created) = app.post("/api/v1/vehicles", &admin, &keyed).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}

#[tokio::test]
async fn an_unknown_field_inside_a_marking_is_refused() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    // A misspelt audience would otherwise leave the record shared with no one.
    let vehicle = json!({"id": "v-typo",
                         "marking": {"tlp": "AMBER", "shared_with": ["supplier-a"]}});

    let (status, error) = app.post("/api/v1/vehicles", &admin, &vehicle).await;

    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    let message = error["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("shared_with"), "{message}");
    let build = json!({"id": "b-typo", "ecu": "tcu", "firmware_version": "1",
                       "marking": {"tlp": "RED", "named_reader": ["ana"]}});
    let (status, _) = app.post("/api/v1/builds", &admin, &build).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
