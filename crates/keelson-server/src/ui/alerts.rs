//! The alert list with filters (severity, rule, vehicle, period) and one
//! alert with the events it cites and the incident it joined. The list is
//! read one keyset page at a time (see `keelson_store::paging`), so it
//! costs the same with a hundred alerts in the store as with millions.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use keelson_core::Severity;
use keelson_store::StoreError;
use keelson_store::alerts::{AlertFilter, AlertRecord};
use keelson_store::paging::Cursor;
use keelson_store::readable::Readable;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Section, page};
use super::{ForViewer, PageResult, Viewer, format};
use crate::AppState;
use crate::clearance::visible;

/// Rows one list page shows.
pub const PAGE_ROWS: usize = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(list))
        .route("/alerts/{id}", get(detail))
}

#[derive(Debug, Default, Deserialize)]
pub struct AlertFilters {
    severity: Option<String>,
    rule: Option<String>,
    vehicle: Option<String>,
    /// Last seen within this many days.
    days: Option<String>,
    /// Where the page starts: the `next` cursor of the page before.
    after: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filters): Query<AlertFilters>,
) -> PageResult {
    let severity = format::non_empty(filters.severity.clone());
    let filter = AlertFilter {
        rule_id: format::non_empty(filters.rule.clone()),
        vehicle_id: format::non_empty(filters.vehicle.clone()),
        severity: severity.as_deref().and_then(|s| s.parse::<Severity>().ok()),
        since_us: days_ago_us(filters.days.as_deref()),
    };
    let reader = Readable::by(&viewer.caller.principal);
    let after = page_start(filters.after.as_deref()).shown_to(&viewer)?;
    let first_page = after.is_none();
    let store = &state.store;
    let shown = store
        .alert_page(&filter, &reader, after, PAGE_ROWS)
        .await
        .shown_to(&viewer)?;
    let matching = store
        .count_alerts(&filter, &reader)
        .await
        .shown_to(&viewer)?;
    let body = html! {
        (filter_form(&filters))
        p.muted { (format::capped(matching)) " alerts match." }
        (alert_table(shown.items.iter()))
        (pager("/alerts", &query_without_page(&filters), first_page, shown.next.as_ref()))
    };
    Ok(page(&viewer, Section::Alerts, "Alerts", body))
}

/// The cursor a list link carries, or a 400 naming it.
pub fn page_start(after: Option<&str>) -> Result<Option<Cursor>, StoreError> {
    after
        .filter(|text| !text.is_empty())
        .map(Cursor::decode)
        .transpose()
}

fn query_without_page(filters: &AlertFilters) -> String {
    let pairs = [
        ("severity", &filters.severity),
        ("rule", &filters.rule),
        ("vehicle", &filters.vehicle),
        ("days", &filters.days),
    ];
    encode_pairs(&pairs)
}

