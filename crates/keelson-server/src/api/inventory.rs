//! What runs on the road, over the API: ECUs, and the builds installed on
//! each vehicle's ECU slots (current, or with their history). Reads pass
//! the clearance gate; installing is for internal roles.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_core::Marking;
use keelson_store::installations::{Ecu, Installation, Installed, NewInstallation};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::fleet::INVENTORY_WRITERS;
use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Caller;
use crate::clearance::{visible, visible_only};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::monitoring;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_ecus, create_ecu))
        .routes(routes!(get_ecu))
        .routes(routes!(vehicle_builds, install_build))
}

/// ECUs the caller may see.
#[utoipa::path(get, path = "/api/v1/ecus", tag = "fleet", params(PageQuery),
    responses((status = 200, body = Page<Ecu>)))]
pub(crate) async fn list_ecus(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<Ecu>>, ApiError> {
    let ecus = state.store.list_ecus().await?;
    Ok(Json(page.page(visible_only(&caller, ecus))?))
}

/// One ECU.
#[utoipa::path(get, path = "/api/v1/ecus/{id}", tag = "fleet",
    params(("id" = String, Path)), responses((status = 200, body = Ecu), (status = 404)))]
pub(crate) async fn get_ecu(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Ecu>, ApiError> {
    let ecu = state.store.ecu(&id).await?;
    Ok(Json(visible(&caller, ecu, &format!("ecu {id}"))?))
}

/// Registers an ECU.
#[utoipa::path(post, path = "/api/v1/ecus", tag = "fleet", request_body = Ecu,
    responses((status = 201, body = Ecu), (status = 409)))]
pub(crate) async fn create_ecu(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(ecu): ApiJson<Ecu>,
) -> Result<(StatusCode, Json<Ecu>), ApiError> {
    caller.require(INVENTORY_WRITERS)?;
    state.store.create_ecu(&caller.user.name, &ecu).await?;
    Ok((StatusCode::CREATED, Json(ecu)))
}

/// Whether to list superseded installations too.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct BuildsQuery {
    /// `true` lists every installation, replaced ones included.
    #[serde(default)]
    pub(crate) history: bool,
}

/// The builds installed on a vehicle: current ones, or its whole history.
#[utoipa::path(get, path = "/api/v1/vehicles/{id}/builds", tag = "fleet",
    params(("id" = String, Path), BuildsQuery),
    responses((status = 200, body = Page<Installation>), (status = 404)))]
pub(crate) async fn vehicle_builds(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<BuildsQuery>,
) -> Result<Json<Page<Installation>>, ApiError> {
    let vehicle = state.store.vehicle(&id).await?;
    visible(&caller, vehicle, &format!("vehicle {id}"))?;
    let installations = state
        .store
        .installations_of_vehicle(&id, query.history)
        .await?;
    let items = visible_only(&caller, installations);
    let total = items.len() as u64;
    Ok(Json(Page {
        items,
        total,
        next: None,
        total_capped: false,
    }))
}

/// A build to install on one ECU slot.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct InstallRequest {
    ecu: String,
    build_id: String,
    /// RFC 3339; the time of the request when absent.
    #[serde(default)]
    installed_at: Option<String>,
    #[serde(default = "keelson_core::tlp::default_marking")]
    marking: Marking,
}

/// Installs a build on a vehicle's ECU slot; the slot's previous
/// installation ends and stays in the history.
#[utoipa::path(put, path = "/api/v1/vehicles/{id}/builds", tag = "fleet",
    params(("id" = String, Path)), request_body = InstallRequest,
    responses((status = 200, body = Installed), (status = 404), (status = 409)))]
async fn install_build(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<InstallRequest>,
) -> Result<Json<Installed>, ApiError> {
    caller.require(INVENTORY_WRITERS)?;
    let store = &state.store;
    visible(&caller, store.vehicle(&id).await?, &format!("vehicle {id}"))?;
    let ecu = store.ecu(&request.ecu).await?;
    visible(&caller, ecu, &format!("ecu {}", request.ecu))?;
    let build = store.build(&request.build_id).await?;
    visible(&caller, build, &format!("build {}", request.build_id))?;

    let installed_at_us = match &request.installed_at {
        Some(text) => parse_time_us(text)?,
        None => keelson_store::now_us(),
    };
    let new = NewInstallation {
        vehicle_id: id,
        ecu_id: request.ecu,
        build_id: request.build_id,
        installed_at_us,
        source: "api".to_owned(),
        marking: request.marking,
    };
    let (vehicle, build) = (new.vehicle_id.clone(), new.build_id.clone());
    let installed = store.install_build(&caller.user.name, new).await?;
    if matches!(installed, Installed::New { .. }) {
        let trigger = format!("build {build} installed on vehicle {vehicle}");
        monitoring::follow_fleet(store, &state.detector, &caller.user.name, &trigger).await;
    }
    Ok(Json(installed))
}

fn parse_time_us(text: &str) -> Result<i64, ApiError> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|error| ApiError::bad_request(format!("installed_at {text:?}: {error}")))?;
    Ok(i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX))
}
