//! Authentication and authorisation at the API edge: missing, wrong and
//! revoked credentials, role checks, and CSRF on cookie sessions.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use keelson_core::Role;
use support::{TestApp, error_code};

#[tokio::test]
async fn user_list_needs_a_token_and_the_admin_role() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let analyst = app.token_for("ana", Role::VsocAnalyst, None).await;

    let (status, body) = app.get("/api/v1/users", None).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let (status, body) = app.get("/api/v1/users", Some("kls_not-a-real-token")).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let (status, body) = app.get("/api/v1/users", Some(&analyst)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "forbidden")
    );

    let (status, body) = app.get("/api/v1/users", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], 2);
    assert!(body["next"].is_null());
}

#[tokio::test]
async fn revoked_token_stops_working() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let (status, created) = app
        .post("/api/v1/tokens", &admin, &serde_json::json!({"name": "x"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = created["token"].as_str().expect("secret").to_owned();
    let id = created["record"]["id"].as_str().expect("id").to_owned();
    assert_eq!(
        app.get("/api/v1/users/me", Some(&secret)).await.0,
        StatusCode::OK
    );

    let revoke = Request::delete(format!("/api/v1/tokens/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {admin}"))
        .body(Body::empty())
        .expect("request");
    assert_eq!(app.send(revoke).await.0, StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/users/me", Some(&secret)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn another_users_token_cannot_be_revoked_by_a_non_admin() {
    let app = TestApp::new().await;
    let ana = app.token_for("ana", Role::VsocAnalyst, None).await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;
    let (_, tokens) = app.get("/api/v1/tokens", Some(&bob)).await;
    let bobs_id = tokens["items"][0]["id"].as_str().expect("id").to_owned();
    let revoke = Request::delete(format!("/api/v1/tokens/{bobs_id}"))
        .header(header::AUTHORIZATION, format!("Bearer {ana}"))
        .body(Body::empty())
        .expect("request");
    assert_eq!(app.send(revoke).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/users/me", Some(&bob)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn session_cookie_changes_nothing_without_the_csrf_token() {
    let app = TestApp::new().await;
    let user = app.store.user_by_name("nobody").await.expect("query");
    assert!(user.is_none());
    let admin_token = app.token_for("root", Role::Admin, None).await;
    let root = app
        .store
        .user_by_name("root")
        .await
        .expect("q")
        .expect("root");
    let cookie = "session-secret-for-test";
    let hash = keelson_server::auth::secret_hash(cookie);
    let expires = keelson_store::now_us() + 3_600_000_000;
    app.store
        .create_session(&root, &hash, "csrf-123", expires)
        .await
        .expect("session");

    let read = Request::get("/api/v1/users")
        .header(header::COOKIE, format!("keelson_session={cookie}"))
        .body(Body::empty())
        .expect("request");
    assert_eq!(app.send(read).await.0, StatusCode::OK);

    let body = serde_json::json!({"name": "t"}).to_string();
    let forged = Request::post("/api/v1/tokens")
        .header(header::COOKIE, format!("keelson_session={cookie}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.clone()))
        .expect("request");
    let (status, error) = app.send(forged).await;
    assert_eq!(
        (status, error_code(&error)),
        (StatusCode::FORBIDDEN, "forbidden")
    );

    let genuine = Request::post("/api/v1/tokens")
        .header(header::COOKIE, format!("keelson_session={cookie}"))
        .header("x-csrf-token", "csrf-123")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("request");
    assert_eq!(app.send(genuine).await.0, StatusCode::CREATED);
    drop(admin_token);
}

#[tokio::test]
async fn health_and_openapi_answer_without_a_token() {
    let app = TestApp::new().await;
    assert_eq!(app.get("/healthz", None).await.0, StatusCode::OK);
    assert_eq!(app.get("/readyz", None).await.0, StatusCode::OK);
    let (status, document) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    for path in [
        "/api/v1/users",
        "/api/v1/tokens",
        "/api/v1/audit",
        "/api/v1/vehicles",
    ] {
        assert!(
            document["paths"][path].is_object(),
            "{path} missing from OpenAPI"
        );
    }
}
