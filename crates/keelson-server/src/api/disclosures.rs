//! The public disclosure intake and `/.well-known/security.txt`, the two
//! routes a researcher reaches without an account. A report is counted
//! against its client address first (429 with Retry-After past the limit),
//! then its size (413), media type (415) and JSON (400 malformed, 422 a
//! missing or bad field, named) are checked; an accepted report is stored
//! with its case before the tracking ID is answered. Internal users read a
//! report back through the clearance of its case.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use keelson_store::disclosures::Disclosure;
use serde::Serialize;
use serde_json::error::Category;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::clearance::visible;
use crate::disclosure::{Admission, DisclosureReport, check_report, retry_after_seconds};
use crate::error::{ApiError, ApiPath};

pub fn routes(body_limit: usize) -> OpenApiRouter<AppState> {
    let intake = OpenApiRouter::new()
        .routes(routes!(submit))
        .layer(DefaultBodyLimit::max(body_limit));
    OpenApiRouter::new()
        .merge(intake)
        .routes(routes!(get_disclosure))
}

/// `/.well-known/security.txt`, outside the API document.
pub fn security_txt_route() -> axum::Router<AppState> {
    axum::Router::new().route("/.well-known/security.txt", get(security_txt))
}

/// What the reporter gets back.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    /// Quote it in any follow-up about this report.
    pub tracking_id: String,
    pub received_at: String,
}

/// The address of the client that sent the request; unknown (every such
/// client counted together) when the server was not given peer addresses.
pub struct ClientAddress(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        Ok(ClientAddress(peer))
    }
}

/// Receives a vulnerability report; no account needed.
#[utoipa::path(post, path = "/api/v1/disclosures", tag = "psirt",
    request_body = DisclosureReport,
    responses((status = 201, body = Receipt),
              (status = 400, description = "not JSON", body = crate::error::ErrorBody),
              (status = 413, description = "over disclosure_body_limit", body = crate::error::ErrorBody),
              (status = 415, body = crate::error::ErrorBody),
              (status = 422, description = "a field missing or bad, named", body = crate::error::ErrorBody),
              (status = 429, description = "too many reports from this address; see Retry-After",
               body = crate::error::ErrorBody)))]
async fn submit(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if let Admission::Refused { retry_after } = state.disclosure_limiter.admit(client) {
        return Ok(too_many(retry_after_seconds(retry_after)));
    }
    let body =
        body.map_err(|rejection| too_large(&rejection, state.config.disclosure_body_limit))?;
    require_json(&headers)?;
    let report = parse_report(&body)?;
    let new = check_report(report, state.config.disclosure_tlp)
        .map_err(|rejected| ApiError::invalid(rejected.to_string()))?;

    let (report, case) = state
        .store
        .receive_disclosure(&new, &state.config.case_sla_days)
        .await?;
    tracing::debug!(tracking_id = %report.id, case_id = %case.id, "disclosure received");
    let receipt = Receipt {
        tracking_id: report.id,
        received_at: report.received_at,
    };
    Ok((StatusCode::CREATED, Json(receipt)).into_response())
}

/// A report, for internal users who may read its case.
#[utoipa::path(get, path = "/api/v1/disclosures/{id}", tag = "psirt",
    params(("id" = String, Path, description = "the tracking ID")),
    responses((status = 200, body = Disclosure), (status = 403), (status = 404)))]
async fn get_disclosure(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Disclosure>, ApiError> {
    caller.require_internal()?;
    let what = format!("disclosure {id}");
    let report = state
        .store
        .disclosure(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(&what))?;
    visible(&caller, state.store.case(&report.case_id).await?, &what)?;
    Ok(Json(report))
}

/// The configured security.txt as `text/plain`; 404 when none is configured.
async fn security_txt(State(state): State<AppState>) -> Result<Response, ApiError> {
    let text = state
        .config
        .security_txt
        .as_ref()
        .ok_or_else(|| ApiError::not_found("security.txt"))?;
    let content_type = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
    Ok((content_type, text.render()).into_response())
}

fn too_many(seconds: u64) -> Response {
    let error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many reports from this address; retry after the delay in Retry-After",
    );
    let mut response = error.into_response();
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn too_large(rejection: &BytesRejection, limit: usize) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let message = format!("the report is larger than the {limit}-byte limit");
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message);
    }
    ApiError::bad_request(rejection.body_text())
}

fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    if media_type.as_deref() == Some("application/json") {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "send the report as Content-Type: application/json",
    ))
}

/// Malformed JSON is a 400 with its line and column; well-formed JSON of
/// the wrong shape (a missing field, a wrong type) a 422 naming the field.
fn parse_report(body: &[u8]) -> Result<DisclosureReport, ApiError> {
    serde_json::from_slice(body).map_err(|error| match error.classify() {
        Category::Data => ApiError::invalid(format!("the report: {error}")),
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::bad_request(format!("the report is not valid JSON: {error}"))
        }
    })
}
