//! The ISO/SAE 21434 risk of a case per build: determine and record it,
//! list it. Each route reads the case through the clearance gate first (a
//! case the caller may not see is a 404), and only builds whose inventory
//! record the caller may read are shown or written.

use axum::Json;
use axum::extract::State;
use keelson_store::cases::risk::CaseRisk;
use keelson_store::cases::work::StatusOutcome;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cases::{CASE_WRITERS, readable_build, readable_case};
use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Caller;
use crate::clearance::visible;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::risk::RiskInput;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_risks))
        .routes(routes!(set_risk))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RiskAnswer {
    pub outcome: StatusOutcome,
    pub risk: CaseRisk,
}

/// The risk determinations of the case's builds the caller may see.
#[utoipa::path(get, path = "/api/v1/cases/{id}/risks", tag = "psirt",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = Page<CaseRisk>), (status = 404)))]
pub(crate) async fn list_risks(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<CaseRisk>>, ApiError> {
    readable_case(&state, &caller, &id).await?;
    let mut readable = Vec::new();
    for risk in state.store.case_risks(&id).await? {
        let build = state.store.build(&risk.build_id).await?;
        if visible(&caller, build, "").is_ok() {
            readable.push(risk);
        }
    }
    Ok(Json(page.page(readable)?))
}

/// Determines the risk of one build of the case from the impacts per
/// category and the attack feasibility (attack potential or a CVSS v3.x
/// vector) by the configured risk matrix, and records it.
#[utoipa::path(put, path = "/api/v1/cases/{id}/builds/{build_id}/risk", tag = "psirt",
    request_body = RiskInput,
    params(("id" = String, Path), ("build_id" = String, Path)),
    responses((status = 200, body = RiskAnswer), (status = 404), (status = 422)))]
pub(crate) async fn set_risk(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, build_id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<RiskInput>,
) -> Result<Json<RiskAnswer>, ApiError> {
    caller.require(CASE_WRITERS)?;
    readable_case(&state, &caller, &id).await?;
    readable_build(&state, &caller, &build_id).await?;
    let determination = input
        .determine(&state.config.risk_matrix)
        .map_err(ApiError::invalid)?;
    let (outcome, risk) = state
        .store
        .set_case_risk(&caller.user.name, &id, &build_id, &determination)
        .await?;
    Ok(Json(RiskAnswer { outcome, risk }))
}
