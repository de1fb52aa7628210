//! The reports page: a period form (from, to, split by day, week or month)
//! and the VSOC metrics of that period as tables (mean response times,
//! containment effectiveness, incidents per ATM technique, the
//! false-positive rate per rule, alerts per severity), read through the
//! API's metrics handler with the reader as caller, so every count covers
//! only what the reader may see. The R155 monitoring report of the same
//! period is linked as HTML and PDF from the API route, which a browser
//! reads with its session cookie.

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use time::OffsetDateTime;

use super::layout::{Section, page};
use super::{ForViewer, PageResult, Viewer, format};
use crate::AppState;
use crate::api::reports::{MetricsQuery, report_metrics};
use crate::error::ApiQuery;
use crate::reports::MetricsReport;
use crate::reports::document::percent;
use crate::reports::metrics::PeriodMetrics;

pub fn routes() -> Router<AppState> {
    Router::new().route("/reports", get(reports))
}

const PERIODS: &[&str] = &["day", "week", "month"];

/// The period the form asks for; the last 30 days by month when empty.
#[derive(Debug, Default, Deserialize)]
pub struct PeriodForm {
    from: Option<String>,
    to: Option<String>,
    period: Option<String>,
}

impl PeriodForm {
    fn filled(self) -> (String, String, String) {
        let today = OffsetDateTime::now_utc().date();
        let month_ago = today - time::Duration::days(30);
        let given =
            |value: Option<String>, default: String| format::non_empty(value).unwrap_or(default);
        (
            given(self.from, month_ago.to_string()),
            given(self.to, today.to_string()),
            given(self.period, "month".to_owned()),
        )
    }
}

async fn reports(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(form): Query<PeriodForm>,
) -> PageResult {
    let (from, to, period) = form.filled();
    let query = MetricsQuery {
        from: from.clone(),
        to: to.clone(),
        period: Some(period.clone()),
    };
    let Json(report) = report_metrics(State(state), viewer.caller.clone(), ApiQuery(query))
        .await
        .shown_to(&viewer)?;
    let body = html! {
        (period_form(&from, &to, &period))
        (r155_links(&from, &to))
        (metrics(&report, &period))
    };
    Ok(page(&viewer, Section::Reports, "Reports", body))
}

fn period_form(from: &str, to: &str, period: &str) -> Markup {
    html! {
        form.filters method="get" action="/reports" aria-label="Report period" {
            div.field {
                label for="r-from" { "From" }
                input #r-from name="from" type="date" value=(from) required;
            }
            div.field {
                label for="r-to" { "To (inclusive)" }
                input #r-to name="to" type="date" value=(to) required;
            }
            div.field {
                label for="r-period" { "Split by" }
                select #r-period name="period" {
                    @for one in PERIODS { (format::option(one, one, Some(period))) }
                }
            }
            button type="submit" { "Show" }
        }
    }
}

fn r155_links(from: &str, to: &str) -> Markup {
    let query = super::alerts::encode_pairs(&[
        ("from", &Some(from.to_owned())),
        ("to", &Some(to.to_owned())),
    ]);
    html! {
        section.panel aria-labelledby="r155" {
            h2 #r155 { "UN R155 monitoring report" }
            p { "The monitoring report of this period, marked with the strictest TLP it draws on; each download is audited." }
            ul {
                li { a href={ "/api/v1/reports/r155?" (query) "&format=html" } { "Open the report (HTML)" } }
                li { a href={ "/api/v1/reports/r155?" (query) "&format=pdf" } download="r155-report.pdf" { "Download the report (PDF)" } }
            }
        }
    }
}

