//! Test support: an app over a fresh SQLite store, users with tokens, and
//! request helpers that drive the router without a socket.

#![allow(dead_code)]

pub mod receiver;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use http_body_util::BodyExt;
use keelson_core::Role;
use keelson_server::config::Config;
use keelson_server::{AppState, app, auth};
use keelson_store::testing::{TempDir, fresh_postgres, fresh_sqlite, postgres_url};
use keelson_store::users::NewUser;
use keelson_store::{Store, StoreLocation};
use serde_json::Value;
use tower::ServiceExt;

pub struct TestApp {
    pub router: Router,
    pub store: Store,
    pub state: AppState,
    _dir: Option<TempDir>,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(Config::default()).await
    }

    pub async fn with_config(config: Config) -> Self {
        let (location, dir) = fresh_sqlite().expect("temp dir");
        Self::at(&location, Some(dir), config).await
    }

    /// The same app over a fresh PostgreSQL database, or `None` (said on
    /// stderr) when no server is configured.
    pub async fn on_postgres(config: Config) -> Option<Self> {
        let server = postgres_url()?;
        let location = fresh_postgres(&server).await.expect("fresh database");
        Some(Self::at(&location, None, config).await)
    }

    /// The app on SQLite, and on PostgreSQL when a server is configured.
    pub async fn on_both_backends(config: Config) -> Vec<Self> {
        let mut apps = vec![Self::with_config(config.clone()).await];
        apps.extend(Self::on_postgres(config).await);
        apps
    }

    async fn at(location: &StoreLocation, dir: Option<TempDir>, config: Config) -> Self {
        let store = Store::open(location).await.expect("open store");
        let state = AppState::new(store.clone(), config);
        let router = app(state.clone());
        Self {
            router,
            store,
            state,
            _dir: dir,
        }
    }

    /// Creates a user and returns a live API token for it.
    pub async fn token_for(&self, name: &str, role: Role, org: Option<&str>) -> String {
        let new = NewUser {
            name: name.to_owned(),
            role,
            organisation: org.map(str::to_owned),
            password_hash: auth::hash_password("a-long-test-password").expect("hash"),
        };
        let user = self.store.create_user("test", new).await.expect("user");
        let secret = auth::new_token_secret();
        let hash = auth::secret_hash(&secret);
        self.store
            .create_token("test", &user.id, "test", &hash, None)
            .await
            .expect("token");
        secret
    }

    /// The raw response, for tests that read headers.
    pub async fn respond(&self, request: Request<Body>) -> Response {
        self.router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible")
    }

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        (status, body_json(response).await)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut request = Request::get(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(request.body(Body::empty()).expect("request"))
            .await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        token: &str,
        body: impl Into<Body>,
    ) -> (StatusCode, Value) {
        let request = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.into())
            .expect("request");
        self.send(request).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
        self.post_raw(path, token, body.to_string()).await
    }

    pub async fn put(&self, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
        self.put_typed(path, token, "application/json", body.to_string())
            .await
    }

    /// PUTs a CSV body.
    pub async fn put_text(&self, path: &str, token: &str, body: &str) -> (StatusCode, Value) {
        self.put_typed(path, token, "text/csv", body.to_owned())
            .await
    }

    async fn put_typed(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: String,
    ) -> (StatusCode, Value) {
        let request = Request::put(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request");
        self.send(request).await
    }

    /// POSTs NDJSON lines to the telemetry route.
    pub async fn ingest(&self, token: &str, events: &[Value]) -> (StatusCode, Value) {
        let lines: Vec<String> = events.iter().map(Value::to_string).collect();
        let request = Request::post("/api/v1/telemetry")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/x-ndjson")
            .body(Body::from(lines.join("\n")))
            .expect("request");
        self.send(request).await
    }
}

/// Asserts the API error shape and returns its code.
/// The whole body of a response.
pub async fn body_bytes(response: Response) -> Vec<u8> {
    let collected = response.into_body().collect().await.expect("body");
    collected.to_bytes().to_vec()
}

/// The body as JSON, `Null` when it is not JSON.
pub async fn body_json(response: Response) -> Value {
    serde_json::from_slice(&body_bytes(response).await).unwrap_or(Value::Null)
}

pub fn error_code(body: &Value) -> &str {
    assert!(
        body["error"]["message"].is_string(),
        "no error message in {body}"
    );
    body["error"]["code"].as_str().expect("error code")
}
