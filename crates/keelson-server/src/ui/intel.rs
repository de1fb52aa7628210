//! The threat intelligence page: the indicators (name, pattern, validity,
//! TLP) and the attack patterns (Automotive Threat Matrix techniques) the
//! reader may see, read through the API's list handlers with the reader as
//! caller, so a record above the reader's clearance is missing here as it
//! is from the API.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use maud::{Markup, html};

use super::layout::{Section, page};
use super::{ForViewer, PageResult, Viewer, format};
use crate::AppState;
use crate::api::intel::{
    AttackPatternQuery, AttackPatternView, IndicatorQuery, IndicatorView, list_attack_patterns,
    list_indicators,
};
use crate::error::ApiQuery;

pub fn routes() -> Router<AppState> {
    Router::new().route("/intel", get(intel))
}

/// The most records of each kind one page shows (the API's largest page).
const SHOWN: u32 = 1000;

async fn intel(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let indicator_query = IndicatorQuery {
        limit: Some(SHOWN),
        ..IndicatorQuery::default()
    };
    let Json(indicators) = list_indicators(
        State(state.clone()),
        viewer.caller.clone(),
        ApiQuery(indicator_query),
    )
    .await
    .shown_to(&viewer)?;
    let pattern_query = AttackPatternQuery {
        limit: Some(SHOWN),
        ..AttackPatternQuery::default()
    };
    let Json(patterns) =
        list_attack_patterns(State(state), viewer.caller.clone(), ApiQuery(pattern_query))
            .await
            .shown_to(&viewer)?;
    let body = html! {
        section.panel aria-labelledby="indicators" {
            h2 #indicators { "Indicators (" (indicators.total) ")" }
            (indicator_table(&indicators.items))
        }
        section.panel aria-labelledby="patterns" {
            h2 #patterns { "Attack patterns (" (patterns.total) ")" }
            (pattern_table(&patterns.items))
        }
    };
    Ok(page(&viewer, Section::Intel, "Threat intelligence", body))
}

fn indicator_table(indicators: &[IndicatorView]) -> Markup {
    html! {
        @if indicators.is_empty() {
            p.muted { "No indicator you may see is stored." }
        } @else {
            div.scroll { table {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Pattern" } th scope="col" { "Valid from" }
                    th scope="col" { "Valid until" } th scope="col" { "Labels" } th scope="col" { "TLP" }
                } }
                tbody {
                    @for indicator in indicators {
                        tr {
                            td { (indicator.name.as_deref().unwrap_or(&indicator.stix_id)) }
                            td { code { (indicator.pattern) } " " span.muted { (indicator.pattern_type) } }
                            td { (format::time(&indicator.valid_from)) }
                            td { (format::maybe_time(indicator.valid_until.as_deref())) }
                            td { (indicator.labels.join(", ")) }
                            td { (format::tlp(&indicator.marking)) }
                        }
                    }
                }
            } }
        }
    }
}

fn pattern_table(patterns: &[AttackPatternView]) -> Markup {
    html! {
        @if patterns.is_empty() {
            p.muted { "No attack pattern you may see is stored." }
        } @else {
            div.scroll { table {
                thead { tr {
                    th scope="col" { "Technique" } th scope="col" { "Name" } th scope="col" { "Tactic" }
                    th scope="col" { "TLP" }
                } }
                tbody {
                    @for pattern in patterns {
                        tr {
                            td { (pattern.external_id.as_deref().unwrap_or("—")) }
                            td { (pattern.name) }
                            td { (pattern.tactic.as_deref().unwrap_or("—").replace(',', ", ")) }
                            td { (format::tlp(&pattern.marking)) }
                        }
                    }
                }
            } }
        }
    }
}
