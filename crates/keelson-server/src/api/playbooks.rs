//! Playbooks over the API: import (create or replace from YAML), list and
//! show; the runs of an incident (started by its bindings or by hand, each
//! read under the incident's clearance) and the completion of their manual
//! steps; and the log requests a run sent, which vehicles read from
//! `/api/v1/vehicles/{id}/log-requests`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keelson_core::Role;
use keelson_store::log_requests::LogRequest;
use keelson_store::playbooks::{MANUAL, PlaybookRun, RunStep, Saved, StepState, StoredPlaybook};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Page;
use super::incidents::{RESPONDERS, readable_incident};
use crate::AppState;
use crate::auth::Caller;
use crate::clearance::{visible, visible_only};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::playbooks::{Playbook, Problem, RunError, to_new_playbook};

/// Who may read a vehicle's log requests: those who may upload its logs
/// (a TCU's service account among them).
const LOG_READERS: &[Role] = &[Role::Admin, Role::VsocAnalyst, Role::DetectionEngineer];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_playbooks, save_playbook))
        .routes(routes!(show_playbook))
        .routes(routes!(list_runs, start_run))
        .routes(routes!(show_run))
        .routes(routes!(settle_step))
        .routes(routes!(vehicle_log_requests))
        .routes(routes!(incident_log_requests))
}

impl From<RunError> for ApiError {
    fn from(error: RunError) -> Self {
        match error {
            RunError::NotFound(what) => ApiError::not_found(what),
            RunError::Store(error) => error.into(),
        }
    }
}

/// A playbook in the list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlaybookSummary {
    pub id: String,
    pub title: String,
    pub version: i64,
    pub sha256: String,
    #[schema(value_type = Object)]
    pub bindings: serde_json::Value,
    pub steps: usize,
    pub updated_by: String,
    pub updated_at: String,
}

/// A stored playbook with its checked definition.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlaybookDetail {
    #[serde(flatten)]
    pub stored: StoredPlaybook,
    pub definition: Playbook,
}

/// Every playbook, by ID.
#[utoipa::path(get, path = "/api/v1/playbooks", tag = "detection",
    responses((status = 200, body = inline(Page<PlaybookSummary>))))]
pub(crate) async fn list_playbooks(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Page<PlaybookSummary>>, ApiError> {
    caller.require_internal()?;
    let mut items = Vec::new();
    for stored in state.store.list_playbooks().await? {
        let steps = crate::playbooks::parse(&stored.source).map_or(0, |p| p.steps.len());
        items.push(PlaybookSummary {
            id: stored.id,
            title: stored.title,
            version: stored.version,
            sha256: stored.sha256,
            bindings: stored.bindings,
            steps,
            updated_by: stored.updated_by,
            updated_at: stored.updated_at,
        });
    }
    let total = items.len() as u64;
    Ok(Json(Page {
        items,
        total,
        next: None,
        total_capped: false,
    }))
}

/// Creates a playbook from its YAML text (the body), or replaces the one
/// with its ID when the version is higher; the same text again changes
/// nothing. A file with mistakes is a 422 listing every problem with its
/// line under `problems`.
#[utoipa::path(post, path = "/api/v1/playbooks", tag = "detection",
    request_body(content = String, content_type = "application/yaml"),
    responses((status = 201, body = StoredPlaybook), (status = 200, body = StoredPlaybook),
              (status = 409), (status = 422)))]
async fn save_playbook(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(RESPONDERS)?;
    let source = std::str::from_utf8(&body)
        .map_err(|_| ApiError::bad_request("the playbook is not UTF-8 text"))?;
    let playbook = match crate::playbooks::parse(source) {
        Ok(playbook) => playbook,
        Err(problems) => return Ok(invalid_playbook(&problems)),
    };
    let saved = state
        .store
        .save_playbook(&caller.user.name, &to_new_playbook(&playbook, source))
        .await?;
    let status = match saved {
        Saved::Created(_) => StatusCode::CREATED,
        Saved::Replaced(_) | Saved::Unchanged(_) => StatusCode::OK,
    };
    Ok((status, Json(saved.playbook().clone())).into_response())
}

fn invalid_playbook(problems: &[Problem]) -> Response {
    let listed: Vec<String> = problems.iter().map(Problem::to_string).collect();
    let body = json!({
        "error": {"code": "invalid",
                  "message": format!("the playbook is not valid: {}", listed.join("; "))},
        "problems": problems,
    });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// One playbook: the stored source and its definition.
#[utoipa::path(get, path = "/api/v1/playbooks/{id}", tag = "detection",
    params(("id" = String, Path)),
    responses((status = 200, body = PlaybookDetail), (status = 404)))]
async fn show_playbook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<PlaybookDetail>, ApiError> {
    caller.require_internal()?;
    let stored = state
        .store
        .playbook(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("playbook {id}")))?;
    let definition = crate::playbooks::parse(&stored.source).map_err(|problems| {
        ApiError::internal(format!(
            "stored playbook {id} does not read: {}",
            problems[0]
        ))
    })?;
    Ok(Json(PlaybookDetail { stored, definition }))
}

/// The playbook to run by hand.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunInput {
    pub playbook_id: String,
}

