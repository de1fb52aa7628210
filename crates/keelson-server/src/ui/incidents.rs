//! The incident list with filters and the incident page: the response
//! timeline (state stamps, containment, comments), the playbook runs with
//! each step's actor, time and outcome (and a form to settle a pending
//! manual step), the evidence files with their digests and a download
//! link, the attack timeline of cited events, the alerts as evidence, and
//! the forms that move the incident, comment on it, record containment and
//! escalate it to a PSIRT case. Every form posts to a handler here that calls the API's own
//! handler with the reader as caller, so roles, clearance and validation
//! are the API's.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json};
use keelson_core::{IncidentState, Severity};
use keelson_store::evidence::EvidenceItem;
use keelson_store::incidents::{IncidentFilter, IncidentRecord};
use keelson_store::playbooks::{MANUAL, PlaybookRun, RunStep, StepState};
use keelson_store::readable::Readable;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::alerts::{PAGE_ROWS, alert_table, encode_pairs, page_start, pager};
use super::layout::{Section, page};
use super::{ForViewer, PageResult, UiError, Viewer, format};
use crate::AppState;
use crate::api::evidence::list_evidence;
use crate::api::incident_response::{self, ContainmentInput, EscalationInput};
use crate::api::incidents::{self as api, CommentInput, IncidentDetail, IncidentTransition};
use crate::api::playbooks::{StepInput, StepStateInput, list_runs, settle_step};
use crate::error::{ApiJson, ApiPath};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/incidents", get(list))
        .route("/incidents/{id}", get(detail))
        .route("/incidents/{id}/transition", post(transition))
        .route("/incidents/{id}/comment", post(comment))
        .route("/incidents/{id}/containment", post(containment))
        .route("/incidents/{id}/escalate", post(escalate))
        .route(
            "/incidents/{id}/playbook-runs/{run}/steps/{step}",
            post(settle),
        )
}

#[derive(Debug, Default, Deserialize)]
pub struct IncidentFilters {
    /// A response state, or `open` for every state still being worked.
    state: Option<String>,
    severity: Option<String>,
    rule: Option<String>,
    /// Where the page starts: the `next` cursor of the page before.
    after: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filters): Query<IncidentFilters>,
) -> PageResult {
    let wanted = format::non_empty(filters.state.clone());
    let filter = IncidentFilter {
        state: wanted
            .as_deref()
            .and_then(|s| s.parse::<IncidentState>().ok()),
        open_only: wanted.as_deref() == Some("open"),
        severity: filters
            .severity
            .as_deref()
            .and_then(|s| s.parse::<Severity>().ok()),
        sigma_rule: format::non_empty(filters.rule.clone()),
        ..IncidentFilter::default()
    };
    let reader = Readable::by(&viewer.caller.principal);
    let after = page_start(filters.after.as_deref()).shown_to(&viewer)?;
    let first_page = after.is_none();
    let store = &state.store;
    let shown = store
        .incident_page(&filter, &reader, after, PAGE_ROWS)
        .await
        .shown_to(&viewer)?;
    let matching = store
        .count_incidents(&filter, &reader)
        .await
        .shown_to(&viewer)?;
    let query = encode_pairs(&[
        ("state", &filters.state),
        ("severity", &filters.severity),
        ("rule", &filters.rule),
    ]);
    let body = html! {
        (filter_form(&filters))
        p.muted { (format::capped(matching)) " incidents match." }
        (incident_table(shown.items.iter()))
        (pager("/incidents", &query, first_page, shown.next.as_ref()))
    };
    Ok(page(&viewer, Section::Incidents, "Incidents", body))
}

fn filter_form(filters: &IncidentFilters) -> Markup {
    let state = filters.state.as_deref();
    let severity = filters.severity.as_deref();
    html! {
        form.filters method="get" action="/incidents" data-autosubmit aria-label="Filter incidents" {
            div.field {
                label for="f-state" { "State" }
                select #f-state name="state" {
                    (format::option("", "any", state))
                    (format::option("open", "open (not resolved)", state))
                    @for one in IncidentState::ALL {
                        (format::option(one.as_str(), &one.as_str().replace('_', " "), state))
                    }
                }
            }
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
                label for="f-rule" { "Sigma rule" }
                input #f-rule name="rule" type="text" value=[filters.rule.as_deref()];
            }
            button type="submit" { "Filter" }
        }
    }
}

