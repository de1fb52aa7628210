//! PSIRT cases over the API: list with filters, open from an intake (or add
//! the intake to the open case of the same vulnerability), read, change
//! fields, move through the workflow, and the history from the audit log.
//! Comments, tasks and build statuses are in `case_work`. Every read passes
//! the clearance gate: a case above the reader's clearance is a 404, and
//! so is everything under its path.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_core::case::Transition;
use keelson_core::{CaseState, IntakeKind, Marking, Role, Severity, Team, VulnerabilityId};
use keelson_store::cases::history::HistoryEntry;
use keelson_store::cases::work::{CaseBuild, Comment, Task};
use keelson_store::cases::workflow::CaseChanges;
use keelson_store::cases::{BuildAssessment, Case, CaseFilter, Intake, NewCase, Opened};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Caller;
use crate::clearance::{visible, visible_only};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::webhooks::Notification;

/// Roles that open cases (the VSOC escalates to the PSIRT).
const CASE_OPENERS: &[Role] = &[Role::Admin, Role::PsirtEngineer, Role::VsocAnalyst];
/// Roles that work cases.
pub(crate) const CASE_WRITERS: &[Role] = &[Role::Admin, Role::PsirtEngineer];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cases, open_case))
        .routes(routes!(get_case, update_case))
        .routes(routes!(transition))
        .routes(routes!(history))
}

/// Filters and paging of the case list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    pub state: Option<CaseState>,
    pub severity: Option<Severity>,
    /// The owner's user name.
    pub owner: Option<String>,
    pub team: Option<Team>,
    pub intake: Option<IntakeKind>,
    /// A vulnerability ID the case tracks.
    #[param(value_type = Option<String>)]
    pub vulnerability: Option<VulnerabilityId>,
    /// A build the case concerns.
    pub build: Option<String>,
    /// Items per page (1 to 1000; default 100).
    pub limit: Option<u32>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

/// A case to open.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    pub title: String,
    pub intake: Intake,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub vulnerability_ids: Vec<VulnerabilityId>,
    /// Default `medium`.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// A user name.
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub team: Option<Team>,
    /// Default AMBER, shared with no partner.
    #[serde(default = "keelson_core::tlp::default_marking")]
    pub marking: Marking,
    /// Builds of the inventory with the vulnerability's status in each.
    #[serde(default)]
    pub builds: Vec<BuildAssessment>,
}

/// Field changes; a field left out stays as it is, `null` clears `owner`
/// or `team`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CasePatch {
    pub title: Option<String>,
    pub severity: Option<Severity>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub owner: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Team>)]
    pub team: Option<Option<Team>>,
    #[schema(value_type = Option<Vec<String>>)]
    pub vulnerability_ids: Option<Vec<VulnerabilityId>>,
    pub marking: Option<Marking>,
    /// A CVSS v2/v3.x/v4.0 vector, stored in canonical form; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub cvss_vector: Option<Option<String>>,
}

/// The canonical form of a patched CVSS vector, or a 422 naming the field.
fn canonical_cvss(vector: Option<Option<String>>) -> Result<Option<Option<String>>, ApiError> {
    let Some(Some(vector)) = vector else {
        return Ok(vector);
    };
    keelson_cvss::assess(vector.trim())
        .map(|assessment| Some(Some(assessment.vector)))
        .map_err(|error| ApiError::invalid(format!("cvss_vector: {error}")))
}

/// A move through the workflow.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    pub to: CaseState,
    /// Why; kept in the audit log and shown in the history.
    pub reason: String,
    /// The case this one duplicates; required exactly for `duplicate`.
    #[serde(default)]
    pub duplicate_of: Option<String>,
}

/// One case with its builds, tasks and comments.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    pub builds: Vec<CaseBuild>,
    pub tasks: Vec<Task>,
    pub comments: Vec<Comment>,
}

/// A field present in the body (even as `null`) is `Some`.
pub(crate) fn present<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Cases the caller may see, most recently received first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "psirt", params(CaseQuery),
    responses((status = 200, body = Page<Case>)))]
pub(crate) async fn list_cases(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<CaseQuery>,
) -> Result<Json<Page<Case>>, ApiError> {
    let filter = CaseFilter {
        state: query.state,
        severity: query.severity,
        owner: query.owner,
        team: query.team,
        intake_kind: query.intake,
        vulnerability: query.vulnerability,
        build_id: query.build,
    };
    let cases = state.store.list_cases(&filter).await?;
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    Ok(Json(page.page(visible_only(&caller, cases))?))
}

/// Opens a case in `received` (201), or adds the intake's builds and
/// vulnerability IDs to the open case that already tracks one of its
/// vulnerabilities (200, that case).
#[utoipa::path(post, path = "/api/v1/cases", tag = "psirt", request_body = CaseInput,
    responses((status = 201, body = Case), (status = 200, body = Case),
              (status = 409, description = "the vulnerability is tracked elsewhere",
               body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn open_case(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<CaseInput>,
) -> Result<(StatusCode, Json<Case>), ApiError> {
    caller.require(CASE_OPENERS)?;
    for build in &input.builds {
        readable_build(&state, &caller, &build.build_id).await?;
    }
    let new = NewCase {
        title: input.title,
        intake: input.intake,
        vulnerability_ids: input.vulnerability_ids,
        severity: input.severity.unwrap_or(Severity::Medium),
        owner: input.owner,
        team: input.team,
        marking: input.marking,
        builds: input.builds,
    };
    let sla = &state.config.case_sla_days;
    let opened = state
        .store
        .open_case(&caller.user.name, &caller.principal, &new, sla)
        .await?;
    Ok(match opened {
        Opened::Created(case) => (StatusCode::CREATED, Json(case)),
        Opened::Merged(case) => (StatusCode::OK, Json(case)),
    })
}

/// One case with its builds, tasks and comments.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "psirt",
    params(("id" = String, Path)), responses((status = 200, body = CaseDetail), (status = 404)))]