/// An incident's playbook runs with their steps, oldest first.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/playbook-runs", tag = "detection",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<PlaybookRun>), (status = 404)))]
pub(crate) async fn list_runs(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<PlaybookRun>>, ApiError> {
    readable_incident(&state, &caller, &id).await?;
    Ok(Json(state.store.incident_playbook_runs(&id).await?))
}

/// Starts a playbook on the incident by hand; its automated steps are
/// carried out before the answer, which shows each step's outcome.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/playbook-runs", tag = "detection",
    request_body = RunInput, params(("id" = String, Path)),
    responses((status = 201, body = PlaybookRun), (status = 404)))]
async fn start_run(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<RunInput>,
) -> Result<(StatusCode, Json<PlaybookRun>), ApiError> {
    caller.require(RESPONDERS)?;
    readable_incident(&state, &caller, &id).await?;
    let run = state
        .playbooks
        .start_by_hand(&caller.user.name, &id, &input.playbook_id)
        .await?;
    Ok((StatusCode::CREATED, Json(run)))
}

/// One run of the incident.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/playbook-runs/{run}", tag = "detection",
    params(("id" = String, Path), ("run" = String, Path)),
    responses((status = 200, body = PlaybookRun), (status = 404)))]
async fn show_run(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, run)): ApiPath<(String, String)>,
) -> Result<Json<PlaybookRun>, ApiError> {
    Ok(Json(run_of_incident(&state, &caller, &id, &run).await?))
}

async fn run_of_incident(
    state: &AppState,
    caller: &Caller,
    incident_id: &str,
    run_id: &str,
) -> Result<PlaybookRun, ApiError> {
    readable_incident(state, caller, incident_id).await?;
    state
        .store
        .playbook_run(run_id)
        .await?
        .filter(|run| run.incident_id == incident_id)
        .ok_or_else(|| ApiError::not_found(format!("playbook run {run_id}")))
}

/// How an analyst settles a manual step.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// `done`, `skipped` or `failed`.
    #[schema(value_type = String)]
    pub outcome: StepStateInput,
    /// What was done or found.
    pub note: String,
}

impl<'de> Deserialize<'de> for StepStateInput {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.as_str() {
            "done" => Ok(StepStateInput(StepState::Done)),
            "skipped" => Ok(StepStateInput(StepState::Skipped)),
            "failed" => Ok(StepStateInput(StepState::Failed)),
            other => Err(serde::de::Error::custom(format!(
                "unknown outcome {other:?}: use done, skipped or failed"
            ))),
        }
    }
}

/// A step outcome an analyst may give.
#[derive(Debug)]
pub struct StepStateInput(StepState);

/// Settles a manual step of a run, recording the analyst and the note; an
/// automated step or one already settled is a 409.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/playbook-runs/{run}/steps/{step}",
    tag = "detection", request_body = StepInput,
    params(("id" = String, Path), ("run" = String, Path), ("step" = String, Path)),
    responses((status = 200, body = RunStep), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn settle_step(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, run_id, step_id)): ApiPath<(String, String, String)>,
    ApiJson(input): ApiJson<StepInput>,
) -> Result<Json<RunStep>, ApiError> {
    caller.require(RESPONDERS)?;
    let run = run_of_incident(&state, &caller, &id, &run_id).await?;
    let step = run
        .steps
        .iter()
        .find(|step| step.step_id == step_id)
        .ok_or_else(|| ApiError::not_found(format!("step {step_id} of run {run_id}")))?;
    if step.kind != MANUAL {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "step {step_id} is automated ({}); the system settles it",
                step.kind
            ),
        ));
    }
    if input.note.trim().is_empty() {
        return Err(ApiError::invalid("note: say what was done or found"));
    }
    let settled = state
        .store
        .settle_playbook_step(
            &caller.user.name,
            &run_id,
            step.position,
            input.outcome.0,
            input.note.trim(),
        )
        .await?;
    Ok(Json(settled))
}

/// Filters of a vehicle's log requests.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogRequestQuery {
    /// `open` for the requests still waiting for an upload.
    pub state: Option<String>,
}

/// The log requests addressed to a vehicle, newest first; a TCU polls this
/// and answers with `POST /api/v1/vehicles/{id}/logs`, which fulfils them.
#[utoipa::path(get, path = "/api/v1/vehicles/{id}/log-requests", tag = "telemetry",
    params(("id" = String, Path), LogRequestQuery),
    responses((status = 200, body = inline(Page<LogRequest>)), (status = 400), (status = 404)))]
async fn vehicle_log_requests(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<LogRequestQuery>,
) -> Result<Json<Page<LogRequest>>, ApiError> {
    caller.require(LOG_READERS)?;
    let open_only = match query.state.as_deref() {
        None => false,
        Some("open") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "state {other:?}: only `open` filters log requests"
            )));
        }
    };
    let vehicle = state.store.vehicle(&id).await?;
    visible(&caller, vehicle, &format!("vehicle {id}"))?;
    let requests = state.store.vehicle_log_requests(&id, open_only).await?;
    let items = visible_only(&caller, requests);
    let total = items.len() as u64;
    Ok(Json(Page {
        items,
        total,
        next: None,
        total_capped: false,
    }))
}

/// The log requests an incident's runs sent, oldest first.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/log-requests", tag = "detection",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<LogRequest>), (status = 404)))]
async fn incident_log_requests(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<LogRequest>>, ApiError> {
    readable_incident(&state, &caller, &id).await?;
    Ok(Json(state.store.incident_log_requests(&id).await?))
}
