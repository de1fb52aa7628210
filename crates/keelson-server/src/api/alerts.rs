//! Alerts over the API: the list with filters and one alert with the
//! stored events it cites. Both pass the clearance gate; an alert carries
//! the marking of the rule that raised it.

use axum::Json;
use axum::extract::State;
use keelson_core::Severity;
use keelson_store::alerts::{AlertFilter, AlertRecord, CitedEvent};
use keelson_store::readable::Readable;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Page, keyset_cursor, keyset_page, page_limit};
use crate::AppState;
use crate::auth::Caller;
use crate::clearance::visible;
use crate::error::{ApiError, ApiPath, ApiQuery};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_alerts))
        .routes(routes!(get_alert))
}

/// Filters and paging of the alert list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// The stored rule's ID.
    pub rule: Option<String>,
    pub vehicle: Option<String>,
    pub severity: Option<Severity>,
    /// RFC 3339: alerts last seen at or after this time.
    pub since: Option<String>,
    /// Items per page (1 to 1000; default 100).
    pub limit: Option<u32>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

/// One alert with the events it cites.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertDetail {
    #[serde(flatten)]
    pub alert: AlertRecord,
    /// The cited events as stored (at most the alert's evidence cap).
    pub events: Vec<CitedEvent>,
}

/// Alerts the caller may see, most recently seen first.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "detection", params(AlertQuery),
    responses((status = 200, body = Page<AlertRecord>)))]
pub(crate) async fn list_alerts(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AlertQuery>,
) -> Result<Json<Page<AlertRecord>>, ApiError> {
    let since_us = query
        .since
        .as_deref()
        .map(|t| parse_time("since", t))
        .transpose()?;
    let filter = AlertFilter {
        rule_id: query.rule,
        vehicle_id: query.vehicle,
        severity: query.severity,
        since_us,
    };
    let limit = page_limit(query.limit)?;
    let after = keyset_cursor(query.cursor.as_deref())?;
    let reader = Readable::by(&caller.principal);
    let page = state
        .store
        .alert_page(&filter, &reader, after, limit as usize)
        .await?;
    let total = state.store.count_alerts(&filter, &reader).await?;
    Ok(Json(keyset_page(page, total)))
}

/// One alert with its cited events.
#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "detection",
    params(("id" = String, Path)), responses((status = 200, body = AlertDetail), (status = 404)))]
pub(crate) async fn get_alert(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AlertDetail>, ApiError> {
    let alert = visible(
        &caller,
        state.store.alert(&id).await?,
        &format!("alert {id}"),
    )?;
    let events = state.store.cited_events(&alert.id).await?;
    Ok(Json(AlertDetail { alert, events }))
}

/// Microseconds since the epoch of an RFC 3339 time, or a 400 naming the
/// query field.
pub(crate) fn parse_time(field: &str, text: &str) -> Result<i64, ApiError> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| ApiError::bad_request(format!("{field} {text:?} is not an RFC 3339 time")))?;
    Ok(i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX))
}
