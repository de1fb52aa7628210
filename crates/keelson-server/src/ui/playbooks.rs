//! The playbook list (ID, title, version, bindings, number of steps), read
//! through the API's list handler with the reader as caller, so only
//! internal roles see it, as in the API. An incident's runs and evidence
//! are drawn on the incident page (see `incidents`).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use maud::{Markup, html};
use serde_json::Value;

use super::layout::{Section, page};
use super::{ForViewer, PageResult, Viewer, format};
use crate::AppState;
use crate::api::playbooks::{PlaybookSummary, list_playbooks};

pub fn routes() -> Router<AppState> {
    Router::new().route("/playbooks", get(playbooks))
}

async fn playbooks(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let Json(listed) = list_playbooks(State(state), viewer.caller.clone())
        .await
        .shown_to(&viewer)?;
    let body = html! {
        p.muted { (listed.total) " playbooks. Import one with " code { "keelson playbooks import" } " or " code { "POST /api/v1/playbooks" } "." }
        (playbook_table(&listed.items))
    };
    Ok(page(&viewer, Section::Playbooks, "Playbooks", body))
}

fn playbook_table(playbooks: &[PlaybookSummary]) -> Markup {
    html! {
        div.scroll { table {
            thead { tr {
                th scope="col" { "ID" } th scope="col" { "Title" } th scope="col" { "Version" }
                th scope="col" { "Bindings" } th scope="col" { "Steps" } th scope="col" { "Updated" }
            } }
            tbody {
                @for playbook in playbooks {
                    tr {
                        td { code { (playbook.id) } }
                        td { (playbook.title) }
                        td { (playbook.version) }
                        td { (bindings(&playbook.bindings)) }
                        td { (playbook.steps) }
                        td { (playbook.updated_by) ", " (format::time(&playbook.updated_at)) }
                    }
                }
            }
        } }
    }
}

/// The bindings as "key: value" pairs, whatever shape they are stored in.
fn bindings(bindings: &Value) -> Markup {
    let pairs: Vec<String> = match bindings {
        Value::Object(map) => map
            .iter()
            .map(|(key, value)| format!("{key}: {}", flat(value)))
            .collect(),
        Value::Array(items) => items.iter().map(flat).collect(),
        other => vec![flat(other)],
    };
    html! {
        @if pairs.is_empty() { span.muted { "none (run by hand)" } }
        @for pair in &pairs { span.badge { (pair) } " " }
    }
}

fn flat(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(flat).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map
            .iter()
            .map(|(key, value)| format!("{key}={}", flat(value)))
            .collect::<Vec<_>>()
            .join(" "),
        Value::Null => "—".to_owned(),
        other => other.to_string(),
    }
}
