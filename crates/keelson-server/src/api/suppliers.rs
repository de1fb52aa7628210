//! The supplier register and supplier origin over the API: reading and
//! replacing the register (CSV, as `keelson suppliers import` reads it), and
//! the origin of a build's components against the configured prohibited
//! countries. The register is internal reference data: partners do not
//! read it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use keelson_core::Role;
use keelson_store::suppliers::{RegisterChange, SupplierEntry};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::clearance::visible;
use crate::error::{ApiError, ApiPath};
use crate::origin::{self, BuildOrigin, RegisterError};

/// Who may replace the register.
const REGISTER_WRITERS: &[Role] = &[Role::Admin, Role::PsirtEngineer];

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register, replace_register))
        .routes(routes!(build_origin))
}

/// The supplier register, in file order.
#[utoipa::path(get, path = "/api/v1/suppliers", tag = "psirt",
    responses((status = 200, body = Vec<SupplierEntry>), (status = 403)))]
async fn register(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SupplierEntry>>, ApiError> {
    caller.require_internal()?;
    Ok(Json(state.store.supplier_register().await?))
}

/// Replaces the register with a CSV file (header `name,country[,aliases]`,
/// aliases separated by `;`). Any refused row refuses the file: 422 naming
/// each row's line and reason.
#[utoipa::path(put, path = "/api/v1/suppliers", tag = "psirt",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = RegisterChange), (status = 422), (status = 403)))]
async fn replace_register(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<RegisterChange>, ApiError> {
    caller.require(REGISTER_WRITERS)?;
    match origin::replace_register(&state.store, &caller.user.name, &body).await {
        Ok(change) => Ok(Json(change)),
        Err(RegisterError::Invalid(problems)) => Err(ApiError::invalid(format!(
            "supplier register: {}",
            RegisterError::Invalid(problems)
        ))),
        Err(RegisterError::Store(error)) => Err(error.into()),
    }
}

/// The supplier and country of origin of every component of a build (its
/// SBOMs and its ECU hardware part's HBOMs) and the components whose
/// supplier country is prohibited, with evidence.
#[utoipa::path(get, path = "/api/v1/builds/{id}/origin", tag = "psirt",
    params(("id" = String, Path)),
    responses((status = 200, body = BuildOrigin), (status = 404)))]
async fn build_origin(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<BuildOrigin>, ApiError> {
    caller.require_internal()?;
    visible(
        &caller,
        state.store.build(&id).await?,
        &format!("build {id}"),
    )?;
    let policy = state.config.prohibited_supplier_countries.policy();
    Ok(Json(
        origin::build_origin(&state.store, &policy, &id).await?,
    ))
}
