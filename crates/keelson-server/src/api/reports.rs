//! VSOC reports over the API: the metrics of a period per day, week or
//! month, and the UN R155 monitoring report as HTML or PDF. Both count only
//! what the caller may see (see `crate::reports`); the report's TLP is also
//! sent as the `X-TLP` header.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiQuery};
use crate::reports::period::{Granularity, Period, PeriodError};
use crate::reports::{MetricsReport, ReportError, ReportFormat, export_r155, metrics_report};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(report_metrics))
        .routes(routes!(r155_report))
}

/// The period and split of the metrics.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MetricsQuery {
    /// A date (YYYY-MM-DD, from its first instant) or an RFC 3339 time.
    pub from: String,
    /// A date (up to the end of that day) or an RFC 3339 time (excluded).
    pub to: String,
    /// day, week (ISO, from Monday) or month; default month.
    pub period: Option<String>,
}

/// The period and format of the monitoring report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct R155Query {
    /// A date (YYYY-MM-DD, from its first instant) or an RFC 3339 time.
    pub from: String,
    /// A date (up to the end of that day) or an RFC 3339 time (excluded).
    pub to: String,
    /// html or pdf; default html.
    pub format: Option<String>,
}

impl From<PeriodError> for ApiError {
    fn from(error: PeriodError) -> Self {
        ApiError::bad_request(error.to_string())
    }
}

impl From<ReportError> for ApiError {
    fn from(error: ReportError) -> Self {
        match error {
            ReportError::Period(error) => error.into(),
            ReportError::Store(error) => error.into(),
        }
    }
}

/// MTTD, MTTA, MTTC, MTTR, containment effectiveness, incidents per state,
/// per ATM technique and the false-positive rate per rule, alerts per
/// severity and the vehicles monitored, for the whole period and per day,
/// week or month, over what the caller may see.
#[utoipa::path(get, path = "/api/v1/reports/metrics", tag = "reports", params(MetricsQuery),
    responses((status = 200, body = MetricsReport), (status = 400)))]
pub(crate) async fn report_metrics(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<MetricsQuery>,
) -> Result<Json<MetricsReport>, ApiError> {
    let period = Period::parse(&query.from, &query.to)?;
    let granularity: Granularity = query.period.as_deref().unwrap_or("month").parse()?;
    let report = metrics_report(&state.store, &caller.principal, &period, granularity).await?;
    Ok(Json(report))
}

/// The UN R155 monitoring report of the period (fleet, detections per ATM
/// technique and severity, incidents and response times, containment,
/// escalations, PSIRT cases, advisories and vulnerabilities) as an HTML
/// page or a PDF, marked with the strictest TLP it draws on. Audited as
/// `report.r155`.
#[utoipa::path(get, path = "/api/v1/reports/r155", tag = "reports", params(R155Query),
    responses((status = 200, description = "text/html or application/pdf"), (status = 400)))]
async fn r155_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<R155Query>,
) -> Result<Response, ApiError> {
    let period = Period::parse(&query.from, &query.to)?;
    let format: ReportFormat = query.format.as_deref().unwrap_or("html").parse()?;
    let export = export_r155(
        &state.store,
        &caller.principal,
        &caller.user.name,
        &period,
        format,
    )
    .await?;

    let disposition = match format {
        ReportFormat::Html => "inline".to_owned(),
        ReportFormat::Pdf => "attachment; filename=\"r155-report.pdf\"".to_owned(),
    };
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.content_type()),
        ),
        (header::CONTENT_DISPOSITION, header_value(&disposition)),
        (
            HeaderName::from_static("x-tlp"),
            header_value(export.tlp.as_str()),
        ),
    ];
    Ok((headers, export.bytes).into_response())
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}
