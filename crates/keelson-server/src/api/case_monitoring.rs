//! The PSIRT side of the monitoring loop: a case's threat indicators, the
//! detection rules generated from them, the roll-out milestones of its
//! remediation packages, and the withdrawal of a compensating control. Each
//! route reads the case through the clearance gate first (a case the caller
//! may not see is a 404); every milestone and withdrawal levels the case's
//! rules at once (see `monitoring`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_core::indicator::Indicator;
use keelson_core::remediation::RolloutPhase;
use keelson_store::cases::indicators::CaseIndicator;
use keelson_store::cases::remediation::{Control, Milestone};
use keelson_store::rules::DetectionRule;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cases::{CASE_WRITERS, readable_case};
use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::monitoring::{self, generate};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_indicators, add_indicator))
        .routes(routes!(case_rules))
        .routes(routes!(list_milestones, record_milestone))
        .routes(routes!(withdraw_control))
}

/// The case's threat indicators, oldest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/indicators", tag = "psirt",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = Page<CaseIndicator>), (status = 404)))]
async fn list_indicators(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<CaseIndicator>>, ApiError> {
    readable_case(&state, &caller, &id).await?;
    let indicators = state.store.case_indicators(&id).await?;
    Ok(Json(page.page(indicators)?))
}

/// Adds a threat indicator (`hash`, `protocol_marker` or `behaviour`); a
/// behaviour's Sigma detection is loaded by the detection loader first. The
/// indicator becomes a rule when the case's advisory is next published.
#[utoipa::path(post, path = "/api/v1/cases/{id}/indicators", tag = "psirt",
    request_body = Indicator, params(("id" = String, Path)),
    responses((status = 201, body = CaseIndicator), (status = 404), (status = 422)))]
async fn add_indicator(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(indicator): ApiJson<Indicator>,
) -> Result<(StatusCode, Json<CaseIndicator>), ApiError> {
    caller.require(CASE_WRITERS)?;
    readable_case(&state, &caller, &id).await?;
    if let Indicator::Behaviour {
        detection,
        category,
        ..
    } = &indicator
    {
        generate::check_behaviour(detection, category.as_deref())?;
    }
    let stored = state
        .store
        .add_indicator(&caller.user.name, &id, indicator)
        .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// The detection rules generated for the case, those the caller may read.
#[utoipa::path(get, path = "/api/v1/cases/{id}/rules", tag = "psirt",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = Page<DetectionRule>), (status = 404)))]
async fn case_rules(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<DetectionRule>>, ApiError> {
    readable_case(&state, &caller, &id).await?;
    let rules: Vec<DetectionRule> = state
        .store
        .case_rules(&id)
        .await?
        .into_iter()
        .filter(|rule| caller.principal.may_read(&rule.marking))
        .collect();
    Ok(Json(page.page(rules)?))
}

/// The milestones of a package, in the order they were reached.
#[utoipa::path(get, path = "/api/v1/cases/{id}/remediation/{package_id}/milestones",
    tag = "psirt", params(("id" = String, Path), ("package_id" = String, Path), PageQuery),
    responses((status = 200, body = Page<Milestone>), (status = 404)))]
async fn list_milestones(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, package_id)): ApiPath<(String, String)>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<Milestone>>, ApiError> {
    readable_case(&state, &caller, &id).await?;
    let packages = state.store.case_remediations(&id).await?;
    if !packages.iter().any(|package| package.id == package_id) {
        let what = format!("remediation package {package_id} of case {id}");
        return Err(ApiError::not_found(what));
    }
    let milestones: Vec<Milestone> = state
        .store
        .case_milestones(&id)
        .await?
        .into_iter()
        .filter(|milestone| milestone.package_id == package_id)
        .collect();
    Ok(Json(page.page(milestones)?))
}

/// A roll-out phase a package reached.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MilestoneInput {
    phase: RolloutPhase,
    #[serde(default)]
    note: Option<String>,
}

/// Records that a package reached `lab`, `pilot` or `full` (each once);
/// the case's rules follow: heightened until every package reached `full`,
/// then active, and retired on schedule once enough of the affected fleet
/// runs a fixed build.
#[utoipa::path(post, path = "/api/v1/cases/{id}/remediation/{package_id}/milestones",
    tag = "psirt", request_body = MilestoneInput,
    params(("id" = String, Path), ("package_id" = String, Path)),
    responses((status = 201, body = Milestone), (status = 404), (status = 409),
              (status = 422)))]
async fn record_milestone(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, package_id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<MilestoneInput>,
) -> Result<(StatusCode, Json<Milestone>), ApiError> {
    caller.require(CASE_WRITERS)?;
    readable_case(&state, &caller, &id).await?;
    let actor = &caller.user.name;
    let milestone = state
        .store
        .record_milestone(actor, &id, &package_id, input.phase, input.note.as_deref())
        .await?;
    let trigger = format!("package {package_id} reached {}", input.phase);
    monitoring::follow_case(&state.store, &state.detector, actor, &id, &trigger).await;
    Ok((StatusCode::CREATED, Json(milestone)))
}

/// Why a control is withdrawn.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct WithdrawInput {
    reason: String,
}

/// Withdraws a compensating control before its expiry day; the case's
/// rules return to the level the roll-out milestones give.
#[utoipa::path(post, path = "/api/v1/cases/{id}/controls/{control_id}/withdraw",
    tag = "psirt", request_body = WithdrawInput,
    params(("id" = String, Path), ("control_id" = String, Path)),
    responses((status = 200, body = Control), (status = 404), (status = 409),
              (status = 422)))]
async fn withdraw_control(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, control_id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<WithdrawInput>,
) -> Result<Json<Control>, ApiError> {
    caller.require(CASE_WRITERS)?;
    readable_case(&state, &caller, &id).await?;
    let actor = &caller.user.name;
    let control = state
        .store
        .withdraw_control(actor, &id, &control_id, input.reason.trim())
        .await?;
    let trigger = format!("compensating control {control_id} withdrawn");
    monitoring::follow_case(&state.store, &state.detector, actor, &id, &trigger).await;
    Ok(Json(control))
}
