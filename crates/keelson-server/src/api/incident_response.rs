//! Containment notes and escalation over the API: the VSOC records each
//! temporary action taken against an incident, and hands the incident to
//! the PSIRT in one action that opens a case (intake `vsoc_escalation`)
//! carrying what the PSIRT needs to find the root cause. The case's
//! escalations, with the incidents' containment notes as they stand, are
//! read from the case's side.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_store::incidents::response::{Containment, Escalation, NewContainment};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::alerts::parse_time;
use super::cases::readable_case;
use super::incidents::{RESPONDERS, readable_incident};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::escalation::escalate_incident;
// The escalation's request and answer live with `escalate_incident`; they are
// named here too, where the route that takes and gives them is.
pub use crate::escalation::{EscalationAnswer, EscalationInput};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_containment, add_containment))
        .routes(routes!(escalate))
        .routes(routes!(case_escalations))
}

/// A containment action taken.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainmentInput {
    /// What was done.
    pub action: String,
    /// Where it applies.
    pub scope: String,
    /// RFC 3339: when it is to be lifted.
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// An escalation as the PSIRT reads it: the hand-over, and the incident's
/// containment actions as they stand now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseEscalation {
    #[serde(flatten)]
    pub escalation: Escalation,
    pub containment: Vec<Containment>,
}

/// An incident's containment actions, oldest first.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/containment", tag = "detection",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<Containment>), (status = 404)))]
pub(crate) async fn list_containment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<Containment>>, ApiError> {
    readable_incident(&state, &caller, &id).await?;
    Ok(Json(state.store.incident_containments(&id).await?))
}

/// Records a containment action with its scope and expiry.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/containment", tag = "detection",
    request_body = ContainmentInput, params(("id" = String, Path)),
    responses((status = 201, body = Containment), (status = 404), (status = 422)))]
pub(crate) async fn add_containment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ContainmentInput>,
) -> Result<(StatusCode, Json<Containment>), ApiError> {
    caller.require(RESPONDERS)?;
    readable_incident(&state, &caller, &id).await?;
    let expires_at_us = input
        .expires_at
        .as_deref()
        .map(|text| parse_time("expires_at", text))
        .transpose()
        .map_err(|error| ApiError::invalid(error.message))?;
    let new = NewContainment {
        action: input.action,
        scope: input.scope,
        expires_at_us,
    };
    let containment = state
        .store
        .record_containment(&caller.user.name, &id, &new)
        .await?;
    Ok((StatusCode::CREATED, Json(containment)))
}

/// Escalates the incident to the PSIRT: opens a case (intake
/// `vsoc_escalation`, source `incident:ID`) with the incident's severity and
/// marking, its builds (those in the inventory) as under investigation and
/// the provisional CVSS vector, and records the hand-over summary. An
/// incident is escalated once; again is a 409 naming the case.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/escalate", tag = "detection",
    request_body = EscalationInput, params(("id" = String, Path)),
    responses((status = 201, body = EscalationAnswer), (status = 404), (status = 409),
              (status = 422)))]
pub(crate) async fn escalate(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<EscalationInput>,
) -> Result<(StatusCode, Json<EscalationAnswer>), ApiError> {
    caller.require(RESPONDERS)?;
    let incident = readable_incident(&state, &caller, &id).await?;
    let sla = &state.config.case_sla_days;
    let answer = escalate_incident(
        &state.store,
        sla,
        &caller.user.name,
        &caller.principal,
        &incident,
        &input,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// The escalations that opened or fed the case, each with its incident's
/// containment actions as they stand.
#[utoipa::path(get, path = "/api/v1/cases/{id}/escalations", tag = "psirt",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<CaseEscalation>), (status = 404)))]
pub(crate) async fn case_escalations(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<CaseEscalation>>, ApiError> {
    readable_case(&state, &caller, &id).await?;
    let mut answer = Vec::new();
    for escalation in state.store.escalations_to_case(&id).await? {
        let containment = state
            .store
            .incident_containments(&escalation.incident_id)
            .await?;
        answer.push(CaseEscalation {
            escalation,
            containment,
        });
    }
    Ok(Json(answer))
}
