//! VSOC incidents over the API: the list with filters, one incident with
//! its alerts, scope, comments, containment and escalation, field changes, moves along the response
//! states, merge and split, and the response-time metrics of a period.
//!
//! Incidents form on their own as alerts are stored (see
//! `keelson_store::incidents`); nothing here opens one from scratch. Every
//! read passes the clearance gate: an incident carries its alerts' marking,
//! and one above the reader's clearance is a 404, as is everything under
//! its path.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_core::{IncidentState, Role, Severity};
use keelson_store::alerts::AlertRecord;
use keelson_store::incidents::response::{Containment, Escalation};
use keelson_store::incidents::{
    IncidentChanges, IncidentComment, IncidentError, IncidentFilter, IncidentRecord, IncidentScope,
};
use keelson_store::readable::Readable;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::alerts::parse_time;
use super::cases::present;
use super::{Page, keyset_cursor, keyset_page, page_limit};
use crate::AppState;
use crate::auth::Caller;
use crate::clearance::{visible, visible_only};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::reports::metrics::ResponseMetrics;

/// Roles that work incidents.
pub(crate) const RESPONDERS: &[Role] = &[Role::Admin, Role::VsocAnalyst];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_incidents))
        .routes(routes!(incident_metrics))
        .routes(routes!(get_incident, update_incident))
        .routes(routes!(transition))
        .routes(routes!(list_comments, add_comment))
        .routes(routes!(timeline))
        .routes(routes!(merge))
        .routes(routes!(split))
}

/// Filters and paging of the incident list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IncidentQuery {
    pub state: Option<IncidentState>,
    pub severity: Option<Severity>,
    /// The Sigma rule ID its alerts come from.
    pub rule: Option<String>,
    /// RFC 3339: incidents detected at or after this time.
    pub since: Option<String>,
    /// RFC 3339: incidents detected before this time.
    pub until: Option<String>,
    /// Items per page (1 to 1000; default 100).
    pub limit: Option<u32>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

/// The period the metrics cover; either end may be left open.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// RFC 3339: incidents detected at or after this time.
    pub since: Option<String>,
    /// RFC 3339: incidents detected before this time.
    pub until: Option<String>,
}

/// One incident with what it is made of.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IncidentDetail {
    #[serde(flatten)]
    pub incident: IncidentRecord,
    #[serde(flatten)]
    pub scope: IncidentScope,
    /// Its alerts, oldest first.
    pub alerts: Vec<AlertRecord>,
    pub comments: Vec<IncidentComment>,
    /// Containment actions taken, oldest first.
    pub containment: Vec<Containment>,
    /// The PSIRT case it was escalated to, if it was.
    pub escalation: Option<Escalation>,
    /// The states it may move to now.
    pub allowed_transitions: Vec<IncidentState>,
}

/// Field changes; a field left out stays as it is, `owner: null` clears
/// the owner, `custom_fields` replaces them all.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentPatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub owner: Option<Option<String>>,
    pub severity: Option<Severity>,
    pub custom_fields: Option<BTreeMap<String, String>>,
}

/// A move along the response states.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentTransition {
    pub to: IncidentState,
    /// Why; kept in the audit log.
    pub reason: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    pub body: String,
}

/// The incidents to fold into this one.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    pub from: Vec<String>,
}

/// The alerts to move into a new incident.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitInput {
    pub alerts: Vec<String>,
}

/// Response metrics over the incidents detected in a period.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IncidentMetrics {
    pub since: Option<String>,
    pub until: Option<String>,
    #[serde(flatten)]
    pub response: ResponseMetrics,
}

impl From<IncidentError> for ApiError {
    fn from(error: IncidentError) -> Self {
        match error {
            IncidentError::NotFound(id) => ApiError::not_found(format!("incident {id}")),
            IncidentError::Move(refused) => ApiError::new(
                StatusCode::CONFLICT,
                "invalid_transition",
                refused.to_string(),
            ),
            IncidentError::Invalid(message) => ApiError::invalid(message),
            escalated @ IncidentError::Escalated { .. } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", escalated.to_string())
            }
            IncidentError::Store(error) => error.into(),
        }
    }
}

