//! The fleet overview, the first page after sign-in: vehicles monitored,
//! the security status at a glance, alerts per day by severity, open
//! incidents, the MTTD and MTTR trend per week, the top Automotive Threat
//! Matrix techniques (the `atm_tags` of alerts' rules) and the spread over
//! regions. Everything counted is what the reader may see.
//!
//! The counts come from the store's tallies (`Store::alert_tally`,
//! `Store::incident_tally`), which group in SQL, so the page reads a few
//! hundred grouped rows however many alerts the store holds.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use keelson_core::incident::{MeanResponseTimes, ResponseTimes};
use keelson_core::{CaseState, Severity};
use keelson_store::alerts::AlertTally;
use keelson_store::cases::CaseFilter;
use keelson_store::incidents::{IncidentFilter, IncidentRecord};
use keelson_store::readable::Readable;
use keelson_store::tally::DAY_US;
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
    let reader = Readable::by(&caller.principal);
    let now = OffsetDateTime::now_utc();
    let now_us = micros(now);

    // Five independent reads on pooled connections at once: the page waits
    // for the slowest, not for their sum.
    let case_filter = CaseFilter::default();
    let (vehicles, alerts, incidents, worst_open, cases) = tokio::try_join!(
        store.count_vehicles(&reader),
        store.alert_tally(&reader, micros(first_day(now)), now_us - DAY_US),
        store.incident_tally(&reader, micros(now - Duration::weeks(WEEKS))),
        worst_open_incidents(store, &reader),
        store.list_cases(&case_filter),
    )
    .shown_to(&viewer)?;
    let cases = visible_only(caller, cases);

    let open: u64 = incidents.open.values().sum();
    let critical_open = incidents
        .open
        .get(&Severity::Critical)
        .copied()
        .unwrap_or(0);
    let open_cases = cases.iter().filter(|case| !is_finished(case.state)).count();

    let body = html! {
        section.stats aria-label="Security status" {
            (stat(vehicles, "vehicles monitored", "/vehicles"))
            (stat(alerts.recent, "alerts in the last 24 h", "/alerts?days=1"))
            (stat(open, "open incidents", "/incidents?state=open"))
            (stat(critical_open, "critical open incidents", "/incidents?state=open&severity=critical"))
            (stat(open_cases as u64, "open PSIRT cases", "/cases"))
        }
        div.grid {
            section.panel.wide aria-labelledby="alerts-over-time" {
                h2 #alerts-over-time { "Alerts per day by severity (last " (DAYS) " days)" }
                (alerts_per_day(&alerts, now))
            }
            section.panel aria-labelledby="open-incidents" {
                h2 #open-incidents { "Open incidents" }
                (open_incidents(&worst_open, open))
            }
            section.panel aria-labelledby="response-trend" {
                h2 #response-trend { "MTTD and MTTR per week (hours)" }
                (response_trend(&incidents.detected, now))
            }
            section.panel aria-labelledby="top-techniques" {
                h2 #top-techniques { "Top ATM techniques (last " (DAYS) " days)" }
                (chart::bars(420.0, "Alerts per Automotive Threat Matrix technique", &largest(&alerts.per_technique, 8), "#0b5cad"))
            }
            section.panel aria-labelledby="regions" {
                h2 #regions { "Regional spread (last " (DAYS) " days)" }
                (chart::bars(420.0, "Alerts per vehicle region", &largest(&alerts.per_region, 8), "#2f6f3e"))
            }
        }
    };
    Ok(page(&viewer, Section::Overview, "Fleet overview", body))
}

/// Open incidents shown on the overview.
const WORST_OPEN: usize = 8;

/// The open incidents of the highest severities, most recently seen first
/// within each: a page per severity from critical down.
async fn worst_open_incidents(
    store: &keelson_store::Store,
    reader: &Readable<'_>,
) -> Result<Vec<IncidentRecord>, keelson_store::StoreError> {
    let mut worst = Vec::with_capacity(WORST_OPEN);
    for severity in Severity::ALL.iter().rev() {
        let wanted = WORST_OPEN - worst.len();
        if wanted == 0 {
            break;
        }
        let filter = IncidentFilter {
            open_only: true,
            severity: Some(*severity),
            ..IncidentFilter::default()
        };
        let page = store.incident_page(&filter, reader, None, wanted).await?;
        worst.extend(page.items);
    }
    Ok(worst)
}

fn micros(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// Midnight (UTC) at the start of the first day the charts show.
fn first_day(now: OffsetDateTime) -> OffsetDateTime {
    (now - Duration::days(DAYS - 1)).replace_time(time::Time::MIDNIGHT)
}

fn stat(value: u64, label: &str, href: &str) -> Markup {
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

/// The last `DAYS` calendar days (UTC), oldest first, as `YYYY-MM-DD`.
fn day_labels(now: OffsetDateTime) -> Vec<String> {
    (0..DAYS)
        .rev()
        .map(|back| (now - Duration::days(back)).date().to_string())
        .collect()
}

fn alerts_per_day(alerts: &AlertTally, now: OffsetDateTime) -> Markup {
    let days = day_labels(now);
    let first = micros(first_day(now)).div_euclid(DAY_US);
    let mut counts = vec![vec![0_u64; Severity::ALL.len()]; days.len()];
    for ((day, severity), count) in &alerts.per_day {
        let index = usize::try_from(day - first).ok();
        if let Some(row) = index.and_then(|index| counts.get_mut(index)) {
            row[severity_rank(*severity)] += count;
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

fn open_incidents(worst: &[IncidentRecord], open: u64) -> Markup {
    html! {
        @if worst.is_empty() {
            p.muted { "No open incident." }
        } @else {
            div.scroll { table {
                thead { tr { th scope="col" { "Incident" } th scope="col" { "Severity" } th scope="col" { "State" } th scope="col" { "Last seen" } } }
                tbody {
                    @for incident in worst {
                        tr {
                            td { a href={ "/incidents/" (incident.id) } { (incident.title) } }
                            td { (format::severity(incident.severity)) }
                            td { (format::state(incident.state.as_str())) }
                            td { (format::time(&incident.last_seen)) }
                        }
                    }
                }
            } }
            @if open > worst.len() as u64 {
                p { a href="/incidents?state=open" { "All " (open) " open incidents" } }
            }
        }
    }
}

/// Mean time to detect and to resolve of the incidents detected in each
/// of the last `WEEKS` weeks, in hours.
fn response_trend(detected: &[(i64, ResponseTimes)], now: OffsetDateTime) -> Markup {
    let mut weeks: Vec<Vec<ResponseTimes>> = vec![Vec::new(); WEEKS as usize];
    let now_us = micros(now);
    for (detected_us, times) in detected {
        let age = (now_us - detected_us).div_euclid(7 * DAY_US);
        if (0..WEEKS).contains(&age) {
            weeks[(WEEKS - 1 - age) as usize].push(*times);
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

/// The `n` largest counts, largest first (ties by name).
fn largest(counts: &BTreeMap<String, u64>, n: usize) -> Vec<(String, u64)> {
    let mut items: Vec<(String, u64)> = counts
        .iter()
        .map(|(name, count)| (name.clone(), *count))
        .collect();
    items.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    items.truncate(n);
    items
}
