//! Detection rules over the API: Sigma text kept as data, checked by the
//! detection loader on every write, with a lifecycle status changed only
//! through its own audited route. Every change swaps the server's compiled
//! rule set at once. Reads pass the clearance gate.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_core::Role;
use keelson_store::rules::{DetectionRule, RuleStatus};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Caller;
use crate::clearance::{visible, visible_only};
use crate::detection::rules::{RuleInput, RuleRejection, prepare};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};

/// Roles that may write rules.
const RULE_WRITERS: &[Role] = &[Role::Admin, Role::DetectionEngineer];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(get_rule, update_rule))
        .routes(routes!(set_status))
}

/// The body of a status change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub status: RuleStatus,
    /// Why (kept in the audit log); must not be empty.
    pub reason: String,
}

impl From<RuleRejection> for ApiError {
    fn from(rejection: RuleRejection) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            rejection.code(),
            rejection.to_string(),
        )
    }
}

/// Rules the caller may see.
#[utoipa::path(get, path = "/api/v1/rules", tag = "detection", params(PageQuery),
    responses((status = 200, body = Page<DetectionRule>)))]
pub(crate) async fn list_rules(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<DetectionRule>>, ApiError> {
    let rules = state.store.list_rules().await?;
    Ok(Json(page.page(visible_only(&caller, rules))?))
}

/// One rule.
#[utoipa::path(get, path = "/api/v1/rules/{id}", tag = "detection",
    params(("id" = String, Path)), responses((status = 200, body = DetectionRule), (status = 404)))]
pub(crate) async fn get_rule(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DetectionRule>, ApiError> {
    let rule = state.store.rule(&id).await?;
    Ok(Json(visible(&caller, rule, &format!("rule {id}"))?))
}

/// Stores a rule (status `test` unless given) and puts it to work.
#[utoipa::path(post, path = "/api/v1/rules", tag = "detection", request_body = RuleInput,
    responses((status = 201, body = DetectionRule), (status = 409),
              (status = 422, description = "malformed or unsupported Sigma, with its line",
               body = crate::error::ErrorBody)))]
pub(crate) async fn create_rule(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<RuleInput>,
) -> Result<(StatusCode, Json<DetectionRule>), ApiError> {
    caller.require(RULE_WRITERS)?;
    let new = prepare(input)?;
    let rule = state.store.create_rule(&caller.user.name, &new).await?;
    reload(&state).await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// Replaces a rule's text, title, scope, expiry and marking; the Sigma id
/// must stay the record's.
#[utoipa::path(put, path = "/api/v1/rules/{id}", tag = "detection", request_body = RuleInput,
    params(("id" = String, Path)),
    responses((status = 200, body = DetectionRule), (status = 404),
              (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn update_rule(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<RuleInput>,
) -> Result<Json<DetectionRule>, ApiError> {
    caller.require(RULE_WRITERS)?;
    visible(&caller, state.store.rule(&id).await?, &format!("rule {id}"))?;
    let new = prepare(input)?;
    if new.id != id {
        let message = format!("the rule's id is {:?}, not {id:?}", new.id);
        return Err(RuleRejection::Invalid(message).into());
    }
    let rule = state.store.update_rule(&caller.user.name, &new).await?;
    reload(&state).await?;
    Ok(Json(rule))
}

/// Moves a rule to `test`, `active`, `heightened` or `retired`, with a reason.
#[utoipa::path(post, path = "/api/v1/rules/{id}/status", tag = "detection",
    request_body = StatusChange, params(("id" = String, Path)),
    responses((status = 200, body = DetectionRule), (status = 404), (status = 422)))]
pub(crate) async fn set_status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(change): ApiJson<StatusChange>,
) -> Result<Json<DetectionRule>, ApiError> {
    caller.require(RULE_WRITERS)?;
    if change.reason.trim().is_empty() {
        return Err(RuleRejection::Invalid("a status change needs a reason".to_owned()).into());
    }
    visible(&caller, state.store.rule(&id).await?, &format!("rule {id}"))?;
    let rule = state
        .store
        .set_rule_status(&caller.user.name, &id, change.status, change.reason.trim())
        .await?;
    reload(&state).await?;
    Ok(Json(rule))
}

/// Swaps the compiled set; a stored rule that no longer loads is logged.
pub(crate) async fn reload(state: &AppState) -> Result<(), ApiError> {
    let problems = state.detector.reload(&state.store).await?;
    for problem in problems {
        tracing::warn!(%problem, "stored rule does not load; it does not fire");
    }
    Ok(())
}
