//! The fleet overview, the first page after sign-in: vehicles monitored,
//! the security status at a glance, alerts per day by severity, open
//! incidents, the MTTD and MTTR trend per week, the top Automotive Threat
//! Matrix techniques (the `atm_tags` of alerts' rules) and the spread over
//! regions. Everything counted is what the reader may see.

use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use keelson_core::incident::{MeanResponseTimes, ResponseTimes};
use keelson_core::{CaseState, Severity};
use keelson_store::alerts::{AlertFilter, AlertRecord};
use keelson_store::cases::CaseFilter;
use keelson_store::incidents::{IncidentFilter, IncidentRecord};
use maud::{Markup, html};
use time::{Duration, OffsetDateTime};

use super::chart::{self, Series};
use super::layout::{Section, page};
use super::{ForViewer, PageResult, Viewer, format};
use crate::AppState;
use crate::clearance::visible_only;

const DAYS: i64 = 14;
const WEEKS: i64 = 8;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(overview))
}

/// Severity colours, lowest first (the order columns stack in).
pub const SEVERITY_SERIES: [Series<'static>; 5] = [
    Series {
        name: "none",
        colour: "#5b6573",
    },
    Series {
        name: "low",
        colour: "#2f6f3e",
    },
    Series {
        name: "medium",
        colour: "#a16207",
    },
    Series {
        name: "high",
        colour: "#c2410c",
    },
    Series {
        name: "critical",
        colour: "#8e1b1b",
    },
];

async fn overview(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let store = &state.store;
    let caller = &viewer.caller;
    let now = OffsetDateTime::now_utc();
    let since = now - Duration::days(WEEKS * 7);
    let since_us = (since.unix_timestamp_nanos() / 1_000) as i64;

    let vehicles = visible_only(caller, store.list_vehicles().await.shown_to(&viewer)?);
    let alert_filter = AlertFilter {
        since_us: Some(since_us),
        ..AlertFilter::default()
    };
    let alerts = visible_only(
        caller,
        store.list_alerts(&alert_filter).await.shown_to(&viewer)?,
    );
    let incident_filter = IncidentFilter::default();
    let incidents = visible_only(
        caller,
        store
            .list_incidents(&incident_filter)
            .await
            .shown_to(&viewer)?,
    );
    let cases = visible_only(
        caller,
        store
            .list_cases(&CaseFilter::default())
            .await
            .shown_to(&viewer)?,
    );

    let region_of: HashMap<&str, &str> = vehicles
        .iter()
        .map(|vehicle| {
            (
                vehicle.id.as_str(),
                vehicle.region.as_deref().unwrap_or("unknown"),
            )
        })
        .collect();
    let open: Vec<&IncidentRecord> = incidents.iter().filter(|i| i.state.is_open()).collect();
    let open_cases = cases.iter().filter(|case| !is_finished(case.state)).count();
    let day_ago = format_day_ago(now);
    let alerts_today = alerts
        .iter()
        .filter(|alert| alert.last_seen >= day_ago)
        .count();
    let critical_open = open
        .iter()
        .filter(|i| i.severity == Severity::Critical)
        .count();

    let body = html! {
        section.stats aria-label="Security status" {
            (stat(vehicles.len(), "vehicles monitored", "/vehicles"))
            (stat(alerts_today, "alerts in the last 24 h", "/alerts"))
            (stat(open.len(), "open incidents", "/incidents?state=open"))
            (stat(critical_open, "critical open incidents", "/incidents?state=open&severity=critical"))
            (stat(open_cases, "open PSIRT cases", "/cases"))
        }
        div.grid {
            section.panel.wide aria-labelledby="alerts-over-time" {
                h2 #alerts-over-time { "Alerts per day by severity (last " (DAYS) " days)" }
                (alerts_per_day(&alerts, now))
            }
            section.panel aria-labelledby="open-incidents" {
                h2 #open-incidents { "Open incidents" }
                (open_incidents(&open))
            }
            section.panel aria-labelledby="response-trend" {
                h2 #response-trend { "MTTD and MTTR per week (hours)" }
                (response_trend(&incidents, now))
            }
            section.panel aria-labelledby="top-techniques" {
                h2 #top-techniques { "Top ATM techniques" }
                (chart::bars(420.0, "Alerts per Automotive Threat Matrix technique", &top_techniques(&alerts), "#0b5cad"))
            }
            section.panel aria-labelledby="regions" {
                h2 #regions { "Regional spread" }
                (regional_spread(&alerts, &region_of))
            }
        }
    };
    Ok(page(&viewer, Section::Overview, "Fleet overview", body))
}

fn stat(value: usize, label: &str, href: &str) -> Markup {
    html! {
        a.stat href=(href) {
            span.value { (value) }
            span.label { (label) }
        }
    }
}

fn is_finished(state: CaseState) -> bool {
    matches!(
        state,
        CaseState::Closed | CaseState::NotAffected | CaseState::Duplicate | CaseState::Rejected
    )
}

fn format_day_ago(now: OffsetDateTime) -> String {
    keelson_store::format_us(((now - Duration::days(1)).unix_timestamp_nanos() / 1_000) as i64)
}

