//! The vehicle list and the vehicle page: the builds installed on each ECU
//! slot (current and past), its recent events (internal roles, as in the
//! API) and its alerts.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use keelson_store::alerts::AlertFilter;
use keelson_store::readable::Readable;
use keelson_store::telemetry::EventFilter;
use maud::html;
use serde::Deserialize;

use super::alerts::{PAGE_ROWS, alert_table, page_start, pager};
use super::layout::{Section, page};
use super::{ForViewer, PageResult, Viewer, format};
use crate::AppState;
use crate::api::inventory::{BuildsQuery, vehicle_builds};
use crate::clearance::visible;
use crate::error::{ApiPath, ApiQuery};

const RECENT_EVENTS: u64 = 25;
/// The latest alerts the vehicle page shows; the alert list has the rest.
const RECENT_ALERTS: usize = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/vehicles", get(list))
        .route("/vehicles/{id}", get(detail))
}

#[derive(Debug, Default, Deserialize)]
pub struct VehiclePages {
    /// Where the page starts: the `next` cursor of the page before.
    after: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(pages): Query<VehiclePages>,
) -> PageResult {
    let store = &state.store;
    let reader = Readable::by(&viewer.caller.principal);
    let after = page_start(pages.after.as_deref()).shown_to(&viewer)?;
    let first_page = after.is_none();
    let total = store.count_vehicles(&reader).await.shown_to(&viewer)?;
    let vehicles = store
        .vehicle_page(&reader, after, PAGE_ROWS)
        .await
        .shown_to(&viewer)?;
    let ids: Vec<String> = vehicles.items.iter().map(|v| v.id.clone()).collect();
    let alert_count = store
        .alert_counts_of_vehicles(&reader, &ids)
        .await
        .shown_to(&viewer)?;
    let body = html! {
        p.muted { (total) " vehicles." }
        div.scroll { table {
            thead { tr {
                th scope="col" { "Vehicle" } th scope="col" { "Model" } th scope="col" { "Region" }
                th scope="col" { "Alerts" } th scope="col" { "TLP" }
            } }
            tbody {
                @for vehicle in &vehicles.items {
                    tr {
                        td { a href={ "/vehicles/" (vehicle.id) } { (vehicle.id) } }
                        td { (vehicle.model_id.as_deref().unwrap_or("—")) }
                        td { (vehicle.region.as_deref().unwrap_or("—")) }
                        td { (alert_count.get(&vehicle.id).copied().unwrap_or(0)) }
                        td { (format::tlp(&vehicle.marking)) }
                    }
                }
            }
        } }
        (pager("/vehicles", "", first_page, vehicles.next.as_ref()))
    };
    Ok(page(&viewer, Section::Vehicles, "Vehicles", body))
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let store = &state.store;
    let vehicle = store.vehicle(&id).await.shown_to(&viewer)?;
    let vehicle = visible(&viewer.caller, vehicle, &format!("vehicle {id}")).shown_to(&viewer)?;
    let Json(installed) = vehicle_builds(
        State(state.clone()),
        viewer.caller.clone(),
        ApiPath(id.clone()),
        ApiQuery(BuildsQuery { history: true }),
    )
    .await
    .shown_to(&viewer)?;
    let filter = AlertFilter {
        vehicle_id: Some(id.clone()),
        ..AlertFilter::default()
    };
    let reader = Readable::by(&viewer.caller.principal);
    let alerts = store
        .alert_page(&filter, &reader, None, RECENT_ALERTS)
        .await
        .shown_to(&viewer)?;
    let alert_total = store
        .count_alerts(&filter, &reader)
        .await
        .shown_to(&viewer)?;
    let events = match viewer.caller.require_internal() {
        Ok(()) => {
            let filter = EventFilter {
                vehicle_id: Some(id.clone()),
            };
            Some(
                store
                    .list_events(&filter, None, RECENT_EVENTS)
                    .await
                    .shown_to(&viewer)?,
            )
        }
        Err(_) => None,
    };

    let body = html! {
        section.panel {
            dl.facts {
                dt { "Model" } dd { (vehicle.model_id.as_deref().unwrap_or("—")) }
                dt { "Region" } dd { (vehicle.region.as_deref().unwrap_or("—")) }
                dt { "Marking" } dd { (format::tlp(&vehicle.marking)) }
            }
        }
        section.panel aria-labelledby="builds" {
            h2 #builds { "Builds installed" }
            div.scroll { table {
                thead { tr {
                    th scope="col" { "ECU" } th scope="col" { "Build" } th scope="col" { "Installed" }
                    th scope="col" { "Replaced" } th scope="col" { "Source" }
                } }
                tbody {
                    @for installation in &installed.items {
                        tr {
                            td { (installation.ecu_id) }
                            td { a href={ "/psirt/builds/" (installation.build_id) } { (installation.build_id) } }
                            td { (format::time(&installation.installed_at)) }
                            td { @match &installation.removed_at { Some(at) => (format::time(at)), None => strong { "current" } } }
                            td { (installation.source) }
                        }
                    }
                }
            } }
        }
        section.panel aria-labelledby="events" {
            h2 #events { "Recent events" }
            @match &events {
                None => p.muted { "Events are shown to internal roles only." },
                Some(events) => {
                    p.muted { "The newest " (events.items.len()) " of " (events.total) " events." }
                    div.scroll { table {
                        thead { tr { th scope="col" { "Received" } th scope="col" { "Kind" } th scope="col" { "Source" } th scope="col" { "ECU" } th scope="col" { "Build" } } }
                        tbody {
                            @for event in &events.items {
                                tr {
                                    td { (format::time(&event.received_time)) }
                                    td { (event.kind) }
                                    td { (event.source) }
                                    td { (event.ecu.as_deref().unwrap_or("—")) }
                                    td { (event.build_id.as_deref().unwrap_or("—")) }
                                }
                            }
                        }
                    } }
                }
            }
        }
        section.panel aria-labelledby="alerts" {
            h2 #alerts { "Alerts (" (format::capped(alert_total)) ")" }
            (alert_table(alerts.items.iter()))
            @if alerts.next.is_some() {
                p { a href={ "/alerts?vehicle=" (vehicle.id) } { "All alerts of this vehicle" } }
            }
        }
    };
    Ok(page(
        &viewer,
        Section::Vehicles,
        &format!("Vehicle {}", vehicle.id),
        body,
    ))
}
