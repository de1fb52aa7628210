//! The PSIRT portfolio: the products (builds of each ECU) the reader may
//! see, the findings per vulnerability across them by severity with their
//! KEV and EPSS flags, VEX decisions and the vehicles that run an affected
//! build, and one build's findings with evidence. The portfolio is the one
//! the API's findings list pages (`portfolio.rs`), read once whole, and a
//! build's findings come from the API's handler, so the page and the API
//! cannot count differently.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use keelson_core::Severity;
use maud::{Markup, html};
use serde::Deserialize;

use super::alerts::PAGE_ROWS;
use super::chart;
use super::layout::{Section, page};
use super::{ForViewer, PageResult, Viewer, format};
use crate::AppState;
use crate::api::findings::build_findings;
use crate::clearance::visible_only;
use crate::error::ApiPath;
use crate::portfolio::{PortfolioEntry, portfolio};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/psirt", get(overview))
        .route("/psirt/builds/{id}", get(build))
}

/// Which slice of the findings table the page shows.
#[derive(Debug, Default, Deserialize)]
pub struct FindingsPage {
    /// Zero-based page of `PAGE_ROWS` vulnerabilities, worst first.
    page: Option<usize>,
}

async fn overview(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(shown): Query<FindingsPage>,
) -> PageResult {
    let builds = visible_only(
        &viewer.caller,
        state.store.list_builds().await.shown_to(&viewer)?,
    );
    let portfolio = portfolio(&state, &viewer.caller).await.shown_to(&viewer)?;
    let mut entries: Vec<&PortfolioEntry> = portfolio.iter().collect();
    entries.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.kev.cmp(&a.kev))
            .then(b.vehicles_affected.cmp(&a.vehicles_affected))
    });
    let mut findings_of: HashMap<&str, u64> = HashMap::new();
    for build in entries.iter().flat_map(|entry| &entry.builds) {
        *findings_of.entry(build.as_str()).or_default() += 1;
    }
    let body = html! {
        section.stats aria-label="Findings summary" {
            (stat(builds.len(), "builds"))
            (stat(entries.len(), "vulnerabilities found"))
            (stat(entries.iter().filter(|e| e.kev).count(), "known exploited (KEV)"))
            (stat(entries.iter().filter(|e| e.severity == Some(Severity::Critical)).count(), "critical"))
        }
        div.grid {
            section.panel aria-labelledby="by-severity" {
                h2 #by-severity { "Findings by severity" }
                (chart::bars(420.0, "Vulnerabilities per severity", &by_severity(&entries), "#8e1b1b"))
            }
            section.panel.span2 aria-labelledby="products" {
                h2 #products { "Products and builds" }
                (build_table(&builds, &findings_of))
            }
            section.panel.wide aria-labelledby="findings" {
                h2 #findings { "Findings" }
                (finding_table(&entries, shown.page.unwrap_or(0)))
            }
        }
    };
    Ok(page(&viewer, Section::Portfolio, "PSIRT portfolio", body))
}

fn stat(value: usize, label: &str) -> Markup {
    html! { div.stat { span.value { (value) } span.label { (label) } } }
}

fn by_severity(entries: &[&PortfolioEntry]) -> Vec<(String, u64)> {
    let mut counts: Vec<(String, u64)> = Severity::ALL
        .iter()
        .rev()
        .map(|severity| {
            let count = entries
                .iter()
                .filter(|e| e.severity == Some(*severity))
                .count();
            (severity.as_str().to_owned(), count as u64)
        })
        .collect();
    let unscored = entries.iter().filter(|e| e.severity.is_none()).count() as u64;
    counts.push(("unscored".to_owned(), unscored));
    counts
}

fn build_table(
    builds: &[keelson_store::fleet::SoftwareBuild],
    findings_of: &HashMap<&str, u64>,
) -> Markup {
    html! {
        div.scroll { table {
            thead { tr { th scope="col" { "Build" } th scope="col" { "ECU" } th scope="col" { "Firmware" } th scope="col" { "Findings" } th scope="col" { "TLP" } } }
            tbody {
                @for build in builds {
                    tr {
                        td { a href={ "/psirt/builds/" (build.id) } { (build.id) } }
                        td { (build.ecu) }
                        td { (build.firmware_version) }
                        td { (findings_of.get(build.id.as_str()).copied().unwrap_or(0)) }
                        td { (format::tlp(&build.marking)) }
                    }
                }
            }
        } }
    }
}

