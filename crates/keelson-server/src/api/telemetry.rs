//! Telemetry over the API: NDJSON batches in (optionally gzip), per-line
//! results out; the event schema; stored events and the quarantine.

use std::io::Read;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keelson_store::telemetry::{EventFilter, NewQuarantined, QuarantinedRecord, StoredEvent};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Page, keyset_cursor, page_limit};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiQuery};
use crate::ingest::{
    Batch, IngestTotals, LineOutcome, event_key, new_event, unit_record_key, unit_sha256,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ingest_ndjson))
        .routes(routes!(event_schema))
        .routes(routes!(list_events))
        .routes(routes!(list_quarantine))
}

/// The result of one NDJSON line.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LineResult {
    /// 1-based line number in the (inflated) body.
    pub line: usize,
    #[serde(flatten)]
    pub outcome: LineOutcome,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IngestAnswer {
    #[serde(flatten)]
    pub totals: IngestTotals,
    /// One entry per non-blank line, in line order.
    pub results: Vec<LineResult>,
}

/// Ingests NDJSON events; each stored once, malformed lines quarantined.
#[utoipa::path(post, path = "/api/v1/telemetry", tag = "telemetry",
    request_body(content = String, content_type = "application/x-ndjson"),
    responses((status = 200, body = IngestAnswer), (status = 413), (status = 429)))]
async fn ingest_ndjson(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require_internal()?;
    let body = body.map_err(|rejection| {
        ApiError::new(
            rejection.status(),
            "payload_too_large",
            rejection.body_text(),
        )
    })?;
    let Ok(_permit) = state.ingest_permits.clone().try_acquire_owned() else {
        return Ok(busy());
    };
    state.metrics.ingest_in_flight.inc();
    let answer = ingest_body(&state, &caller, &headers, &body).await;
    state.metrics.ingest_in_flight.dec();
    Ok(Json(answer?).into_response())
}

async fn ingest_body(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<IngestAnswer, ApiError> {
    let text = inflate(headers, body, state.config.api_body_limit)?;
    let received_us = keelson_store::now_us();
    let body_sha256 = unit_sha256(&text);
    let mut batch = Batch::default();
    for (index, line) in text.split(|byte| *byte == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match keelson_telemetry::decode::ndjson::parse_line(line) {
            Ok(event) => batch.accept(index, new_event(&event, event_key(&event), received_us)),
            Err(reason) => {
                let record = quarantined(caller, &body_sha256, index, line, reason);
                batch.reject(index, record);
            }
        }
    }
    let (totals, mut outcomes) = batch
        .write(&state.store, &state.detector, &caller.user.name)
        .await?;
    state.metrics.count_ingest("http", totals);
    outcomes.sort_by_key(|(index, _)| *index);
    let results = outcomes
        .into_iter()
        .map(|(index, outcome)| LineResult {
            line: index + 1,
            outcome,
        })
        .collect();
    Ok(IngestAnswer { totals, results })
}

/// A malformed line, kept under its caller, the body's digest and its
/// place: the same body sent again (a client's retry) adds no row.
fn quarantined(
    caller: &Caller,
    body_sha256: &str,
    index: usize,
    line: &[u8],
    reason: String,
) -> NewQuarantined {
    NewQuarantined {
        dedup_key: unit_record_key("http", &caller.user.name, body_sha256, index),
        source: "http".to_owned(),
        origin: format!("POST /api/v1/telemetry by {}", caller.user.name),
        position: format!("line {}", index + 1),
        reason,
        raw: line.to_vec(),
        format: Some("ndjson".to_owned()),
        vehicle_id: None,
        record_key: None,
    }
}

/// The body as sent, or inflated when it says `Content-Encoding: gzip`. The
/// body limit applies to the inflated bytes too, so a compression bomb is
/// refused after at most `limit` bytes rather than buffered. Every gzip
/// member is read (concatenated members are one valid stream).
fn inflate(headers: &HeaderMap, body: &[u8], limit: usize) -> Result<Vec<u8>, ApiError> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("identity") => Ok(body.to_vec()),
        Some("gzip" | "x-gzip") => {
            let limit = limit as u64;
            let mut inflated = Vec::new();
            let mut decoder = flate2::read::MultiGzDecoder::new(body).take(limit + 1);
            decoder
                .read_to_end(&mut inflated)
                .map_err(|error| ApiError::bad_request(format!("invalid gzip body: {error}")))?;
            if inflated.len() as u64 > limit {
                let message = format!("gzip body inflates past the body limit of {limit} bytes");
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    message,
                ));
            }
            Ok(inflated)
        }
        Some(other) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("content encoding {other:?} is not supported; use gzip or none"),
        )),
    }
}

/// 429 with Retry-After: the bounded ingest queue is full.
fn busy() -> Response {
    let error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "busy",
        "ingest queue is full; retry after the delay in Retry-After",
    );
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The JSON Schema of the normalized event (versioned by its `$id`).
#[utoipa::path(get, path = "/api/v1/schemas/event.json", tag = "telemetry",
    responses((status = 200, description = "JSON Schema 2020-12")))]
async fn event_schema() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/schema+json")],
        keelson_telemetry::EVENT_SCHEMA,
    )
}

/// Filters and paging of the event list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// Only the events of this vehicle.
    pub vehicle_id: Option<String>,
    /// Items per page (1 to 1000; default 100).
    pub limit: Option<u32>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

/// Stored events, newest first (internal roles). Paged by keyset, so a
/// deep page costs what the first one does; `total` counts every event
/// the filter matches.
#[utoipa::path(get, path = "/api/v1/events", tag = "telemetry", params(EventQuery),
    responses((status = 200, body = Page<StoredEvent>), (status = 400), (status = 403)))]
async fn list_events(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<EventQuery>,
) -> Result<Json<Page<StoredEvent>>, ApiError> {
    caller.require_internal()?;
    let limit = page_limit(query.limit)?;
    let cursor = keyset_cursor(query.cursor.as_deref())?;
    let filter = EventFilter {
        vehicle_id: query.vehicle_id,
    };
    let page = state
        .store
        .list_events(&filter, cursor.as_ref(), u64::from(limit))
        .await?;
    Ok(Json(page.into()))
}

/// Filters and paging of the quarantine list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QuarantineQuery {
    /// Include records already replayed.
    pub all: Option<bool>,
    /// Items per page (1 to 1000; default 100).
    pub limit: Option<u32>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

/// Records that failed to decode, oldest first, with origin, position,
/// reason and their exact bytes (`raw_base64`, and `raw` as text when
/// they are UTF-8), paged by keyset.
#[utoipa::path(get, path = "/api/v1/quarantine", tag = "telemetry", params(QuarantineQuery),
    responses((status = 200, body = Page<QuarantinedRecord>), (status = 400), (status = 403)))]
async fn list_quarantine(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<QuarantineQuery>,
) -> Result<Json<Page<QuarantinedRecord>>, ApiError> {
    caller.require_internal()?;
    let limit = page_limit(query.limit)?;
    let cursor = keyset_cursor(query.cursor.as_deref())?;
    let page = state
        .store
        .list_quarantine(
            query.all.unwrap_or(false),
            cursor.as_ref(),
            u64::from(limit),
        )
        .await?;
    Ok(Json(page.into()))
}