/// Incidents the caller may see, most recently seen first.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "detection", params(IncidentQuery),
    responses((status = 200, body = Page<IncidentRecord>), (status = 400)))]
pub(crate) async fn list_incidents(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<IncidentQuery>,
) -> Result<Json<Page<IncidentRecord>>, ApiError> {
    let filter = IncidentFilter {
        state: query.state,
        severity: query.severity,
        sigma_rule: query.rule,
        detected_since_us: query
            .since
            .as_deref()
            .map(|t| parse_time("since", t))
            .transpose()?,
        detected_until_us: query
            .until
            .as_deref()
            .map(|t| parse_time("until", t))
            .transpose()?,
        ..IncidentFilter::default()
    };
    let limit = page_limit(query.limit)?;
    let after = keyset_cursor(query.cursor.as_deref())?;
    let reader = Readable::by(&caller.principal);
    let page = state
        .store
        .incident_page(&filter, &reader, after, limit as usize)
        .await?;
    let total = state.store.count_incidents(&filter, &reader).await?;
    Ok(Json(keyset_page(page, total)))
}

/// MTTD, MTTA, MTTC, MTTR, counts per state and the false-positive rate per
/// rule over the incidents the caller may see detected in the period.
#[utoipa::path(get, path = "/api/v1/incidents/metrics", tag = "detection", params(PeriodQuery),
    responses((status = 200, body = IncidentMetrics), (status = 400)))]
pub(crate) async fn incident_metrics(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(period): ApiQuery<PeriodQuery>,
) -> Result<Json<IncidentMetrics>, ApiError> {
    let filter = IncidentFilter {
        detected_since_us: period
            .since
            .as_deref()
            .map(|t| parse_time("since", t))
            .transpose()?,
        detected_until_us: period
            .until
            .as_deref()
            .map(|t| parse_time("until", t))
            .transpose()?,
        ..IncidentFilter::default()
    };
    let incidents = visible_only(&caller, state.store.list_incidents(&filter).await?);
    Ok(Json(IncidentMetrics {
        since: period.since,
        until: period.until,
        response: ResponseMetrics::of(&incidents),
    }))
}

/// One incident with its scope, alerts and comments.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "detection",
    params(("id" = String, Path)), responses((status = 200, body = IncidentDetail), (status = 404)))]
pub(crate) async fn get_incident(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<IncidentDetail>, ApiError> {
    let incident = readable_incident(&state, &caller, &id).await?;
    let mut alerts = Vec::new();
    for alert_id in state.store.incident_alert_ids(&id).await? {
        if let Some(alert) = state.store.alert(&alert_id).await? {
            alerts.push(alert);
        }
    }
    let detail = IncidentDetail {
        scope: state.store.incident_scope(&id).await?,
        alerts: visible_only(&caller, alerts),
        comments: state.store.incident_comments(&id).await?,
        containment: state.store.incident_containments(&id).await?,
        escalation: state.store.escalation_of_incident(&id).await?,
        allowed_transitions: incident.state.allowed(),
        incident,
    };
    Ok(Json(detail))
}

/// Changes owner, severity or custom fields.
#[utoipa::path(patch, path = "/api/v1/incidents/{id}", tag = "detection",
    request_body = IncidentPatch, params(("id" = String, Path)),
    responses((status = 200, body = IncidentRecord), (status = 404), (status = 422)))]
pub(crate) async fn update_incident(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<IncidentPatch>,
) -> Result<Json<IncidentRecord>, ApiError> {
    caller.require(RESPONDERS)?;
    readable_incident(&state, &caller, &id).await?;
    let changes = IncidentChanges {
        owner: patch.owner,
        severity: patch.severity,
        custom_fields: patch.custom_fields,
    };
    let incident = state
        .store
        .update_incident(&caller.user.name, &id, changes)
        .await?;
    Ok(Json(incident))
}

