//! Telemetry over the API: NDJSON batches in (optionally gzip), per-line
//! results out; the event schema; stored events and the quarantine.

use std::io::Read;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keelson_store::telemetry::{NewQuarantined, QuarantinedRecord, StoredEvent};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiQuery};
use crate::ingest::{Batch, IngestTotals, LineOutcome, event_key, new_event};

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
    let mut batch = Batch::default();
    for (index, line) in text.split(|byte| *byte == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match keelson_telemetry::decode::ndjson::parse_line(line) {
            Ok(event) => batch.accept(index, new_event(&event, event_key(&event), received_us)),
            Err(reason) => batch.reject(index, quarantined(caller, index, line, reason)),
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

fn quarantined(caller: &Caller, index: usize, line: &[u8], reason: String) -> NewQuarantined {
    NewQuarantined {
        source: "http".to_owned(),
        origin: format!("POST /api/v1/telemetry by {}", caller.user.name),
        position: format!("line {}", index + 1),
        reason,
        raw: line.to_vec(),
        format: Some("ndjson".to_owned()),
        vehicle_id: None,
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    pub vehicle_id: Option<String>,
    pub limit: Option<u64>,
}

/// Stored events, newest first (internal roles).
///
/// FIXME: answers a bare array of the newest `limit` rows, not the
/// `{items, total, next}` page every other list answers: paging millions of
/// events needs a keyset cursor and a filtered count in the store.
#[utoipa::path(get, path = "/api/v1/events", tag = "telemetry", params(EventQuery),
    responses((status = 200, body = Vec<StoredEvent>)))]
async fn list_events(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<EventQuery>,
) -> Result<Json<Vec<StoredEvent>>, ApiError> {
    caller.require_internal()?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(
        state
            .store
            .list_events(query.vehicle_id.as_deref(), limit)
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QuarantineQuery {
    /// Include records already replayed.
    pub all: Option<bool>,
    pub limit: Option<u64>,
}

/// Records that failed to decode, with origin, position and reason.
///
/// FIXME: a bare array of at most `limit` records, not the `{items, total,
/// next}` page of the other lists (see `list_events`).
#[utoipa::path(get, path = "/api/v1/quarantine", tag = "telemetry", params(QuarantineQuery),
    responses((status = 200, body = Vec<QuarantinedRecord>)))]
async fn list_quarantine(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<QuarantineQuery>,
) -> Result<Json<Vec<QuarantinedRecord>>, ApiError> {
    caller.require_internal()?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let records = state
        .store
        .list_quarantine(query.all.unwrap_or(false), limit)
        .await?;
    Ok(Json(records))
}
