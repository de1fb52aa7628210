//! Security-test findings over the API: a SARIF 2.1.0 report attached to a build,
//! the build's stored findings, and a case opened from one of them. A build the
//! caller may not read is a 404 on every path.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_store::cases::{Case, Opened};
use keelson_store::security_findings::{SecurityFinding, SecurityImport};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cases::CASE_WRITERS;
use crate::AppState;
use crate::auth::Caller;
use crate::clearance::visible;
use crate::error::{ApiError, ApiPath};
use crate::security_tests::{self, ReportError};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_report, list_findings))
        .routes(routes!(open_case))
}

async fn readable_build(state: &AppState, caller: &Caller, id: &str) -> Result<(), ApiError> {
    visible(caller, state.store.build(id).await?, &format!("build {id}")).map(|_| ())
}

/// What an import answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ImportAnswer {
    build: String,
    #[schema(value_type = Vec<SecurityFinding>)]
    stored: Vec<SecurityFinding>,
    duplicates: u64,
}

/// Stores the results of a SARIF 2.1.0 report (the request body) on a build, once
/// per fingerprint.
#[utoipa::path(post, path = "/api/v1/builds/{id}/security-findings", tag = "psirt",
    params(("id" = String, Path)), request_body(content = String, description = "SARIF 2.1.0"),
    responses((status = 200, body = ImportAnswer), (status = 404), (status = 422)))]
async fn import_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<Json<ImportAnswer>, ApiError> {
    caller.require(CASE_WRITERS)?;
    readable_build(&state, &caller, &id).await?;
    let imported: SecurityImport =
        security_tests::import_sarif(&state.store, &caller.user.name, &id, &body)
            .await
            .map_err(|error| match error {
                ReportError::Report(error) => ApiError::invalid(format!("sarif: {error}")),
                ReportError::Store(error) => error.into(),
            })?;
    Ok(Json(ImportAnswer {
        build: id,
        stored: imported.stored,
        duplicates: imported.duplicates,
    }))
}

/// The security-test findings of a build, oldest first.
#[utoipa::path(get, path = "/api/v1/builds/{id}/security-findings", tag = "psirt",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<SecurityFinding>), (status = 404)))]
async fn list_findings(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<SecurityFinding>>, ApiError> {
    readable_build(&state, &caller, &id).await?;
    Ok(Json(state.store.security_findings(&id).await?))
}

/// Opens a case (intake `security_test`) from a stored finding, or adds it to the
/// open case of its vulnerability (200).
#[utoipa::path(post, path = "/api/v1/builds/{id}/security-findings/{finding_id}/case",
    tag = "psirt", params(("id" = String, Path), ("finding_id" = String, Path)),
    responses((status = 201, body = Case), (status = 200, body = Case), (status = 404),
              (status = 409)))]
async fn open_case(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, finding_id)): ApiPath<(String, String)>,
) -> Result<(StatusCode, Json<Case>), ApiError> {
    caller.require(CASE_WRITERS)?;
    readable_build(&state, &caller, &id).await?;
    let findings = state.store.security_findings(&id).await?;
    let Some(finding) = findings.into_iter().find(|f| f.id == finding_id) else {
        return Err(ApiError::not_found(format!(
            "security finding {finding_id}"
        )));
    };
    let sla = &state.config.case_sla_days;
    let opened = security_tests::open_case(
        &state.store,
        &caller.user.name,
        &caller.principal,
        &finding,
        sla,
    )
    .await?;
    Ok(match opened {
        Opened::Created(case) => (StatusCode::CREATED, Json(case)),
        Opened::Merged(case) => (StatusCode::OK, Json(case)),
    })
}