/// Moves an incident along the response states with a reason, stamping the
/// state and those it skips. A move the workflow does not have is a 409
/// `invalid_transition` naming the allowed states.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/transitions", tag = "detection",
    request_body = IncidentTransition, params(("id" = String, Path)),
    responses((status = 200, body = IncidentRecord), (status = 404), (status = 409),
              (status = 422)))]
pub(crate) async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<IncidentTransition>,
) -> Result<Json<IncidentRecord>, ApiError> {
    caller.require(RESPONDERS)?;
    readable_incident(&state, &caller, &id).await?;
    let incident = state
        .store
        .transition_incident(&caller.user.name, &id, input.to, &input.reason)
        .await?;
    Ok(Json(incident))
}

/// The attack timeline: every event the incident's alerts cite (vehicle,
/// ECU and backend alike) in time order, each `{at, clock, vehicle_id, ecu,
/// source, kind, event_id, key, alerts}`; `clock` says whether `at` is the
/// vehicle's time or the time Keelson received the event.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/timeline", tag = "detection",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<Object>), (status = 404)))]
pub(crate) async fn timeline(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    readable_incident(&state, &caller, &id).await?;
    let timeline =
        crate::forensics::incident_timeline(&state.store, &caller.principal, &id).await?;
    Ok(Json(timeline))
}

/// An incident's comments, oldest first.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/comments", tag = "detection",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<IncidentComment>), (status = 404)))]
pub(crate) async fn list_comments(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<IncidentComment>>, ApiError> {
    readable_incident(&state, &caller, &id).await?;
    Ok(Json(state.store.incident_comments(&id).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents/{id}/comments", tag = "detection",
    request_body = CommentInput, params(("id" = String, Path)),
    responses((status = 201, body = IncidentComment), (status = 404), (status = 422)))]
pub(crate) async fn add_comment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<CommentInput>,
) -> Result<(StatusCode, Json<IncidentComment>), ApiError> {
    caller.require(RESPONDERS)?;
    readable_incident(&state, &caller, &id).await?;
    let comment = state
        .store
        .comment_incident(&caller.user.name, &id, &input.body)
        .await?;
    Ok((StatusCode::CREATED, Json(comment)))
}

/// Folds other incidents (alerts and comments) into this one; they must
/// carry the same marking.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/merge", tag = "detection",
    request_body = MergeInput, params(("id" = String, Path)),
    responses((status = 200, body = IncidentRecord), (status = 404), (status = 422)))]
pub(crate) async fn merge(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<MergeInput>,
) -> Result<Json<IncidentRecord>, ApiError> {
    caller.require(RESPONDERS)?;
    readable_incident(&state, &caller, &id).await?;
    for other in &input.from {
        readable_incident(&state, &caller, other).await?;
    }
    let incident = state
        .store
        .merge_incidents(&caller.user.name, &id, &input.from)
        .await?;
    Ok(Json(incident))
}

/// Moves some of the incident's alerts into a new incident (201, the new
/// one); at least one alert must stay.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/split", tag = "detection",
    request_body = SplitInput, params(("id" = String, Path)),
    responses((status = 201, body = IncidentRecord), (status = 404), (status = 422)))]
pub(crate) async fn split(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<SplitInput>,
) -> Result<(StatusCode, Json<IncidentRecord>), ApiError> {
    caller.require(RESPONDERS)?;
    readable_incident(&state, &caller, &id).await?;
    let incident = state
        .store
        .split_incident(&caller.user.name, &id, &input.alerts)
        .await?;
    Ok((StatusCode::CREATED, Json(incident)))
}

/// The incident if it exists and the caller may read it; otherwise 404.
pub(crate) async fn readable_incident(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<IncidentRecord, ApiError> {
    let incident = state.store.incident(id).await?;
    visible(caller, incident, &format!("incident {id}"))
}