fn metrics(report: &MetricsReport, period: &str) -> Markup {
    let total = &report.total;
    html! {
        p.muted {
            "From " (format::time(&report.from)) " to " (format::time(&report.to))
            " · counts marked up to TLP:" (report.tlp.as_str())
        }
        div.cols {
            section.panel aria-labelledby="times" {
                h2 #times { "Response" }
                (response_facts(total))
            }
            section.panel aria-labelledby="alerts-sev" {
                h2 #alerts-sev { "Alerts by severity" }
                (count_table("Severity", "Alerts", &total.alerts_by_severity))
            }
        }
        div.cols {
            section.panel aria-labelledby="techniques" {
                h2 #techniques { "Incidents by ATM technique" }
                (count_table("Technique", "Incidents", &total.incidents_by_technique))
                p.muted { (total.incidents_without_technique) " incidents name no technique." }
            }
            section.panel aria-labelledby="fp" {
                h2 #fp { "False-positive rate per rule" }
                (false_positives(total))
            }
        }
        section.panel aria-labelledby="buckets" {
            h2 #buckets { "Per " (period) }
            (bucket_table(&report.buckets))
        }
    }
}

fn response_facts(metrics: &PeriodMetrics) -> Markup {
    let means = &metrics.response.means;
    let effectiveness = &metrics.containment_effectiveness;
    html! {
        dl.facts {
            dt { "Incidents" } dd { (means.incidents) }
            dt { "MTTD" } dd { (seconds(means.mean_time_to_detect_us)) }
            dt { "MTTA" } dd { (seconds(means.mean_time_to_acknowledge_us)) }
            dt { "MTTC" } dd { (seconds(means.mean_time_to_contain_us)) }
            dt { "MTTR" } dd { (seconds(means.mean_time_to_resolve_us)) }
            dt { "Containment effectiveness" } dd {
                (percent(effectiveness.rate)) " (" (effectiveness.held) " of " (effectiveness.contained) " held)"
            }
            dt { "Alerts" } dd { (metrics.alerts) " (" (metrics.test_alerts) " from tests)" }
            dt { "Vehicles" } dd { (metrics.vehicles_reporting) " reporting of " (metrics.vehicles_monitored) " monitored" }
        }
    }
}

/// A mean time for people ("3 h 20 min"), or a dash when no incident
/// reached the state.
fn seconds(mean_us: Option<f64>) -> String {
    format::maybe_duration(mean_us.map(|us| us.round() as i64))
}

fn count_table(key: &str, count: &str, counts: &std::collections::BTreeMap<String, u64>) -> Markup {
    html! {
        @if counts.is_empty() {
            p.muted { "None in this period." }
        } @else {
            div.scroll { table {
                thead { tr { th scope="col" { (key) } th scope="col" { (count) } } }
                tbody {
                    @for (name, n) in counts {
                        tr { td { (name) } td { (n) } }
                    }
                }
            } }
        }
    }
}

fn false_positives(metrics: &PeriodMetrics) -> Markup {
    let rules = &metrics.response.false_positives_by_rule;
    html! {
        @if rules.is_empty() {
            p.muted { "No incident in this period." }
        } @else {
            div.scroll { table {
                thead { tr {
                    th scope="col" { "Sigma rule" } th scope="col" { "Incidents" }
                    th scope="col" { "False positives" } th scope="col" { "Rate" }
                } }
                tbody {
                    @for (rule, rate) in rules {
                        tr {
                            td { (rule) } td { (rate.incidents) } td { (rate.false_positives) }
                            td { (percent(Some(rate.rate))) }
                        }
                    }
                }
            } }
        }
    }
}

fn bucket_table(buckets: &[PeriodMetrics]) -> Markup {
    html! {
        div.scroll { table {
            thead { tr {
                th scope="col" { "From" } th scope="col" { "Incidents" } th scope="col" { "MTTD" }
                th scope="col" { "MTTA" } th scope="col" { "MTTC" } th scope="col" { "MTTR" }
                th scope="col" { "Contained held" } th scope="col" { "Alerts" }
            } }
            tbody {
                @for bucket in buckets {
                    @let means = &bucket.response.means;
                    tr {
                        td { (format::time(&bucket.start)) }
                        td { (means.incidents) }
                        td { (seconds(means.mean_time_to_detect_us)) }
                        td { (seconds(means.mean_time_to_acknowledge_us)) }
                        td { (seconds(means.mean_time_to_contain_us)) }
                        td { (seconds(means.mean_time_to_resolve_us)) }
                        td { (percent(bucket.containment_effectiveness.rate)) }
                        td { (bucket.alerts) }
                    }
                }
            }
        } }
    }
}
