//! Log uploads: a capture file for one vehicle stored as evidence under its
//! SHA-256, answered 202 with the digest and a job ID, decoded by the
//! bounded upload worker; the list shows each upload's status and totals.
//! An upload fulfils the vehicle's open log requests.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keelson_core::Role;
use keelson_store::uploads::{LogUpload, NewUpload};
use keelson_telemetry::Format;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::clearance::visible;
use crate::error::{ApiError, ApiPath, ApiQuery};

/// Who may send logs for a vehicle.
const UPLOADERS: &[Role] = &[Role::Admin, Role::VsocAnalyst, Role::DetectionEngineer];

pub fn routes(upload_limit: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_log, list_logs))
        .layer(DefaultBodyLimit::max(upload_limit))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The capture format (as `keelson ingest --format`); detected from the
    /// first bytes when absent.
    pub format: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UploadAnswer {
    /// The job ID under which the upload is listed.
    pub job: String,
    pub sha256: String,
    pub size: u64,
    pub format: String,
}

/// Stores a capture as evidence and queues it for decoding.
#[utoipa::path(post, path = "/api/v1/vehicles/{id}/logs", tag = "telemetry",
    params(("id" = String, Path), UploadQuery),
    request_body(content = String, content_type = "application/octet-stream"),
    responses((status = 202, body = UploadAnswer), (status = 404), (status = 413),
        (status = 415), (status = 429)))]
async fn upload_log(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<UploadQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(UPLOADERS)?;
    let vehicle = state.store.vehicle(&id).await?;
    visible(&caller, vehicle, &format!("vehicle {id}"))?;
    let body = body.map_err(|rejection| {
        ApiError::new(
            rejection.status(),
            "payload_too_large",
            rejection.body_text(),
        )
    })?;
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "the body is empty; send the capture file",
        ));
    }
    let format = upload_format(query.format.as_deref(), &body)?;
    let Some(place) = state.uploads.reserve() else {
        return Ok(queue_full());
    };

    let sha256 = state.evidence.put(&body).map_err(ApiError::internal)?;
    let upload = NewUpload {
        id: keelson_store::new_id(),
        vehicle_id: id,
        sha256: sha256.clone(),
        size: body.len() as u64,
        uploaded_by: caller.user.name.clone(),
        format: Some(format.name().to_owned()),
    };
    state
        .store
        .record_upload(&caller.user.name, &upload)
        .await?;
    state
        .store
        .fulfil_log_requests(&caller.user.name, &upload.vehicle_id, &upload.id)
        .await?;
    place.send(upload.id.clone());

    let answer = UploadAnswer {
        job: upload.id,
        sha256,
        size: upload.size,
        format: format.name().to_owned(),
    };
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// The format named, or the one the first bytes show; a clear 4xx otherwise.
fn upload_format(named: Option<&str>, body: &[u8]) -> Result<Format, ApiError> {
    if let Some(name) = named {
        return Format::from_name(name).ok_or_else(|| {
            ApiError::bad_request(format!(
                "unknown format {name:?}; use candump, asc, trc, csv-hcrl, csv-daga, \
                 csv-road, csv-j1939, label-prefixed, ndjson or dlt"
            ))
        });
    }
    let first = &body[..body.len().min(4096)];
    keelson_telemetry::detect_format("", first).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unknown_format",
            "the capture format is not recognised from its first bytes; name it with ?format=",
        )
    })
}

fn queue_full() -> Response {
    let error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "busy",
        "the upload queue is full; retry after the delay in Retry-After",
    );
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

/// A vehicle's uploads, newest first, with status and decoding totals.
#[utoipa::path(get, path = "/api/v1/vehicles/{id}/logs", tag = "telemetry",
    params(("id" = String, Path)),
    responses((status = 200, body = inline(crate::api::Page<LogUpload>)), (status = 404)))]
async fn list_logs(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<crate::api::Page<LogUpload>>, ApiError> {
    caller.require_internal()?;
    let vehicle = state.store.vehicle(&id).await?;
    visible(&caller, vehicle, &format!("vehicle {id}"))?;
    let uploads = state.store.list_uploads(&id).await?;
    let total = uploads.len() as u64;
    Ok(Json(crate::api::Page {
        items: uploads,
        total,
        next: None,
        total_capped: false,
    }))
}
