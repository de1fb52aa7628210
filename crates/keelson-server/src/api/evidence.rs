//! Forensic evidence over the API: analysts attach files to an incident
//! (stored content-addressed by SHA-256 in the evidence folder), list them,
//! read one item, download its bytes and read its chain of custody. Every
//! listing, view and download is written to the item's custody log (the
//! audit chain) before anything leaves; a download checks the bytes against
//! their digest first, so a file changed on disk is never handed out as
//! evidence. Everything is read under the incident's clearance.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keelson_store::evidence::{Attached, CustodyEntry, EVIDENCE_KINDS, EvidenceItem, NewEvidence};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Page;
use super::incidents::{RESPONDERS, readable_incident};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiPath, ApiQuery};

pub fn routes(upload_limit: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_evidence, attach_evidence))
        .routes(routes!(show_item))
        .routes(routes!(download_item))
        .routes(routes!(custody_log))
        .routes(routes!(download_by_digest))
        .layer(DefaultBodyLimit::max(upload_limit))
}

/// What the analyst says of the file.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EvidenceQuery {
    /// `log`, `telemetry`, `memory_image` or `other`.
    pub kind: String,
    /// The file's name.
    pub name: String,
    pub description: Option<String>,
}

/// Attaches the body as evidence: 201 with the item, or 200 with the item
/// already holding these bytes on the incident.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/evidence", tag = "detection",
    params(("id" = String, Path), EvidenceQuery),
    request_body(content = String, content_type = "application/octet-stream"),
    responses((status = 201, body = EvidenceItem), (status = 200, body = EvidenceItem),
              (status = 404), (status = 413), (status = 422)))]
async fn attach_evidence(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<EvidenceQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(RESPONDERS)?;
    readable_incident(&state, &caller, &id).await?;
    let body = body.map_err(|rejection| {
        ApiError::new(
            rejection.status(),
            "payload_too_large",
            rejection.body_text(),
        )
    })?;
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "the body is empty; send the evidence file",
        ));
    }
    if !EVIDENCE_KINDS.contains(&query.kind.as_str()) {
        return Err(ApiError::invalid(format!(
            "kind {:?}: use {}",
            query.kind,
            EVIDENCE_KINDS.join(", ")
        )));
    }

    let sha256 = state.evidence.put(&body).map_err(ApiError::internal)?;
    let new = NewEvidence {
        incident_id: id,
        sha256,
        size: body.len() as u64,
        kind: query.kind,
        name: query.name,
        description: query.description,
    };
    let answer = match state.store.attach_evidence(&caller.user.name, &new).await? {
        Attached::Created(item) => (StatusCode::CREATED, Json(item)),
        Attached::Existing(item) => (StatusCode::OK, Json(item)),
    };
    Ok(answer.into_response())
}

/// The incident's evidence, oldest first, with size, kind, uploader and
/// time; each item listed is recorded in its custody log.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/evidence", tag = "detection",
    params(("id" = String, Path)),
    responses((status = 200, body = inline(Page<EvidenceItem>)), (status = 404)))]
pub(crate) async fn list_evidence(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Page<EvidenceItem>>, ApiError> {
    caller.require_internal()?;
    readable_incident(&state, &caller, &id).await?;
    let items = state.store.incident_evidence(&id).await?;
    state
        .store
        .record_evidence_access(&caller.user.name, "list", &items, "listed")
        .await?;
    let total = items.len() as u64;
    Ok(Json(Page {
        items,
        total,
        next: None,
        total_capped: false,
    }))
}

/// One item's record, recorded in its custody log.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/evidence/{item}", tag = "detection",
    params(("id" = String, Path), ("item" = String, Path)),
    responses((status = 200, body = EvidenceItem), (status = 404)))]
async fn show_item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, item)): ApiPath<(String, String)>,
) -> Result<Json<EvidenceItem>, ApiError> {
    let item = readable_item(&state, &caller, &id, &item).await?;
    state
        .store
        .record_evidence_access(
            &caller.user.name,
            "view",
            std::slice::from_ref(&item),
            "viewed",
        )
        .await?;
    Ok(Json(item))
}

/// The item's bytes, after the download is recorded in its custody log.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/evidence/{item}/content", tag = "detection",
    params(("id" = String, Path), ("item" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404)))]
async fn download_item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, item)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let item = readable_item(&state, &caller, &id, &item).await?;
    let bytes = checked_bytes(&state, &item.sha256)?;
    state
        .store
        .record_evidence_access(
            &caller.user.name,
            "download",
            std::slice::from_ref(&item),
            "downloaded",
        )
        .await?;
    Ok(file_response(bytes, &item))
}

/// The bytes with this SHA-256, when an incident the caller may read holds
/// them; the download is recorded in the custody log of every such item.
#[utoipa::path(get, path = "/api/v1/evidence/{sha256}", tag = "detection",
    params(("sha256" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404)))]
async fn download_by_digest(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(sha256): ApiPath<String>,
) -> Result<Response, ApiError> {
    caller.require_internal()?;
    let mut readable = Vec::new();
    for item in state.store.evidence_with_digest(&sha256).await? {
        let incident = state.store.incident(&item.incident_id).await?;
        if incident.is_some_and(|incident| caller.principal.may_read(&incident.marking)) {
            readable.push(item);
        }
    }
    let Some(first) = readable.first().cloned() else {
        return Err(ApiError::not_found(format!("evidence {sha256}")));
    };
    let bytes = checked_bytes(&state, &sha256)?;
    state
        .store
        .record_evidence_access(
            &caller.user.name,
            "download",
            &readable,
            "downloaded by digest",
        )
        .await?;
    Ok(file_response(bytes, &first))
}

/// The item's chain of custody: its upload and every access and export, in
/// audit-chain order.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/evidence/{item}/custody", tag = "detection",
    params(("id" = String, Path), ("item" = String, Path)),
    responses((status = 200, body = Vec<CustodyEntry>), (status = 404)))]
async fn custody_log(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, item)): ApiPath<(String, String)>,
) -> Result<Json<Vec<CustodyEntry>>, ApiError> {
    let item = readable_item(&state, &caller, &id, &item).await?;
    Ok(Json(state.store.evidence_custody(&item.id).await?))
}

async fn readable_item(
    state: &AppState,
    caller: &Caller,
    incident_id: &str,
    item_id: &str,
) -> Result<EvidenceItem, ApiError> {
    caller.require_internal()?;
    readable_incident(state, caller, incident_id).await?;
    state
        .store
        .evidence_item(item_id)
        .await?
        .filter(|item| item.incident_id == incident_id)
        .ok_or_else(|| ApiError::not_found(format!("evidence {item_id}")))
}

/// The stored bytes, refused when they no longer match their digest.
fn checked_bytes(state: &AppState, sha256: &str) -> Result<Vec<u8>, ApiError> {
    let bytes = std::fs::read(state.evidence.path(sha256))
        .map_err(|error| ApiError::internal(format!("evidence file {sha256}: {error}")))?;
    let actual = hex::encode(Sha256::digest(&bytes));
    if actual != sha256 {
        return Err(ApiError::internal(format!(
            "evidence file {sha256} was changed on disk: its bytes hash to {actual}"
        )));
    }
    Ok(bytes)
}

fn file_response(bytes: Vec<u8>, item: &EvidenceItem) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    let safe_name: String = item
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{safe_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&item.sha256) {
        headers.insert("x-evidence-sha256", value);
    }
    response
}