/// The last `DAYS` calendar days (UTC), oldest first, as `YYYY-MM-DD`.
fn day_labels(now: OffsetDateTime) -> Vec<String> {
    (0..DAYS)
        .rev()
        .map(|back| (now - Duration::days(back)).date().to_string())
        .collect()
}

fn alerts_per_day(alerts: &[AlertRecord], now: OffsetDateTime) -> Markup {
    let days = day_labels(now);
    let mut counts = vec![vec![0_u64; Severity::ALL.len()]; days.len()];
    let position: HashMap<&str, usize> = days
        .iter()
        .enumerate()
        .map(|(index, day)| (day.as_str(), index))
        .collect();
    for alert in alerts {
        let day = alert.last_seen.get(..10).unwrap_or_default();
        if let Some(index) = position.get(day) {
            counts[*index][severity_rank(alert.severity)] += 1;
        }
    }
    let labels: Vec<String> = days.iter().map(|day| day[5..].to_owned()).collect();
    chart::stacked_columns(
        900.0,
        "Alerts per day by severity",
        &labels,
        &SEVERITY_SERIES,
        &counts,
    )
}

fn severity_rank(severity: Severity) -> usize {
    Severity::ALL
        .iter()
        .position(|s| *s == severity)
        .unwrap_or(0)
}

fn open_incidents(open: &[&IncidentRecord]) -> Markup {
    let mut shown: Vec<&&IncidentRecord> = open.iter().collect();
    shown.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.last_seen.cmp(&a.last_seen))
    });
    html! {
        @if shown.is_empty() {
            p.muted { "No open incident." }
        } @else {
            div.scroll { table {
                thead { tr { th scope="col" { "Incident" } th scope="col" { "Severity" } th scope="col" { "State" } th scope="col" { "Last seen" } } }
                tbody {
                    @for incident in shown.iter().take(8) {
                        tr {
                            td { a href={ "/incidents/" (incident.id) } { (incident.title) } }
                            td { (format::severity(incident.severity)) }
                            td { (format::state(incident.state.as_str())) }
                            td { (format::time(&incident.last_seen)) }
                        }
                    }
                }
            } }
            @if shown.len() > 8 {
                p { a href="/incidents?state=open" { "All " (shown.len()) " open incidents" } }
            }
        }
    }
}

/// Mean time to detect and to resolve of the incidents detected in each
/// of the last `WEEKS` weeks, in hours.
fn response_trend(incidents: &[IncidentRecord], now: OffsetDateTime) -> Markup {
    let mut weeks: Vec<Vec<ResponseTimes>> = vec![Vec::new(); WEEKS as usize];
    for incident in incidents {
        let Ok(detected) = OffsetDateTime::parse(
            &incident.detected,
            &time::format_description::well_known::Rfc3339,
        ) else {
            continue;
        };
        let age = (now - detected).whole_weeks();
        if (0..WEEKS).contains(&age) {
            weeks[(WEEKS - 1 - age) as usize].push(incident.response_times);
        }
    }
    let hours = |micros: Option<f64>| micros.map(|us| us / 3_600_000_000.0);
    let means: Vec<MeanResponseTimes> = weeks
        .iter()
        .map(|week| MeanResponseTimes::of(week))
        .collect();
    let mttd = means
        .iter()
        .map(|m| hours(m.mean_time_to_detect_us))
        .collect();
    let mttr = means
        .iter()
        .map(|m| hours(m.mean_time_to_resolve_us))
        .collect();
    let labels: Vec<String> = (0..WEEKS)
        .rev()
        .map(|back| (now - Duration::weeks(back)).date().to_string()[5..].to_owned())
        .collect();
    let series = [
        Series {
            name: "MTTD",
            colour: "#0b5cad",
        },
        Series {
            name: "MTTR",
            colour: "#c2410c",
        },
    ];
    chart::lines(
        420.0,
        "Mean time to detect and to resolve per week",
        &labels,
        &series,
        &[mttd, mttr],
        "h",
    )
}

pub fn top_techniques(alerts: &[AlertRecord]) -> Vec<(String, u64)> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for tag in alerts.iter().flat_map(|alert| &alert.atm_tags) {
        *counts.entry(tag.as_str()).or_default() += 1;
    }
    largest(counts, 8)
}

fn regional_spread(alerts: &[AlertRecord], region_of: &HashMap<&str, &str>) -> Markup {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for alert in alerts {
        let vehicle = alert.vehicle_id.as_deref().unwrap_or_default();
        let region = region_of.get(vehicle).copied().unwrap_or("unknown");
        *counts.entry(region).or_default() += 1;
    }
    chart::bars(
        420.0,
        "Alerts per vehicle region",
        &largest(counts, 8),
        "#2f6f3e",
    )
}

/// The `n` largest counts, largest first (ties by name).
fn largest(counts: BTreeMap<&str, u64>, n: usize) -> Vec<(String, u64)> {
    let mut items: Vec<(String, u64)> = counts
        .into_iter()
        .map(|(name, count)| (name.to_owned(), count))
        .collect();
    items.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    items.truncate(n);
    items
}
