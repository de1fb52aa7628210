//! Custom dashboards: each user keeps their own (`keelson_store::dashboards`),
//! a list of widgets, each a chart or a table over a saved query of alerts or
//! incidents. A widget is worked out when the page is drawn, for the viewer
//! as they may read now: a table is the first keyset page of the alert or
//! incident list, a chart the store's counts grouped in SQL per key and
//! marking (`keelson_store::widget_counts`), both narrowed in SQL and
//! decided by the clearance rule, so it never shows what its owner may not
//! read now. Another user's dashboard is answered 404, like a missing one.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use keelson_core::{IncidentState, Severity};
use keelson_store::alerts::AlertFilter;
use keelson_store::dashboards::{Dashboard, GroupBy, QuerySource, SavedQuery, Widget, WidgetKind};
use keelson_store::incidents::IncidentFilter;
use keelson_store::readable::Readable;
use maud::{Markup, html};
use serde::Deserialize;

use super::alerts::{alert_table, days_ago_us};
use super::chart;
use super::incidents::incident_table;
use super::layout::{Section, page};
use super::{ForViewer, PageResult, UiError, Viewer, format};
use crate::AppState;
use crate::error::ApiError;

const TABLE_ROWS: usize = 10;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dashboards", get(list).post(create))
        .route("/dashboards/{id}", get(show))
        .route("/dashboards/{id}/widgets", post(add_widget))
        .route(
            "/dashboards/{id}/widgets/{position}/remove",
            post(remove_widget),
        )
}

async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let boards = state
        .store
        .dashboards_of(viewer.name())
        .await
        .shown_to(&viewer)?;
    let body = html! {
        div.cols {
            section.panel aria-labelledby="mine" {
                h2 #mine { "My dashboards" }
                @if boards.is_empty() { p.muted { "None yet." } }
                ul { @for board in &boards {
                    li { a href={ "/dashboards/" (board.id) } { (board.title) } " " span.muted { "(" (board.widgets.len()) " widgets)" } }
                } }
            }
            section.panel aria-labelledby="new-board" {
                h2 #new-board { "New dashboard" }
                form method="post" action="/dashboards" {
                    (format::csrf(&viewer))
                    div.field { label for="d-title" { "Title" } input #d-title name="title" type="text" required; }
                    button type="submit" { "Create" }
                }
            }
        }
    };
    Ok(page(&viewer, Section::Dashboards, "Dashboards", body))
}

#[derive(Debug, Deserialize)]
struct CreateForm {
    csrf_token: String,
    title: String,
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CreateForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    let board = state
        .store
        .create_dashboard(viewer.name(), &form.title)
        .await
        .shown_to(&viewer)?;
    Ok(Redirect::to(&format!("/dashboards/{}", board.id)).into_response())
}

/// The dashboard if the viewer owns it; otherwise 404.
async fn own_dashboard(state: &AppState, viewer: &Viewer, id: &str) -> Result<Dashboard, UiError> {
    let board = state.store.dashboard(id).await.shown_to(viewer)?;
    board
        .filter(|board| board.owner == viewer.name())
        .ok_or_else(|| {
            UiError::from(ApiError::not_found(format!("dashboard {id}"))).for_viewer(viewer)
        })
}

