//! The demo's two service accounts at work: `demo-analyst` (VSOC) records
//! containment on the first UDS brute-force incident and escalates it to
//! the PSIRT, and `demo-psirt` publishes the case's CSAF advisory. Both act
//! through the HTTP API, called in-process on the same router `serve`
//! runs, with their own bearer tokens, so every check, audit entry and
//! notification is the one a person's request would make.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use keelson_core::Role;
use keelson_store::Store;
use keelson_store::incidents::IncidentFilter;
use keelson_store::users::NewUser;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::DemoError;
use crate::{AppState, auth};

/// The VSOC service account that escalates.
pub const ANALYST: &str = "demo-analyst";

/// The PSIRT service account that publishes.
pub const PSIRT: &str = "demo-psirt";

/// The incidents of this rule are the ones the analyst escalates: the
/// shipped UDS SecurityAccess brute-force correlation.
pub const ESCALATED_RULE: &str = "6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f02";

/// The identifier the PSIRT gives the weakness behind the brute force.
pub const DEMO_VULNERABILITY: &str = "DEMO-2026-0001";

/// How far the response has come.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub escalated_case: Option<String>,
    pub advisory: Option<String>,
}

/// The service accounts' tokens, held only in memory.
pub struct Responder {
    analyst_token: String,
    psirt_token: String,
    pub progress: Progress,
}

impl Responder {
    /// Creates the two accounts (random passwords nobody learns) and a
    /// token for each, valid for a day.
    pub async fn create(store: &Store, actor: &str, now_us: i64) -> Result<Self, DemoError> {
        let analyst_token = account(store, actor, ANALYST, Role::VsocAnalyst, now_us).await?;
        let psirt_token = account(store, actor, PSIRT, Role::PsirtEngineer, now_us).await?;
        Ok(Responder {
            analyst_token,
            psirt_token,
            progress: Progress::default(),
        })
    }

    /// Takes the next step of the response, if its precondition holds.
    pub async fn act(&mut self, state: &AppState) -> Result<(), DemoError> {
        if self.progress.escalated_case.is_none() {
            self.progress.escalated_case = self.escalate(state).await?;
        } else if self.progress.advisory.is_none() {
            self.progress.advisory = self.publish(state).await?;
        }
        Ok(())
    }

    /// Contains and escalates the oldest incident of the escalated rule.
    async fn escalate(&self, state: &AppState) -> Result<Option<String>, DemoError> {
        let filter = IncidentFilter {
            sigma_rule: Some(ESCALATED_RULE.to_owned()),
            ..IncidentFilter::default()
        };
        let incidents = state.store.list_incidents(&filter).await?;
        let Some(incident) = incidents.iter().min_by(|a, b| a.detected.cmp(&b.detected)) else {
            return Ok(None);
        };
        let containment = json!({
            "action": "SecurityAccess on the gateway locked out for 24 h over the backend",
            "scope": "vehicles named by the incident",
        });
        let path = format!("/api/v1/incidents/{}/containment", incident.id);
        call(state, &self.analyst_token, Method::POST, &path, containment).await?;

        let escalation = json!({
            "title": "Gateway accepts unlimited SecurityAccess attempts",
            "cvss_vector": "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "vulnerability_ids": [DEMO_VULNERABILITY],
            "usage_pattern": "private and fleet vehicles",
            "driver_visible_impact": "none while the attack runs",
            "notes": "Seed/key rounds at 1.5 s intervals from a tester on the OBD port; \
                      the gateway answers exceededNumberOfAttempts but no delay follows.",
        });
        let path = format!("/api/v1/incidents/{}/escalate", incident.id);
        let answer = call(state, &self.analyst_token, Method::POST, &path, escalation).await?;
        let case = answer["case"]["id"].as_str().map(str::to_owned);
        tracing::info!(incident = %incident.id, case = ?case, "demo incident escalated");
        Ok(case)
    }

    /// Publishes the first revision of the escalated case's advisory.
    async fn publish(&self, state: &AppState) -> Result<Option<String>, DemoError> {
        let Some(case) = &self.progress.escalated_case else {
            return Ok(None);
        };
        let body = json!({
            "summary": "Initial release: the gateway builds named here do not delay or lock \
                        out repeated SecurityAccess attempts; an update is in preparation.",
        });
        let path = format!("/api/v1/cases/{case}/csaf");
        let revision = call(state, &self.psirt_token, Method::POST, &path, body).await?;
        let tracking = revision["tracking_id"].as_str().map(str::to_owned);
        tracing::info!(%case, advisory = ?tracking, "demo advisory published");
        Ok(tracking)
    }
}

async fn account(
    store: &Store,
    actor: &str,
    name: &str,
    role: Role,
    now_us: i64,
) -> Result<String, DemoError> {
    let new = NewUser {
        name: name.to_owned(),
        role,
        organisation: None,
        password_hash: auth::hash_password(&auth::new_password())?,
    };
    let user = store.create_user(actor, new).await?;
    let secret = auth::new_token_secret();
    let expires_at_us = now_us + 24 * 3_600 * 1_000_000;
    store
        .create_token(
            actor,
            &user.id,
            "demo",
            &auth::secret_hash(&secret),
            Some(expires_at_us),
        )
        .await?;
    Ok(secret)
}

/// One API request on the app's router; a non-2xx answer is an error
/// naming the route and the body.
async fn call(
    state: &AppState,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
) -> Result<Value, DemoError> {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .map_err(|error| DemoError::api(path, StatusCode::BAD_REQUEST, error.to_string()))?;
    let response = crate::app(state.clone())
        .oneshot(request)
        .await
        .map_err(|error| DemoError::api(path, StatusCode::INTERNAL_SERVER_ERROR, error))?;
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .map_err(|error| DemoError::api(path, status, error.to_string()))?;
    if !status.is_success() {
        return Err(DemoError::api(
            path,
            status,
            String::from_utf8_lossy(&bytes),
        ));
    }
    serde_json::from_slice(&bytes).map_err(|error| DemoError::api(path, status, error.to_string()))
}
