//! A case's CSAF security advisory over the API: the preview of the next revision,
//! a published revision, and publishing a new one. The case passes the clearance
//! gate first (404 above the reader), and only the builds the reader may see are
//! listed.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_store::cases::Case;
use keelson_store::cases::advisory::AdvisoryRevision;
use keelson_vulndb::KnowledgeBase;
use serde::Deserialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cases::{CASE_WRITERS, readable_case};
use super::vex::publisher;
use crate::AppState;
use crate::advisory;
use crate::auth::Caller;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(advisory_document, publish))
}

/// Which document to answer.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdvisoryQuery {
    /// A published revision; default: the preview of the next one (status draft).
    pub(crate) revision: Option<i64>,
}

/// The case's advisory: a published revision, or the preview of the next.
#[utoipa::path(get, path = "/api/v1/cases/{id}/csaf", tag = "psirt",
    params(("id" = String, Path), AdvisoryQuery),
    responses((status = 200, body = Object), (status = 404), (status = 409)))]
pub(crate) async fn advisory_document(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<AdvisoryQuery>,
) -> Result<Json<Value>, ApiError> {
    let case = readable_case(&state, &caller, &id).await?;
    if let Some(number) = query.revision {
        let revisions = state.store.case_advisories(&id).await?;
        let revision = revisions.into_iter().find(|r| r.revision == number);
        let revision = revision.ok_or_else(|| ApiError::not_found(format!("revision {number}")))?;
        return Ok(Json(revision.document));
    }
    let publisher = publisher(&state);
    let weaknesses = weaknesses(&state, &case).await?;
    let document = advisory::preview_case_advisory(
        &state.store,
        &caller.principal,
        &publisher,
        &case,
        &weaknesses,
    )
    .await?;
    Ok(Json(document))
}

/// What a publication says changed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishInput {
    /// The revision history's summary of this revision.
    pub(crate) summary: String,
}

/// Publishes a new revision of the case's advisory (the revision history grows
/// by one); answered with the revision and its document.
#[utoipa::path(post, path = "/api/v1/cases/{id}/csaf", tag = "psirt",
    request_body = PublishInput, params(("id" = String, Path)),
    responses((status = 201, body = AdvisoryRevision), (status = 404), (status = 409),
              (status = 422)))]
pub(crate) async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<PublishInput>,
) -> Result<(StatusCode, Json<AdvisoryRevision>), ApiError> {
    caller.require(CASE_WRITERS)?;
    let case = readable_case(&state, &caller, &id).await?;
    let summary = input.summary.trim();
    if summary.is_empty() {
        return Err(ApiError::invalid("summary: must not be empty"));
    }
    let publisher = publisher(&state);
    let weaknesses = weaknesses(&state, &case).await?;
    let revision = advisory::publish_case_advisory(
        &state.store,
        &state.notifier,
        &state.detector,
        &caller.user.name,
        &caller.principal,
        &publisher,
        &case,
        &weaknesses,
        summary,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(revision)))
}

/// The CWEs of the case's vulnerabilities, from the server's knowledge base.
async fn weaknesses(state: &AppState, case: &Case) -> Result<advisory::Weaknesses, ApiError> {
    let read = |knowledge: &KnowledgeBase| advisory::Weaknesses::of(knowledge, case);
    Ok(state
        .findings
        .read_knowledge_base(&state.store, read)
        .await?)
}