/// `a=1&b=2` of the non-empty values, percent-encoded.
pub fn encode_pairs(pairs: &[(&str, &Option<String>)]) -> String {
    pairs
        .iter()
        .filter_map(|(name, value)| {
            let value = value.as_deref().filter(|v| !v.is_empty())?;
            Some(format!("{name}={}", percent_encode(value)))
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// The links of a keyset-paged list: back to the first page, and on to
/// the next when there is one.
pub fn pager(path: &str, query: &str, first_page: bool, next: Option<&Cursor>) -> Markup {
    let separator = if query.is_empty() { "" } else { "&" };
    html! {
        @if !first_page || next.is_some() {
            nav.actions aria-label="Pages" {
                @if !first_page { a href={ (path) "?" (query) } { "First page" } }
                @if let Some(next) = next {
                    a href={ (path) "?" (query) (separator) "after=" (next.encode()) } { "Next page" }
                }
            }
        }
    }
}

/// Microseconds since the epoch `days` days ago, for a "last N days" filter.
pub fn days_ago_us(days: Option<&str>) -> Option<i64> {
    let days: i64 = days?.trim().parse().ok().filter(|days| *days > 0)?;
    Some(keelson_store::now_us().saturating_sub(days.saturating_mul(86_400_000_000)))
}

fn filter_form(filters: &AlertFilters) -> Markup {
    let severity = filters.severity.as_deref();
    let days = filters.days.as_deref();
    html! {
        form.filters method="get" action="/alerts" data-autosubmit aria-label="Filter alerts" {
            div.field {
                label for="f-severity" { "Severity" }
                select #f-severity name="severity" {
                    (format::option("", "any", severity))
                    @for level in Severity::ALL.iter().rev() {
                        (format::option(level.as_str(), level.as_str(), severity))
                    }
                }
            }
            div.field {
                label for="f-days" { "Last seen" }
                select #f-days name="days" {
                    (format::option("", "any time", days))
                    (format::option("1", "last 24 hours", days))
                    (format::option("7", "last 7 days", days))
                    (format::option("30", "last 30 days", days))
                }
            }
            div.field {
                label for="f-rule" { "Rule ID" }
                input #f-rule name="rule" type="text" value=[filters.rule.as_deref()];
            }
            div.field {
                label for="f-vehicle" { "Vehicle" }
                input #f-vehicle name="vehicle" type="text" value=[filters.vehicle.as_deref()];
            }
            button type="submit" { "Filter" }
        }
    }
}

pub fn alert_table<'a>(alerts: impl Iterator<Item = &'a AlertRecord>) -> Markup {
    html! {
        div.scroll { table {
            thead { tr {
                th scope="col" { "Alert" } th scope="col" { "Severity" } th scope="col" { "Vehicle" }
                th scope="col" { "Count" } th scope="col" { "ATM" } th scope="col" { "TLP" } th scope="col" { "Last seen" }
            } }
            tbody {
                @for alert in alerts {
                    tr {
                        td {
                            a href={ "/alerts/" (alert.id) } { (alert.title) }
                            @if alert.test { " " span.badge.flag { "test rule" } }
                        }
                        td { (format::severity(alert.severity)) }
                        td { @if let Some(vehicle) = &alert.vehicle_id { a href={ "/vehicles/" (vehicle) } { (vehicle) } } }
                        td { (alert.count) }
                        td { (alert.atm_tags.join(", ")) }
                        td { (format::tlp(&alert.marking)) }
                        td { (format::time(&alert.last_seen)) }
                    }
                }
            }
        } }
    }
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let store = &state.store;
    let alert = store.alert(&id).await.shown_to(&viewer)?;
    let alert = visible(&viewer.caller, alert, &format!("alert {id}")).shown_to(&viewer)?;
    let events = store.cited_events(&alert.id).await.shown_to(&viewer)?;
    let incident = store.incident_of_alert(&alert.id).await.shown_to(&viewer)?;
    let body = html! {
        section.panel {
            dl.facts {
                dt { "Severity" } dd { (format::severity(alert.severity)) }
                dt { "Rule" } dd { a href={ "/rules/" (alert.rule_id) } { (alert.sigma_rule) } }
                dt { "Vehicle" } dd { @if let Some(v) = &alert.vehicle_id { a href={ "/vehicles/" (v) } { (v) } } }
                dt { "Build" } dd { (alert.build_id.as_deref().unwrap_or("—")) }
                dt { "Sightings" } dd { (alert.count) }
                dt { "First seen" } dd { (format::time(&alert.first_seen)) }
                dt { "Last seen" } dd { (format::time(&alert.last_seen)) }
                dt { "ATM techniques" } dd { (alert.atm_tags.join(", ")) }
                dt { "Marking" } dd { (format::tlp(&alert.marking)) }
                dt { "Incident" } dd {
                    @match &incident {
                        Some(incident) => a href={ "/incidents/" (incident) } { "Open the incident" },
                        None => span.muted { "none (test rule)" },
                    }
                }
            }
        }
        section.panel aria-labelledby="evidence" {
            h2 #evidence { "Cited events (" (events.len()) ")" }
            div.scroll { table {
                thead { tr { th scope="col" { "Time" } th scope="col" { "Kind" } th scope="col" { "Source" } th scope="col" { "ECU" } th scope="col" { "Key" } } }
                tbody {
                    @for event in &events {
                        tr {
                            td { (format::time(event.event.vehicle_time.as_deref().unwrap_or(&event.event.received_time))) }
                            td { (event.event.kind) }
                            td { (event.event.source) }
                            td { (event.event.ecu.as_deref().unwrap_or("—")) }
                            td { code { (event.key) } }
                        }
                    }
                }
            } }
        }
    };
    Ok(page(&viewer, Section::Alerts, &alert.title, body))
}
