//! VSOC reporting: metrics per period (days, weeks or months) and the UN
//! R155 monitoring report, computed once on the server for the API and the
//! command line alike.
//!
//! - [`period`] reads a period and cuts it into calendar buckets;
//! - [`metrics`] counts response times, containment effectiveness,
//!   techniques, alerts and vehicles over the records a reader may see;
//! - [`r155`] gathers the monitoring report; [`document`] lays it out as
//!   headings, facts and tables, which [`html`] and [`pdf`] write, so the
//!   two formats cannot show different numbers.
//!
//! **Invariant:** every count includes only records the reader may see,
//! and a report's TLP is the strictest marking of the records it counts.

pub mod document;
pub mod html;
pub mod metrics;
pub mod pdf;
pub mod period;
pub mod r155;

use keelson_core::{Principal, Tlp};
use keelson_store::{Store, StoreError};
use serde::Serialize;

use metrics::{Observed, PeriodMetrics};
use period::{Granularity, Period, PeriodError, rfc3339};

/// Why a report cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Period(#[from] PeriodError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The metrics of a period, whole and per bucket.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MetricsReport {
    pub from: String,
    pub to: String,
    pub period: Granularity,
    /// The strictest marking among the records counted.
    pub tlp: Tlp,
    /// The whole period.
    pub total: PeriodMetrics,
    /// One entry per day, week or month, oldest first.
    pub buckets: Vec<PeriodMetrics>,
}

/// The reader's metrics of `period`, split by `granularity`.
pub async fn metrics_report(
    store: &Store,
    reader: &Principal,
    period: &Period,
    granularity: Granularity,
) -> Result<MetricsReport, ReportError> {
    let buckets = period.split(granularity)?;
    let observed = Observed::load(store, reader, period).await?;

    let mut metrics = Vec::with_capacity(buckets.len());
    for bucket in &buckets {
        let reporting = Observed::reporting(store, reader, bucket.range()).await?;
        metrics.push(observed.metrics(bucket, &reporting));
    }
    let reporting = Observed::reporting(store, reader, period.range()).await?;

    Ok(MetricsReport {
        from: rfc3339(period.start),
        to: rfc3339(period.end),
        period: granularity,
        tlp: observed.tlp,
        total: observed.metrics(period, &reporting),
        buckets: metrics,
    })
}

/// The formats the monitoring report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Html,
    Pdf,
}

impl std::str::FromStr for ReportFormat {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "html" => Ok(ReportFormat::Html),
            "pdf" => Ok(ReportFormat::Pdf),
            other => Err(PeriodError {
                field: "format",
                reason: format!("{other:?} is not one of html, pdf"),
            }),
        }
    }
}

impl ReportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Html => "text/html; charset=utf-8",
            ReportFormat::Pdf => "application/pdf",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Pdf => "pdf",
        }
    }
}

/// A written monitoring report.
#[derive(Debug, Clone)]
pub struct Export {
    pub bytes: Vec<u8>,
    pub format: ReportFormat,
    pub tlp: Tlp,
    pub sha256: String,
}

/// Writes the reader's R155 monitoring report of `period` and audits the
/// export (`report.r155`, with the period, format, TLP and digest): the one
/// function behind the API route and `keelson report r155`.
pub async fn export_r155(
    store: &Store,
    reader: &Principal,
    actor: &str,
    period: &Period,
    format: ReportFormat,
) -> Result<Export, ReportError> {
    let report = r155::r155_report(store, reader, period).await?;
    let document = report.document();
    let bytes = match format {
        ReportFormat::Html => html::write(&document).into_bytes(),
        ReportFormat::Pdf => pdf::write(&document),
    };
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));

    let object = format!("r155 {} {}", report.from, report.to);
    let entry =
        keelson_store::AuditEvent::new(actor, "report.r155", "report", &object).detail(format!(
            "{} for {}, TLP:{}, sha256 {sha256}",
            format.extension(),
            reader.user,
            report.tlp
        ));
    store.record_audit(entry).await?;
    Ok(Export {
        bytes,
        format,
        tlp: report.tlp,
        sha256,
    })
}