pub fn incident_table<'a>(incidents: impl Iterator<Item = &'a IncidentRecord>) -> Markup {
    html! {
        div.scroll { table {
            thead { tr {
                th scope="col" { "Incident" } th scope="col" { "Severity" } th scope="col" { "State" }
                th scope="col" { "Owner" } th scope="col" { "TLP" } th scope="col" { "Detected" } th scope="col" { "Last seen" }
            } }
            tbody {
                @for incident in incidents {
                    tr {
                        td { a href={ "/incidents/" (incident.id) } { (incident.title) } }
                        td { (format::severity(incident.severity)) }
                        td { (format::state(incident.state.as_str())) }
                        td { (incident.owner.as_deref().unwrap_or("—")) }
                        td { (format::tlp(&incident.marking)) }
                        td { (format::time(&incident.detected)) }
                        td { (format::time(&incident.last_seen)) }
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
    let caller = viewer.caller.clone();
    let Json(detail) = api::get_incident(State(state.clone()), caller.clone(), ApiPath(id.clone()))
        .await
        .shown_to(&viewer)?;
    let Json(attack) = api::timeline(State(state.clone()), caller.clone(), ApiPath(id.clone()))
        .await
        .shown_to(&viewer)?;
    let Json(runs) = list_runs(State(state.clone()), caller.clone(), ApiPath(id.clone()))
        .await
        .shown_to(&viewer)?;
    let evidence = if caller.user.role.is_internal() {
        let Json(listed) = list_evidence(State(state), caller, ApiPath(id))
            .await
            .shown_to(&viewer)?;
        Some(listed.items)
    } else {
        None
    };
    let incident = &detail.incident;
    let body = html! {
        div.cols {
            section.panel aria-labelledby="summary" {
                h2 #summary { "Summary" }
                (summary(&detail))
            }
            section.panel aria-labelledby="response" {
                h2 #response { "Response timeline" }
                (response_timeline(&detail))
            }
        }
        div.cols {
            section.panel aria-labelledby="move" {
                h2 #move { "Move" }
                (move_form(&viewer, &detail))
            }
            section.panel aria-labelledby="contain" {
                h2 #contain { "Containment" }
                (containment_section(&viewer, &detail))
            }
        }
        section.panel aria-labelledby="escalation" {
            h2 #escalation { "Escalation to the PSIRT" }
            (escalation_section(&viewer, &detail))
        }
        section.panel aria-labelledby="runs" {
            h2 #runs { "Playbook runs" }
            (playbook_runs(&viewer, &runs))
        }
        section.panel aria-labelledby="files" {
            h2 #files { "Evidence files" }
            @match &evidence {
                Some(items) => (evidence_table(items)),
                None => p.muted { "Evidence files are shown to internal roles only." },
            }
        }
        section.panel aria-labelledby="attack" {
            h2 #attack { "Attack timeline (cited events)" }
            (attack_timeline(&attack))
        }
        section.panel aria-labelledby="evidence" {
            h2 #evidence { "Alerts (" (detail.alerts.len()) ")" }
            (alert_table(detail.alerts.iter()))
        }
        section.panel aria-labelledby="comments" {
            h2 #comments { "Comments" }
            (comments(&viewer, &detail))
        }
    };
    Ok(page(&viewer, Section::Incidents, &incident.title, body))
}

fn summary(detail: &IncidentDetail) -> Markup {
    let incident = &detail.incident;
    let times = &incident.response_times;
    html! {
        dl.facts {
            dt { "State" } dd { (format::state(incident.state.as_str())) }
            dt { "Severity" } dd { (format::severity(incident.severity)) }
            dt { "Marking" } dd { (format::tlp(&incident.marking)) }
            dt { "Sigma rule" } dd { (incident.sigma_rule) }
            dt { "Owner" } dd { (incident.owner.as_deref().unwrap_or("—")) }
            dt { "Vehicles" } dd {
                (detail.scope.vehicles_affected) ": "
                @for (index, vehicle) in detail.scope.vehicle_ids.iter().enumerate() {
                    @if index > 0 { ", " }
                    a href={ "/vehicles/" (vehicle) } { (vehicle) }
                }
            }
            dt { "Builds" } dd { (detail.scope.build_ids.join(", ")) }
            dt { "Regions" } dd { (detail.scope.regions.join(", ")) }
            dt { "Time to detect" } dd { (format::duration_us(times.time_to_detect_us)) }
            dt { "Time to acknowledge" } dd { (format::maybe_duration(times.time_to_acknowledge_us)) }
            dt { "Time to contain" } dd { (format::maybe_duration(times.time_to_contain_us)) }
            dt { "Time to resolve" } dd { (format::maybe_duration(times.time_to_resolve_us)) }
        }
    }
}

/// The stamps, containment notes and comments in time order.
fn response_timeline(detail: &IncidentDetail) -> Markup {
    let incident = &detail.incident;
    let mut entries: Vec<(String, String)> = vec![
        (incident.first_event.clone(), "First event cited".to_owned()),
        (incident.detected.clone(), "Detected".to_owned()),
    ];
    let stamps = [
        (&incident.acknowledged, "Acknowledged"),
        (&incident.investigating, "Investigating"),
        (&incident.contained, "Contained"),
        (&incident.resolved, "Resolved"),
        (&incident.false_positive, "Marked false positive"),
    ];
    for (at, what) in stamps {
        if let Some(at) = at {
            entries.push((at.clone(), what.to_owned()));
        }
    }
    for note in &detail.containment {
        entries.push((
            note.recorded_at.clone(),
            format!("Containment by {}: {}", note.recorded_by, note.action),
        ));
    }
    for comment in &detail.comments {
        entries.push((comment.at.clone(), format!("Comment by {}", comment.author)));
    }
    if let Some(escalation) = &detail.escalation {
        entries.push((
            escalation.escalated_at.clone(),
            format!("Escalated by {}", escalation.escalated_by),
        ));
    }
    entries.sort();
    html! {
        ol.timeline {
            @for (at, what) in &entries {
                li { (format::time(at)) " — " (what) }
            }
        }
    }
}

fn move_form(viewer: &Viewer, detail: &IncidentDetail) -> Markup {
    let id = &detail.incident.id;
    html! {
        @if detail.allowed_transitions.is_empty() {
            p.muted { "The response is finished; no move is left." }
        } @else {
            form method="post" action={ "/incidents/" (id) "/transition" } {
                (format::csrf(viewer))
                div.field {
                    label for="t-to" { "New state" }
                    select #t-to name="to" required {
                        @for state in &detail.allowed_transitions {
                            option value=(state.as_str()) { (state.as_str().replace('_', " ")) }
                        }
                    }
                }
                div.field {
                    label for="t-reason" { "Reason" }
                    input #t-reason name="reason" type="text" required;
                }
                button type="submit" { "Move" }
            }
        }
    }
}

fn containment_section(viewer: &Viewer, detail: &IncidentDetail) -> Markup {
    let id = &detail.incident.id;
    html! {
        @if detail.containment.is_empty() {
            p.muted { "No containment recorded." }
        } @else {
            ul {
                @for note in &detail.containment {
                    li {
                        strong { (note.action) } " — " (note.scope) " "
                        span.muted { "by " (note.recorded_by) ", " (format::time(&note.recorded_at))
                            @if let Some(expires) = &note.expires_at { ", until " (format::time(expires)) } }
                    }
                }
            }
        }
        form method="post" action={ "/incidents/" (id) "/containment" } {
            (format::csrf(viewer))
            div.field {
                label for="c-action" { "Action taken" }
                input #c-action name="action" type="text" required;
            }
            div.field {
                label for="c-scope" { "Scope" }
                input #c-scope name="scope" type="text" required placeholder="vehicles, region, build";
            }
            div.field {
                label for="c-expires" { "Lift at (UTC, optional)" }
                input #c-expires name="expires_at" type="datetime-local";
            }
            button type="submit" { "Record containment" }
        }
    }
}

fn escalation_section(viewer: &Viewer, detail: &IncidentDetail) -> Markup {
    let id = &detail.incident.id;
    html! {
        @if let Some(escalation) = &detail.escalation {
            p.ok {
                "Escalated by " (escalation.escalated_by) " on " (format::time(&escalation.escalated_at))
                " to " a href={ "/cases/" (escalation.case_id) } { "case " (escalation.case_id) } "."
            }
        } @else {
            p { "Opens a PSIRT case with this incident's severity, marking and builds, and hands over the summary, the log references and the containment above." }
            form method="post" action={ "/incidents/" (id) "/escalate" } {
                (format::csrf(viewer))
                div.cols {
                    div.field {
                        label for="e-title" { "Case title (optional)" }
                        input #e-title name="title" type="text" placeholder={ "Escalated: " (detail.incident.title) };
                    }
                    div.field {
                        label for="e-cvss" { "Provisional CVSS vector (optional)" }
                        input #e-cvss name="cvss_vector" type="text" placeholder="CVSS:3.1/AV:A/AC:L/…";
                    }
                    div.field {
                        label for="e-usage" { "Usage pattern (optional)" }
                        input #e-usage name="usage_pattern" type="text";
                    }
                    div.field {
                        label for="e-impact" { "Driver-visible impact (optional)" }
                        input #e-impact name="driver_visible_impact" type="text";
                    }
                }
                div.field {
                    label for="e-notes" { "Notes for the PSIRT" }
                    textarea #e-notes name="notes" {}
                }
                button type="submit" { "Escalate to a PSIRT case" }
            }
        }
    }
}

fn playbook_runs(viewer: &Viewer, runs: &[PlaybookRun]) -> Markup {
    html! {
        @if runs.is_empty() {
            p.muted { "No playbook ran on this incident." }
        }
        @for run in runs {
            article.card aria-labelledby={ "run-" (run.id) } {
                h3 id={ "run-" (run.id) } {
                    (run.playbook_id) " v" (run.playbook_version) " " (format::state(&run.state))
                }
                p.muted { "Started by " (run.started_by) ", " (format::time(&run.started_at)) }
                (run_steps(viewer, run))
            }
        }
    }
}

fn run_steps(viewer: &Viewer, run: &PlaybookRun) -> Markup {
    html! {
        div.scroll { table {
            thead { tr {
                th scope="col" { "Step" } th scope="col" { "Kind" } th scope="col" { "State" }
                th scope="col" { "Who" } th scope="col" { "When" } th scope="col" { "Outcome" }
            } }
            tbody {
                @for step in &run.steps {
                    tr {
                        td { (step.position) ". " (step.title) }
                        td { (step.kind) }
                        td { (format::state(step.state.as_str())) }
                        td { (step.actor.as_deref().unwrap_or("—")) }
                        td { (format::maybe_time(step.at.as_deref())) }
                        td {
                            (step.detail.as_deref().unwrap_or(""))
                            @if step.kind == MANUAL && step.state == StepState::Pending {
                                (settle_form(viewer, run, step))
                            }
                        }
                    }
                }
            }
        } }
    }
}

/// The form that settles a pending manual step with an outcome and a note.
fn settle_form(viewer: &Viewer, run: &PlaybookRun, step: &RunStep) -> Markup {
    let field = format!("s-{}-{}", run.id, step.position);
    html! {
        form method="post" action={ "/incidents/" (run.incident_id) "/playbook-runs/" (run.id) "/steps/" (step.step_id) } {
            (format::csrf(viewer))
            div.field {
                label for={ (field) "-outcome" } { "Outcome" }
                select id={ (field) "-outcome" } name="outcome" required {
                    option value="done" { "done" }
                    option value="skipped" { "skipped" }
                    option value="failed" { "failed" }
                }
            }
            div.field {
                label for={ (field) "-note" } { "What was done or found" }
                input id={ (field) "-note" } name="note" type="text" required;
            }
            button type="submit" { "Settle step" }
        }
    }
}

fn evidence_table(items: &[EvidenceItem]) -> Markup {
    html! {
        @if items.is_empty() {
            p.muted { "No file is attached." }
        } @else {
            div.scroll { table {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Kind" } th scope="col" { "Size" }
                    th scope="col" { "SHA-256" } th scope="col" { "Uploaded" } th scope="col" { "File" }
                } }
                tbody {
                    @for item in items {
                        tr {
                            td { (item.name) }
                            td { (item.kind) }
                            td { (item.size) " bytes" }
                            td { code.digest { (item.sha256) } }
                            td { (item.uploaded_by) ", " (format::time(&item.uploaded_at)) }
                            td { a href={ "/api/v1/incidents/" (item.incident_id) "/evidence/" (item.id) "/content" } download=(item.name) { "Download" } }
                        }
                    }
                }
            } }
        }
    }
}

fn attack_timeline(timeline: &Value) -> Markup {
    let entries = timeline.as_array().map(Vec::as_slice).unwrap_or_default();
    let text = |entry: &Value, key: &str| entry[key].as_str().unwrap_or("—").to_owned();
    html! {
        @if entries.is_empty() {
            p.muted { "No cited event is stored." }
        } @else {
            div.scroll { table {
                thead { tr {
                    th scope="col" { "Time" } th scope="col" { "Clock" } th scope="col" { "Vehicle" }
                    th scope="col" { "ECU" } th scope="col" { "Source" } th scope="col" { "Kind" }
                } }
                tbody {
                    @for entry in entries.iter().take(200) {
                        tr {
                            td { (format::time(&text(entry, "at"))) }
                            td { (text(entry, "clock")) }
                            td { (text(entry, "vehicle_id")) }
                            td { (text(entry, "ecu")) }
                            td { (text(entry, "source")) }
                            td { (text(entry, "kind")) }
                        }
                    }
                }
            } }
            @if entries.len() > 200 { p.muted { "The first 200 of " (entries.len()) " events." } }
        }
    }
}

fn comments(viewer: &Viewer, detail: &IncidentDetail) -> Markup {
    let id = &detail.incident.id;
    html! {
        @for comment in &detail.comments {
            article.card {
                p.muted { (comment.author) ", " (format::time(&comment.at)) }
                p { (comment.body) }
            }
        }
        form method="post" action={ "/incidents/" (id) "/comment" } {
            (format::csrf(viewer))
            div.field {
                label for="m-body" { "Comment" }
                textarea #m-body name="body" required {}
            }
            button type="submit" { "Add comment" }
        }
    }
}

#[derive(Debug, Deserialize)]
struct TransitionForm {
    csrf_token: String,
    to: IncidentState,
    reason: String,
}

async fn transition(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<TransitionForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    let input = IncidentTransition {
        to: form.to,
        reason: form.reason,
    };
    let _moved = api::transition(
        State(state),
        viewer.caller.clone(),
        ApiPath(id.clone()),
        ApiJson(input),
    )
    .await
    .shown_to(&viewer)?;
    Ok(back_to(&id))
}

#[derive(Debug, Deserialize)]
struct CommentForm {
    csrf_token: String,
    body: String,
}

async fn comment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<CommentForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    let input = CommentInput { body: form.body };
    let _comment = api::add_comment(
        State(state),
        viewer.caller.clone(),
        ApiPath(id.clone()),
        ApiJson(input),
    )
    .await
    .shown_to(&viewer)?;
    Ok(back_to(&id))
}

#[derive(Debug, Deserialize)]
struct ContainmentForm {
    csrf_token: String,
    action: String,
    scope: String,
    #[serde(default)]
    expires_at: String,
}

async fn containment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<ContainmentForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    let input = ContainmentInput {
        action: form.action,
        scope: form.scope,
        expires_at: local_time_as_utc(&form.expires_at),
    };
    let _recorded = incident_response::add_containment(
        State(state),
        viewer.caller.clone(),
        ApiPath(id.clone()),
        ApiJson(input),
    )
    .await
    .shown_to(&viewer)?;
    Ok(back_to(&id))
}

/// A `datetime-local` value ("2026-12-05T10:00"), read as UTC, in RFC 3339;
/// anything else is passed on for the API to refuse with its reason.
fn local_time_as_utc(text: &str) -> Option<String> {
    let text = text.trim();
    match text.len() {
        0 => None,
        16 => Some(format!("{text}:00Z")),
        19 => Some(format!("{text}Z")),
        _ => Some(text.to_owned()),
    }
}

#[derive(Debug, Deserialize)]
struct EscalationForm {
    csrf_token: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    cvss_vector: String,
    #[serde(default)]
    usage_pattern: String,
    #[serde(default)]
    driver_visible_impact: String,
    #[serde(default)]
    notes: String,
}

async fn escalate(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<EscalationForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    let given = |text: String| Some(text).filter(|text| !text.trim().is_empty());
    let input = EscalationInput {
        title: given(form.title),
        cvss_vector: given(form.cvss_vector),
        vulnerability_ids: Vec::new(),
        usage_pattern: given(form.usage_pattern),
        driver_visible_impact: given(form.driver_visible_impact),
        notes: given(form.notes),
    };
    let (_, Json(answer)) = incident_response::escalate(
        State(state),
        viewer.caller.clone(),
        ApiPath(id),
        ApiJson(input),
    )
    .await
    .shown_to(&viewer)?;
    Ok(Redirect::to(&format!("/cases/{}", answer.case.id)).into_response())
}

#[derive(Debug, Deserialize)]
struct SettleForm {
    csrf_token: String,
    outcome: StepStateInput,
    note: String,
}

async fn settle(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, run, step)): Path<(String, String, String)>,
    Form(form): Form<SettleForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    let input = StepInput {
        outcome: form.outcome,
        note: form.note,
    };
    let _settled = settle_step(
        State(state),
        viewer.caller.clone(),
        ApiPath((id.clone(), run, step)),
        ApiJson(input),
    )
    .await
    .shown_to(&viewer)?;
    Ok(back_to(&id))
}

fn back_to(id: &str) -> Response {
    Redirect::to(&format!("/incidents/{id}")).into_response()
}