async fn show(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> PageResult {
    let board = own_dashboard(&state, &viewer, &id).await?;
    let mut widgets = Vec::new();
    for (position, widget) in board.widgets.iter().enumerate() {
        widgets.push((
            position,
            widget,
            render_widget(&state, &viewer, widget).await?,
        ));
    }
    let body = html! {
        div.grid {
            @for (position, widget, drawn) in &widgets {
                section.panel aria-labelledby={ "w-" (position) } {
                    h2 id={ "w-" (position) } { (widget.title) }
                    (drawn)
                    form method="post" action={ "/dashboards/" (board.id) "/widgets/" (position) "/remove" } {
                        (format::csrf(&viewer))
                        button.secondary type="submit" aria-label={ "Remove widget " (widget.title) } { "Remove" }
                    }
                }
            }
            section.panel aria-labelledby="add-widget" {
                h2 #add-widget { "Add a widget" }
                (widget_form(&viewer, &board))
            }
        }
    };
    Ok(page(&viewer, Section::Dashboards, &board.title, body))
}

fn widget_form(viewer: &Viewer, board: &Dashboard) -> Markup {
    let select = |id: &str, name: &str, label: &str, options: &[(&str, &str)]| {
        html! {
            div.field {
                label for=(id) { (label) }
                select id=(id) name=(name) { @for (value, text) in options { option value=(value) { (text) } } }
            }
        }
    };
    let severities: Vec<(&str, &str)> = std::iter::once(("", "any"))
        .chain(Severity::ALL.iter().rev().map(|s| (s.as_str(), s.as_str())))
        .collect();
    let states: Vec<(&str, &str)> = [("", "any"), ("open", "open (not resolved)")]
        .into_iter()
        .chain(IncidentState::ALL.iter().map(|s| (s.as_str(), s.as_str())))
        .collect();
    html! {
        form method="post" action={ "/dashboards/" (board.id) "/widgets" } {
            (format::csrf(viewer))
            div.field { label for="w-title" { "Title" } input #w-title name="title" type="text" required; }
            (select("w-kind", "kind", "Show as", &[("chart", "chart (counts per group)"), ("table", "table (newest first)")]))
            (select("w-source", "source", "Records", &[("alerts", "alerts"), ("incidents", "incidents")]))
            (select("w-group", "group_by", "Chart groups by", &[("severity", "severity"), ("day", "day"), ("rule", "rule"),
                ("vehicle", "vehicle"), ("technique", "ATM technique (alerts)"), ("state", "state (incidents)")]))
            (select("w-severity", "severity", "Severity", &severities))
            (select("w-state", "state", "Incident state", &states))
            div.field { label for="w-rule" { "Rule" } input #w-rule name="rule" type="text"; }
            div.field { label for="w-days" { "Seen within days" } input #w-days name="days" type="text" inputmode="numeric"; }
            button type="submit" { "Add widget" }
        }
    }
}

#[derive(Debug, Deserialize)]
struct WidgetForm {
    csrf_token: String,
    title: String,
    kind: WidgetKind,
    source: QuerySource,
    group_by: GroupBy,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    days: String,
}

impl WidgetForm {
    fn widget(self) -> Result<Widget, ApiError> {
        let given = |text: String| Some(text.trim().to_owned()).filter(|text| !text.is_empty());
        let severity = given(self.severity)
            .map(|text| {
                text.parse::<Severity>()
                    .map_err(|error| ApiError::invalid(format!("severity: {error}")))
            })
            .transpose()?;
        let days = given(self.days)
            .map(|text| {
                text.parse::<u32>()
                    .map_err(|_| ApiError::invalid("days: a whole number of days"))
            })
            .transpose()?;
        Ok(Widget {
            title: self.title,
            kind: self.kind,
            query: SavedQuery {
                source: self.source,
                severity,
                state: given(self.state),
                rule: given(self.rule),
                days,
                group_by: self.group_by,
            },
        })
    }
}

async fn add_widget(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<WidgetForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    own_dashboard(&state, &viewer, &id).await?;
    let widget = form.widget().shown_to(&viewer)?;
    state
        .store
        .add_widget(viewer.name(), &id, widget)
        .await
        .shown_to(&viewer)?;
    Ok(Redirect::to(&format!("/dashboards/{id}")).into_response())
}

#[derive(Debug, Deserialize)]
struct RemoveForm {
    csrf_token: String,
}

async fn remove_widget(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, position)): Path<(String, usize)>,
    Form(form): Form<RemoveForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    own_dashboard(&state, &viewer, &id).await?;
    state
        .store
        .remove_widget(viewer.name(), &id, position)
        .await
        .shown_to(&viewer)?;
    Ok(Redirect::to(&format!("/dashboards/{id}")).into_response())
}

/// A widget's chart or table, from the records the viewer may see now.
async fn render_widget(
    state: &AppState,
    viewer: &Viewer,
    widget: &Widget,
) -> Result<Markup, UiError> {
    let query = &widget.query;
    let since_us = days_ago_us(query.days.map(|days| days.to_string()).as_deref());
    match query.source {
        QuerySource::Alerts => {
            let filter = AlertFilter {
                rule_id: query.rule.clone(),
                severity: query.severity,
                since_us,
                ..AlertFilter::default()
            };
            alert_widget(state, viewer, widget, &filter).await
        }
        QuerySource::Incidents => {
            let filter = IncidentFilter {
                severity: query.severity,
                sigma_rule: query.rule.clone(),
                state: query
                    .state
                    .as_deref()
                    .and_then(|s| s.parse::<IncidentState>().ok()),
                open_only: query.state.as_deref() == Some("open"),
                seen_since_us: since_us,
                ..IncidentFilter::default()
            };
            incident_widget(state, viewer, widget, &filter).await
        }
    }
}

async fn alert_widget(
    state: &AppState,
    viewer: &Viewer,
    widget: &Widget,
    filter: &AlertFilter,
) -> Result<Markup, UiError> {
    let reader = Readable::by(&viewer.caller.principal);
    let store = &state.store;
    Ok(match widget.kind {
        WidgetKind::Table => {
            let page = store.alert_page(filter, &reader, None, TABLE_ROWS);
            alert_table(page.await.shown_to(viewer)?.items.iter())
        }
        WidgetKind::Chart => {
            let group_by = widget.query.group_by;
            let counts = store.alert_counts(filter, group_by, &reader);
            let bars = ordered(counts.await.shown_to(viewer)?, group_by);
            chart::bars(420.0, &widget.title, &bars, "#0b5cad")
        }
    })
}

async fn incident_widget(
    state: &AppState,
    viewer: &Viewer,
    widget: &Widget,
    filter: &IncidentFilter,
) -> Result<Markup, UiError> {
    let reader = Readable::by(&viewer.caller.principal);
    let store = &state.store;
    Ok(match widget.kind {
        WidgetKind::Table => {
            let page = store.incident_page(filter, &reader, None, TABLE_ROWS);
            incident_table(page.await.shown_to(viewer)?.items.iter())
        }
        WidgetKind::Chart => {
            let group_by = widget.query.group_by;
            let counts = store.incident_counts(filter, group_by, &reader);
            let bars = ordered(counts.await.shown_to(viewer)?, group_by);
            chart::bars(420.0, &widget.title, &bars, "#c2410c")
        }
    })
}

/// Days in time order; every other grouping largest first, at most twelve.
fn ordered(counts: BTreeMap<String, u64>, group_by: GroupBy) -> Vec<(String, u64)> {
    let mut items: Vec<(String, u64)> = counts.into_iter().collect();
    if group_by != GroupBy::Day {
        items.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    let skip = if group_by == GroupBy::Day {
        items.len().saturating_sub(12)
    } else {
        0
    };
    items.into_iter().skip(skip).take(12).collect()
}
