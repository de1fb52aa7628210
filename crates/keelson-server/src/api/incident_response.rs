//! Containment notes and escalation over the API: the VSOC records each
//! temporary action taken against an incident, and hands the incident to
//! the PSIRT in one action that opens a case (intake `vsoc_escalation`)
//! carrying what the PSIRT needs to find the root cause. The case's
//! escalations, with the incidents' containment notes as they stand, are
//! read from the case's side.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_core::{BuildStatus, IntakeKind, VulnerabilityId};
use keelson_store::cases::{BuildAssessment, Case, Intake, NewCase, Opened};
use keelson_store::incidents::IncidentRecord;
use keelson_store::incidents::response::{Containment, Escalation, NewContainment};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::alerts::parse_time;
use super::cases::readable_case;
use super::incidents::{RESPONDERS, readable_incident};
use crate::AppState;
use crate::auth::Caller;
use crate::clearance::visible_only;
use crate::error::{ApiError, ApiJson, ApiPath};

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

/// What the analyst adds to the hand-over.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationInput {
    /// The case title; default "Escalated: " and the incident's title.
    #[serde(default)]
    pub title: Option<String>,
    /// A provisional CVSS vector (v2, v3.x or v4.0), scored and stored on
    /// the case in canonical form.
    #[serde(default)]
    pub cvss_vector: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub vulnerability_ids: Vec<VulnerabilityId>,
    /// How the affected vehicles were being used (fleet, rental, private).
    #[serde(default)]
    pub usage_pattern: Option<String>,
    /// What drivers notice, if anything.
    #[serde(default)]
    pub driver_visible_impact: Option<String>,
    /// Free text for the PSIRT.
    #[serde(default)]
    pub notes: Option<String>,
}

/// The case opened (or fed) and the escalation recorded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EscalationAnswer {
    pub case: Case,
    pub escalation: Escalation,
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
    if let Some(earlier) = state.store.escalation_of_incident(&id).await? {
        return Err(already_escalated(&id, &earlier.case_id));
    }
    let cvss = input
        .cvss_vector
        .as_deref()
        .map(|vector| keelson_cvss::assess(vector.trim()))
        .transpose()
        .map_err(|error| ApiError::invalid(format!("cvss_vector: {error}")))?;

    let summary = hand_over(&state, &caller, &incident, &input, cvss.as_ref()).await?;
    let builds = inventory_builds(&state, &caller, &summary).await?;
    let new = NewCase {
        title: input
            .title
            .clone()
            .unwrap_or_else(|| format!("Escalated: {}", incident.title)),
        intake: Intake {
            kind: IntakeKind::VsocEscalation,
            source: Some(format!("incident:{id}")),
        },
        vulnerability_ids: input.vulnerability_ids.clone(),
        severity: incident.severity,
        owner: None,
        team: None,
        marking: incident.marking.clone(),
        builds,
    };
    let actor = &caller.user.name;
    let sla = &state.config.case_sla_days;
    let opened = state
        .store
        .open_case(actor, &caller.principal, &new, sla)
        .await?;
    let mut case = match opened {
        Opened::Created(case) | Opened::Merged(case) => case,
    };
    if let Some(cvss) = &cvss {
        let changes = keelson_store::cases::workflow::CaseChanges {
            cvss_vector: Some(Some(cvss.vector.clone())),
            ..Default::default()
        };
        case = state
            .store
            .update_case(actor, &case.id, &changes, sla)
            .await?;
    }
    let escalation = state
        .store
        .record_escalation(actor, &id, &case.id, &summary)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(EscalationAnswer { case, escalation }),
    ))
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

fn already_escalated(incident: &str, case: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        format!("incident {incident} was already escalated to case {case}"),
    )
}

/// The summary handed to the PSIRT: scope, log references (the events each
/// alert cites), provisional CVSS, TLP, containment and operational
/// context.
pub(crate) async fn hand_over(
    state: &AppState,
    caller: &Caller,
    incident: &IncidentRecord,
    input: &EscalationInput,
    cvss: Option<&keelson_cvss::Assessment>,
) -> Result<Value, ApiError> {
    let store = &state.store;
    let scope = store.incident_scope(&incident.id).await?;
    let mut alerts = Vec::new();
    for alert_id in store.incident_alert_ids(&incident.id).await? {
        alerts.extend(store.alert(&alert_id).await?);
    }
    let log_references: Vec<Value> = visible_only(caller, alerts)
        .into_iter()
        .map(|alert| {
            json!({"alert_id": alert.id, "vehicle_id": alert.vehicle_id,
                   "first_seen": alert.first_seen, "last_seen": alert.last_seen,
                   "events": alert.evidence})
        })
        .collect();
    let containment = store.incident_containments(&incident.id).await?;
    Ok(json!({
        "incident_id": incident.id,
        "title": incident.title,
        "sigma_rule": incident.sigma_rule,
        "severity": incident.severity,
        "tlp": incident.marking.tlp,
        "first_event": incident.first_event,
        "detected": incident.detected,
        "vehicles_affected": scope.vehicles_affected,
        "build_ids": scope.build_ids,
        "log_references": log_references,
        "provisional_cvss": cvss.map(|c| json!({"vector": c.vector, "score": c.score})),
        "containment": containment,
        "operational_context": {
            "regions": scope.regions,
            "usage_pattern": input.usage_pattern,
            "driver_visible_impact": input.driver_visible_impact,
        },
        "notes": input.notes,
    }))
}

/// The summary's builds that the inventory holds and the caller may read,
/// as under investigation; the others stay in the summary only.
pub(crate) async fn inventory_builds(
    state: &AppState,
    caller: &Caller,
    summary: &Value,
) -> Result<Vec<BuildAssessment>, ApiError> {
    let mut builds = Vec::new();
    let named = summary["build_ids"].as_array().into_iter().flatten();
    for build_id in named.filter_map(Value::as_str) {
        let record = state.store.build(build_id).await?;
        if record.is_some_and(|record| caller.principal.may_read(&record.marking)) {
            builds.push(BuildAssessment {
                build_id: build_id.to_owned(),
                status: BuildStatus::UnderInvestigation,
            });
        }
    }
    Ok(builds)
}