/// One page of the vulnerabilities, worst first, with links to the pages
/// beside it.
fn finding_table(entries: &[&PortfolioEntry], page_number: usize) -> Markup {
    let pages = entries.len().div_ceil(PAGE_ROWS);
    let shown = entries.iter().skip(page_number * PAGE_ROWS).take(PAGE_ROWS);
    html! {
        @if pages > 1 {
            nav.actions aria-label="Pages of findings" {
                @if page_number > 0 { a href={ "/psirt?page=" (page_number - 1) "#findings" } { "Previous page" } }
                span.muted { "Page " (page_number + 1) " of " (pages) }
                @if page_number + 1 < pages { a href={ "/psirt?page=" (page_number + 1) "#findings" } { "Next page" } }
            }
        }
        @if entries.is_empty() {
            p.muted { "No finding: no attached SBOM matches the knowledge base." }
        } @else {
            div.scroll { table {
                thead { tr {
                    th scope="col" { "Vulnerability" } th scope="col" { "Severity" } th scope="col" { "Flags" }
                    th scope="col" { "Builds" } th scope="col" { "Vehicles affected" } th scope="col" { "VEX" }
                } }
                tbody {
                    @for entry in shown {
                        tr {
                            td { (entry.vulnerability) @if !entry.aliases.is_empty() { br; span.muted { (entry.aliases.join(", ")) } } }
                            td { (format::maybe_severity(entry.severity)) }
                            td { (flags(entry.kev, entry.epss)) }
                            td {
                                @for (index, build) in entry.builds.iter().enumerate() {
                                    @if index > 0 { ", " }
                                    a href={ "/psirt/builds/" (build) } { (build) }
                                }
                            }
                            td { (entry.vehicles_affected) }
                            td {
                                @for (build, status) in &entry.vex { (build) ": " (status.replace('_', " ")) br; }
                            }
                        }
                    }
                }
            } }
        }
    }
}

fn flags(kev: bool, epss: Option<f64>) -> Markup {
    html! {
        @if kev { span.badge.flag title="Listed in CISA's Known Exploited Vulnerabilities catalogue" { "KEV" } " " }
        @if let Some(epss) = epss { span.badge.state title="EPSS probability of exploitation" { "EPSS " (format!("{:.1}", epss * 100.0)) "%" } }
    }
}

async fn build(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let Json(report) = build_findings(State(state), viewer.caller.clone(), ApiPath(id.clone()))
        .await
        .shown_to(&viewer)?;
    let body = html! {
        p.muted { (report.total) " findings; vehicles currently running this build: "
            (report.items.first().map(|item| item.vehicles_affected).unwrap_or(0)) "." }
        div.scroll { table {
            thead { tr {
                th scope="col" { "Vulnerability" } th scope="col" { "Component" } th scope="col" { "Severity" }
                th scope="col" { "Flags" } th scope="col" { "VEX" } th scope="col" { "Matched by" }
            } }
            tbody {
                @for item in &report.items {
                    @let finding = &item.finding;
                    tr {
                        td { (finding.vulnerability) }
                        td { (finding.name) " " (finding.version) }
                        td { (format::maybe_severity(finding.severity)) }
                        td { (flags(finding.kev, finding.epss)) }
                        td { @match &item.vex { Some(vex) => (vex.status.replace('_', " ")), None => span.muted { "undecided" } } }
                        td { code { (finding.purl.as_deref().or(finding.cpe.as_deref()).unwrap_or("—")) } }
                    }
                }
            }
        } }
        @if !report.warnings.is_empty() {
            h2 { "Not judged" }
            p.muted { (report.warnings.len()) " components could not be judged by the matcher." }
        }
    };
    Ok(page(
        &viewer,
        Section::Portfolio,
        &format!("Build {id}"),
        body,
    ))
}