pub(crate) async fn get_case(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<CaseDetail>, ApiError> {
    let case = readable_case(&state, &caller, &id).await?;
    let builds = state.store.case_builds(&id).await?;
    let detail = CaseDetail {
        builds: readable_builds(&state, &caller, builds).await?,
        tasks: state.store.case_tasks(&id).await?,
        comments: state.store.case_comments(&id).await?,
        case,
    };
    Ok(Json(detail))
}

/// Changes title, severity (the due date follows), owner, team,
/// vulnerability IDs, marking or CVSS vector.
#[utoipa::path(patch, path = "/api/v1/cases/{id}", tag = "psirt", request_body = CasePatch,
    params(("id" = String, Path)),
    responses((status = 200, body = Case), (status = 404), (status = 409), (status = 422)))]
pub(crate) async fn update_case(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<CasePatch>,
) -> Result<Json<Case>, ApiError> {
    caller.require(CASE_WRITERS)?;
    readable_case(&state, &caller, &id).await?;
    let changes = CaseChanges {
        title: patch.title,
        severity: patch.severity,
        owner: patch.owner,
        team: patch.team,
        vulnerability_ids: patch.vulnerability_ids,
        marking: patch.marking,
        cvss_vector: canonical_cvss(patch.cvss_vector)?,
    };
    let sla = &state.config.case_sla_days;
    let case = state
        .store
        .update_case(&caller.user.name, &id, &changes, sla)
        .await?;
    Ok(Json(case))
}

/// Moves a case along its workflow with a reason. A move the workflow does
/// not have is a 409 `invalid_transition` naming the allowed states.
#[utoipa::path(post, path = "/api/v1/cases/{id}/transitions", tag = "psirt",
    request_body = TransitionInput, params(("id" = String, Path)),
    responses((status = 200, body = Case), (status = 404),
              (status = 409, description = "not in the workflow", body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
pub(crate) async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<TransitionInput>,
) -> Result<Json<Case>, ApiError> {
    caller.require(CASE_WRITERS)?;
    let move_to = Transition::new(input.to, &input.reason, input.duplicate_of)
        .map_err(|invalid| ApiError::invalid(invalid.to_string()))?;
    let before = readable_case(&state, &caller, &id).await?;
    if let Some(original) = &move_to.duplicate_of {
        let found = state.store.case(original).await?;
        visible(&caller, found, "")
            .map_err(|_| ApiError::invalid(format!("duplicate_of: no case {original}")))?;
    }
    let case = state
        .store
        .transition_case(&caller.user.name, &id, &move_to)
        .await?;
    let moved = Notification::CaseTransition {
        case_id: case.id.clone(),
        title: case.title.clone(),
        from: before.state,
        to: case.state,
        reason: move_to.reason.clone(),
        marking: case.marking.clone(),
    };
    state.notifier.notify(moved).await;
    Ok(Json(case))
}

/// Everything that happened to the case, oldest first, from the audit log:
/// transitions (from, to, reason), field changes, build statuses, comments
/// and tasks. The whole history is one page.
#[utoipa::path(get, path = "/api/v1/cases/{id}/history", tag = "psirt",
    params(("id" = String, Path)),
    responses((status = 200, body = Page<HistoryEntry>), (status = 404)))]
pub(crate) async fn history(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Page<HistoryEntry>>, ApiError> {
    readable_case(&state, &caller, &id).await?;
    let items = state.store.case_history(&id).await?;
    Ok(Json(Page {
        total: items.len() as u64,
        items,
        next: None,
        total_capped: false,
    }))
}

/// The case if it exists and the caller may read it; otherwise 404.
pub(crate) async fn readable_case(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<Case, ApiError> {
    let case = state.store.case(id).await?;
    visible(caller, case, &format!("case {id}"))
}

/// A build the caller names: one it may read, else a 422 that says the
/// same as for a build that does not exist.
pub(crate) async fn readable_build(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(), ApiError> {
    let build = state.store.build(id).await?;
    visible(caller, build, "")
        .map(|_| ())
        .map_err(|_| ApiError::invalid(format!("build_id: no build {id:?}")))
}

/// The case's builds whose inventory record the caller may read.
pub(crate) async fn readable_builds(
    state: &AppState,
    caller: &Caller,
    builds: Vec<CaseBuild>,
) -> Result<Vec<CaseBuild>, ApiError> {
    let mut readable = Vec::with_capacity(builds.len());
    for build in builds {
        let record = state.store.build(&build.build_id).await?;
        if record.is_some_and(|record| caller.principal.may_read(&record.marking)) {
            readable.push(build);
        }
    }
    Ok(readable)
}
