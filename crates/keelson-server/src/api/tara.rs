//! TARAs over the API: import (JSON Lines, refused whole with every bad
//! line), list and read, and the threat scenarios a case realises (link,
//! unlink, list). A TARA above the reader's clearance is a 404 and is left
//! out of lists, and so is a case's link into it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use keelson_core::tara::{self, RowProblem};
use keelson_store::tara::{LinkedThreat, Tara, TaraContent, TaraImported};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cases::{CASE_WRITERS, readable_case};
use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Caller;
use crate::clearance::{visible, visible_only};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorDetail};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_taras, import_tara))
        .routes(routes!(get_tara))
        .routes(routes!(list_case_threats, link_threat))
        .routes(routes!(unlink_threat))
}

/// A refused import: the usual error and every bad line.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportRefused {
    pub error: ErrorDetail,
    pub problems: Vec<RowProblem>,
}

/// A TARA with its records.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TaraAnswer {
    pub tara: Tara,
    #[serde(flatten)]
    pub content: TaraContent,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreatLink {
    pub tara_id: String,
    pub threat_id: String,
}

/// Imports a TARA (JSON Lines, schema in `docs/tara.md`); the same file
/// again changes nothing. Any bad line refuses the whole file (422 with
/// `problems`).
#[utoipa::path(post, path = "/api/v1/taras", tag = "psirt",
    request_body(content = String, content_type = "application/x-ndjson"),
    responses((status = 200, body = TaraImported), (status = 409),
              (status = 422, body = ImportRefused)))]
async fn import_tara(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(CASE_WRITERS)?;
    let Ok(text) = std::str::from_utf8(&body) else {
        return Err(ApiError::bad_request("the body is not UTF-8"));
    };
    let document = match tara::parse(text) {
        Ok(document) => document,
        Err(problems) => return Ok(refused(problems)),
    };
    let existing = state.store.tara(&document.header.id).await?;
    if existing.is_some_and(|found| !caller.principal.may_read(&found.marking)) {
        let message = format!(
            "tara {:?} exists and is not yours to change",
            document.header.id
        );
        return Err(ApiError::new(StatusCode::CONFLICT, "conflict", message));
    }
    let imported = state
        .store
        .import_tara(&caller.user.name, &document)
        .await?;
    Ok(Json(imported).into_response())
}

fn refused(problems: Vec<RowProblem>) -> Response {
    let message = match problems.as_slice() {
        [only] => format!("line {}: {}", only.line, only.reason),
        many => format!("{} lines refused; nothing was imported", many.len()),
    };
    let body = ImportRefused {
        error: ErrorDetail {
            code: "invalid".to_owned(),
            message,
        },
        problems,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// The TARAs the caller may see, by ID.
#[utoipa::path(get, path = "/api/v1/taras", tag = "psirt", params(PageQuery),
    responses((status = 200, body = Page<Tara>)))]
async fn list_taras(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<Tara>>, ApiError> {
    let taras = visible_only(&caller, state.store.list_taras().await?);
    Ok(Json(page.page(taras)?))
}

/// One TARA with its assets, damage scenarios and threat scenarios.
#[utoipa::path(get, path = "/api/v1/taras/{id}", tag = "psirt",
    params(("id" = String, Path)), responses((status = 200, body = TaraAnswer), (status = 404)))]
async fn get_tara(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<TaraAnswer>, ApiError> {
    let tara = visible(&caller, state.store.tara(&id).await?, &format!("tara {id}"))?;
    let content = state.store.tara_content(&id).await?;
    Ok(Json(TaraAnswer { tara, content }))
}

/// The threat scenarios the case realises, of TARAs the caller may see.
#[utoipa::path(get, path = "/api/v1/cases/{id}/threats", tag = "psirt",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = Page<LinkedThreat>), (status = 404)))]
async fn list_case_threats(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<LinkedThreat>>, ApiError> {
    readable_case(&state, &caller, &id).await?;
    let threats = visible_only(&caller, state.store.case_threats(&id).await?);
    Ok(Json(page.page(threats)?))
}

/// Links the case to a threat scenario it realises: 201, or 200 when it
/// was linked already.
#[utoipa::path(post, path = "/api/v1/cases/{id}/threats", tag = "psirt",
    request_body = ThreatLink, params(("id" = String, Path)),
    responses((status = 201), (status = 200), (status = 404), (status = 422)))]
async fn link_threat(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(link): ApiJson<ThreatLink>,
) -> Result<StatusCode, ApiError> {
    caller.require(CASE_WRITERS)?;
    readable_case(&state, &caller, &id).await?;
    readable_tara(&state, &caller, &link).await?;
    let store = &state.store;
    let name = &caller.user.name;
    let added = store
        .link_threat(name, &id, &link.tara_id, &link.threat_id)
        .await?;
    Ok(if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    })
}

/// Removes the link (204).
#[utoipa::path(delete, path = "/api/v1/cases/{id}/threats/{tara_id}/{threat_id}",
    tag = "psirt",
    params(("id" = String, Path), ("tara_id" = String, Path), ("threat_id" = String, Path)),
    responses((status = 204), (status = 404)))]
async fn unlink_threat(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, tara_id, threat_id)): ApiPath<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require(CASE_WRITERS)?;
    readable_case(&state, &caller, &id).await?;
    let tara = state.store.tara(&tara_id).await?;
    let what = format!("threat scenario {tara_id}/{threat_id} of case {id}");
    visible(&caller, tara, &what)?;
    let store = &state.store;
    store
        .unlink_threat(&caller.user.name, &id, &tara_id, &threat_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The TARA a link names: one the caller may read, else the same 422 as
/// for a threat scenario that does not exist.
async fn readable_tara(
    state: &AppState,
    caller: &Caller,
    link: &ThreatLink,
) -> Result<(), ApiError> {
    let tara = state.store.tara(&link.tara_id).await?;
    visible(caller, tara, "").map(|_| ()).map_err(|_| {
        ApiError::invalid(format!(
            "invalid threat_id: no threat scenario {:?} in tara {:?}",
            link.threat_id, link.tara_id
        ))
    })
}
