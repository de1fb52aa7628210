//! A case's remediation packages and compensating controls: list, add,
//! replace a package's plan. Each route reads the case through the
//! clearance gate first (a case the caller may not see is a 404); a
//! software fix must name a build the caller may read. A new control
//! levels the case's generated rules at once (see `monitoring`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_core::remediation::{CompensatingControl, RemediationPlan};
use keelson_store::cases::remediation::{Control, today};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cases::{CASE_WRITERS, readable_build, readable_case};
use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::monitoring;
use crate::remediation::{PackageView, with_reach};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_packages, add_package))
        .routes(routes!(update_package))
        .routes(routes!(list_controls, add_control))
}

/// The case's remediation packages, oldest first, each with the vehicles
/// currently on its fixed builds.
#[utoipa::path(get, path = "/api/v1/cases/{id}/remediation", tag = "psirt",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = Page<PackageView>), (status = 404)))]
pub(crate) async fn list_packages(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<PackageView>>, ApiError> {
    readable_case(&state, &caller, &id).await?;
    let packages = state.store.case_remediations(&id).await?;
    let views = with_reach(&state.store, &caller.principal, packages).await?;
    Ok(Json(page.page(views)?))
}

/// Adds a remediation package: fixes, verification per platform, roll-out
/// phases lab, pilot, full.
#[utoipa::path(post, path = "/api/v1/cases/{id}/remediation", tag = "psirt",
    request_body = RemediationPlan, params(("id" = String, Path)),
    responses((status = 201, body = PackageView), (status = 404), (status = 422)))]
pub(crate) async fn add_package(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(plan): ApiJson<RemediationPlan>,
) -> Result<(StatusCode, Json<PackageView>), ApiError> {
    caller.require(CASE_WRITERS)?;
    readable_case(&state, &caller, &id).await?;
    readable_fixed_builds(&state, &caller, &plan).await?;
    let package = state
        .store
        .add_remediation(&caller.user.name, &id, &plan)
        .await?;
    let view = single_view(&state, &caller, package).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Replaces a package's plan (a verification passed, a phase's dates).
#[utoipa::path(put, path = "/api/v1/cases/{id}/remediation/{package_id}", tag = "psirt",
    request_body = RemediationPlan,
    params(("id" = String, Path), ("package_id" = String, Path)),
    responses((status = 200, body = PackageView), (status = 404), (status = 422)))]
pub(crate) async fn update_package(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, package_id)): ApiPath<(String, String)>,
    ApiJson(plan): ApiJson<RemediationPlan>,
) -> Result<Json<PackageView>, ApiError> {
    caller.require(CASE_WRITERS)?;
    readable_case(&state, &caller, &id).await?;
    readable_fixed_builds(&state, &caller, &plan).await?;
    let store = &state.store;
    let package = store
        .update_remediation(&caller.user.name, &id, &package_id, &plan)
        .await?;
    Ok(Json(single_view(&state, &caller, package).await?))
}

/// The case's compensating controls, oldest first; `expired` once the
/// day after `expires_on` (UTC) has begun.
#[utoipa::path(get, path = "/api/v1/cases/{id}/controls", tag = "psirt",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = Page<Control>), (status = 404)))]
pub(crate) async fn list_controls(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<Control>>, ApiError> {
    readable_case(&state, &caller, &id).await?;
    let controls = state.store.case_controls(&id, &today()).await?;
    Ok(Json(page.page(controls)?))
}

/// Adds a compensating control (owner, description, expiry day).
#[utoipa::path(post, path = "/api/v1/cases/{id}/controls", tag = "psirt",
    request_body = CompensatingControl, params(("id" = String, Path)),
    responses((status = 201, body = Control), (status = 404), (status = 422)))]
pub(crate) async fn add_control(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(control): ApiJson<CompensatingControl>,
) -> Result<(StatusCode, Json<Control>), ApiError> {
    caller.require(CASE_WRITERS)?;
    readable_case(&state, &caller, &id).await?;
    let stored = state
        .store
        .add_control(&caller.user.name, &id, &control)
        .await?;
    // A control in force raises the case's rules to heightened.
    let trigger = format!("compensating control {} recorded", stored.id);
    let (store, detector) = (&state.store, &state.detector);
    monitoring::follow_case(store, detector, &caller.user.name, &id, &trigger).await;
    Ok((StatusCode::CREATED, Json(stored)))
}

pub(crate) async fn readable_fixed_builds(
    state: &AppState,
    caller: &Caller,
    plan: &RemediationPlan,
) -> Result<(), ApiError> {
    for build in plan.fixed_builds() {
        readable_build(state, caller, build).await?;
    }
    Ok(())
}

pub(crate) async fn single_view(
    state: &AppState,
    caller: &Caller,
    package: keelson_store::cases::remediation::RemediationPackage,
) -> Result<PackageView, ApiError> {
    let mut views = with_reach(&state.store, &caller.principal, vec![package]).await?;
    views
        .pop()
        .ok_or_else(|| ApiError::internal("a package view went missing"))
}
