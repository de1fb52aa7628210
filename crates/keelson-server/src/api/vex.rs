//! VEX over the API: importing a supplier's VEX document (OpenVEX, CycloneDX VEX
//! or CSAF VEX) into stored statements, and a build's VEX in any of the three
//! formats. A build the caller may not read is a 404, and only the statements
//! and cases the caller may read shape its document.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_core::{Marking, Tlp};
use keelson_store::vex::VexImported;
use serde::Deserialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cases::CASE_WRITERS;
use crate::AppState;
use crate::auth::Caller;
use crate::clearance::visible;
use crate::error::{ApiError, ApiPath, ApiQuery};
use crate::vex::{self, Publisher, VexError};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_vex))
        .routes(routes!(build_vex))
}

/// The marking of an imported document.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    /// The statements' TLP; default: a CSAF document's own label, else AMBER.
    #[param(value_type = Option<String>)]
    tlp: Option<Tlp>,
}

/// Stores a VEX document's statements (the request body as is; the format is
/// told from the document). Each statement changes the status only of the exact
/// product and component it names. The same bytes again store nothing (200).
#[utoipa::path(post, path = "/api/v1/vex", tag = "psirt", params(ImportQuery),
    request_body(content = String, description = "OpenVEX, CycloneDX VEX or CSAF VEX JSON"),
    responses((status = 201, body = VexImported), (status = 200, body = VexImported),
              (status = 422, body = crate::error::ErrorBody)))]
async fn import_vex(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<VexImported>), ApiError> {
    caller.require(CASE_WRITERS)?;
    let marking = query.tlp.map(Marking::new);
    let imported = vex::import(&state.store, &caller.user.name, &body, marking)
        .await
        .map_err(api_error)?;
    let status = if imported.already_imported {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(imported)))
}

pub(crate) fn api_error(error: VexError) -> ApiError {
    match error {
        VexError::Document(error) => ApiError::invalid(format!("vex document: {error}")),
        VexError::Store(error) => error.into(),
        VexError::Format(_) => ApiError::bad_request(error.to_string()),
    }
}

/// The format of a build's VEX.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    /// `openvex` (default), `cyclonedx` (1.6), `cyclonedx-1.5` or `csaf`.
    format: Option<String>,
}

/// The VEX of one build: a statement per finding, with the stored VEX and case
/// statuses that decide it, `under_investigation` where nothing does.
#[utoipa::path(get, path = "/api/v1/builds/{id}/vex", tag = "psirt",
    params(("id" = String, Path), ExportQuery),
    responses((status = 200, body = Object), (status = 400), (status = 404)))]
async fn build_vex(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Json<Value>, ApiError> {
    let format = query.format.as_deref().unwrap_or("openvex");
    let build = visible(
        &caller,
        state.store.build(&id).await?,
        &format!("build {id}"),
    )?;
    let publisher = publisher(&state);
    let report = state.findings.build_report(&state.store, &id).await?;
    let document = vex::build_vex(
        &state.store,
        &caller.principal,
        &publisher,
        &id,
        build.marking.tlp,
        &report.findings,
    )
    .await?;
    Ok(Json(vex::write(&document, format).map_err(api_error)?))
}

/// The publisher the configuration names.
pub(crate) fn publisher(state: &AppState) -> Publisher {
    Publisher {
        name: state.config.csaf_publisher.clone(),
        namespace: state.config.csaf_namespace.clone(),
    }
}
