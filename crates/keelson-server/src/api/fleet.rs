//! The fleet inventory over the API: vehicle models, vehicles and software
//! builds. Reads pass the clearance gate; writes are for internal roles.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_core::Role;
use keelson_store::fleet::{SoftwareBuild, Vehicle, VehicleModel};
use keelson_store::paging::CappedCount;
use keelson_store::readable::Readable;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Page, PageQuery, keyset_cursor, keyset_page, page_limit};
use crate::AppState;
use crate::auth::Caller;
use crate::clearance::{visible, visible_only};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};

/// Roles that may change the inventory.
pub(crate) const INVENTORY_WRITERS: &[Role] =
    &[Role::Admin, Role::VsocAnalyst, Role::PsirtEngineer];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_models, create_model))
        .routes(routes!(get_model))
        .routes(routes!(list_vehicles, create_vehicle))
        .routes(routes!(get_vehicle))
        .routes(routes!(list_builds, create_build))
        .routes(routes!(get_build))
}

/// Vehicle models the caller may see.
#[utoipa::path(get, path = "/api/v1/models", tag = "fleet", params(PageQuery),
    responses((status = 200, body = Page<VehicleModel>)))]
pub(crate) async fn list_models(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<VehicleModel>>, ApiError> {
    let models = state.store.list_vehicle_models().await?;
    Ok(Json(page.page(visible_only(&caller, models))?))
}

/// One vehicle model.
#[utoipa::path(get, path = "/api/v1/models/{id}", tag = "fleet",
    params(("id" = String, Path)), responses((status = 200, body = VehicleModel), (status = 404)))]
pub(crate) async fn get_model(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<VehicleModel>, ApiError> {
    let model = state.store.vehicle_model(&id).await?;
    Ok(Json(visible(
        &caller,
        model,
        &format!("vehicle model {id}"),
    )?))
}

/// Registers a vehicle model.
#[utoipa::path(post, path = "/api/v1/models", tag = "fleet", request_body = VehicleModel,
    responses((status = 201, body = VehicleModel), (status = 409)))]
pub(crate) async fn create_model(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(model): ApiJson<VehicleModel>,
) -> Result<(StatusCode, Json<VehicleModel>), ApiError> {
    caller.require(INVENTORY_WRITERS)?;
    state
        .store
        .create_vehicle_model(&caller.user.name, &model)
        .await?;
    Ok((StatusCode::CREATED, Json(model)))
}

/// Vehicles the caller may see.
#[utoipa::path(get, path = "/api/v1/vehicles", tag = "fleet", params(PageQuery),
    responses((status = 200, body = Page<Vehicle>)))]
pub(crate) async fn list_vehicles(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<Vehicle>>, ApiError> {
    let limit = page_limit(page.limit)?;
    let after = keyset_cursor(page.cursor.as_deref())?;
    let reader = Readable::by(&caller.principal);
    let vehicles = state
        .store
        .vehicle_page(&reader, after, limit as usize)
        .await?;
    let total = CappedCount {
        count: state.store.count_vehicles(&reader).await?,
        more: false,
    };
    Ok(Json(keyset_page(vehicles, total)))
}

/// One vehicle.
#[utoipa::path(get, path = "/api/v1/vehicles/{id}", tag = "fleet",
    params(("id" = String, Path)), responses((status = 200, body = Vehicle), (status = 404)))]
pub(crate) async fn get_vehicle(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vehicle>, ApiError> {
    let vehicle = state.store.vehicle(&id).await?;
    Ok(Json(visible(&caller, vehicle, &format!("vehicle {id}"))?))
}

/// Registers a vehicle.
#[utoipa::path(post, path = "/api/v1/vehicles", tag = "fleet", request_body = Vehicle,
    responses((status = 201, body = Vehicle), (status = 409)))]
pub(crate) async fn create_vehicle(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(vehicle): ApiJson<Vehicle>,
) -> Result<(StatusCode, Json<Vehicle>), ApiError> {
    caller.require(INVENTORY_WRITERS)?;
    state
        .store
        .create_vehicle(&caller.user.name, &vehicle)
        .await?;
    Ok((StatusCode::CREATED, Json(vehicle)))
}

/// Software builds the caller may see.
#[utoipa::path(get, path = "/api/v1/builds", tag = "fleet", params(PageQuery),
    responses((status = 200, body = Page<SoftwareBuild>)))]
pub(crate) async fn list_builds(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<SoftwareBuild>>, ApiError> {
    let builds = state.store.list_builds().await?;
    Ok(Json(page.page(visible_only(&caller, builds))?))
}

/// One software build.
#[utoipa::path(get, path = "/api/v1/builds/{id}", tag = "fleet",
    params(("id" = String, Path)), responses((status = 200, body = SoftwareBuild), (status = 404)))]
pub(crate) async fn get_build(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<SoftwareBuild>, ApiError> {
    let build = state.store.build(&id).await?;
    Ok(Json(visible(&caller, build, &format!("build {id}"))?))
}

/// Registers a software build.
#[utoipa::path(post, path = "/api/v1/builds", tag = "fleet", request_body = SoftwareBuild,
    responses((status = 201, body = SoftwareBuild), (status = 409)))]
pub(crate) async fn create_build(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(build): ApiJson<SoftwareBuild>,
) -> Result<(StatusCode, Json<SoftwareBuild>), ApiError> {
    caller.require(INVENTORY_WRITERS)?;
    state.store.create_build(&caller.user.name, &build).await?;
    Ok((StatusCode::CREATED, Json(build)))
}
