//! PSIRT cases: the board (one column per workflow state) and the case
//! page: summary and SLA, the CVSS calculator (composed from CVSS 3.1 base
//! metrics or any vector, scored by `keelson-cvss` on the server) whose
//! result can be saved as the case's vector, the risk determinations per
//! build, the VEX status per build, the escalations that fed the case, the
//! preview of its CSAF advisory, remediation packages with their roll-out
//! phases, compensating controls, workflow moves and comments. Every read
//! and write is the API's handler, run with the reader as caller.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use keelson_core::{BuildStatus, CaseState};
use keelson_store::cases::{Case, CaseFilter};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::layout::{Section, page};
use super::{ForViewer, PageResult, UiError, Viewer, format};
use crate::AppState;
use crate::api::PageQuery;
use crate::api::case_advisory::{AdvisoryQuery, advisory_document};
use crate::api::case_risk::list_risks;
use crate::api::case_work::{self, BuildStatusInput};
use crate::api::cases::{self as api, CaseDetail, CasePatch, TransitionInput};
use crate::api::incident_response::{CaseEscalation, case_escalations};
use crate::api::remediation::{list_controls, list_packages};
use crate::clearance::visible_only;
use crate::error::{ApiJson, ApiPath, ApiQuery};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases", get(board))
        .route("/cases/{id}", get(detail))
        .route("/cases/{id}/cvss", post(save_cvss))
        .route("/cases/{id}/transition", post(transition))
        .route("/cases/{id}/comment", post(comment))
        .route("/cases/{id}/builds/{build}", post(build_status))
}

async fn board(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let cases = state
        .store
        .list_cases(&CaseFilter::default())
        .await
        .shown_to(&viewer)?;
    let cases = visible_only(&viewer.caller, cases);
    let body = html! {
        p.muted { (cases.len()) " cases." }
        div.board {
            @for column in CaseState::ALL {
                @let in_column: Vec<&Case> = cases.iter().filter(|case| case.state == *column).collect();
                section.column aria-labelledby={ "col-" (column.as_str()) } {
                    h2 id={ "col-" (column.as_str()) } { (column.as_str().replace('_', " ")) " (" (in_column.len()) ")" }
                    @for case in in_column {
                        a.card href={ "/cases/" (case.id) } {
                            strong { (case.title) } br;
                            (format::severity(case.severity)) " " (format::tlp(&case.marking))
                            @if let Some(due) = &case.due_at { br; span.muted { "due " (format::time(due)) } }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&viewer, Section::Cases, "Case board", body))
}

/// The calculator's inputs: CVSS 3.1 base metrics, or a whole vector.
#[derive(Debug, Default, Deserialize)]
struct CvssQuery {
    vector: Option<String>,
    av: Option<String>,
    ac: Option<String>,
    pr: Option<String>,
    ui: Option<String>,
    s: Option<String>,
    c: Option<String>,
    i: Option<String>,
    a: Option<String>,
}

/// A CVSS 3.1 base metric: its key, its name and its values with their names.
type Metric = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const METRICS: [Metric; 8] = [
    (
        "av",
        "Attack vector",
        &[
            ("N", "network"),
            ("A", "adjacent"),
            ("L", "local"),
            ("P", "physical"),
        ],
    ),
    ("ac", "Attack complexity", &[("L", "low"), ("H", "high")]),
    (
        "pr",
        "Privileges required",
        &[("N", "none"), ("L", "low"), ("H", "high")],
    ),
    (
        "ui",
        "User interaction",
        &[("N", "none"), ("R", "required")],
    ),
    ("s", "Scope", &[("U", "unchanged"), ("C", "changed")]),
    (
        "c",
        "Confidentiality",
        &[("H", "high"), ("L", "low"), ("N", "none")],
    ),
    (
        "i",
        "Integrity",
        &[("H", "high"), ("L", "low"), ("N", "none")],
    ),
    (
        "a",
        "Availability",
        &[("H", "high"), ("L", "low"), ("N", "none")],
    ),
];

impl CvssQuery {
    fn metric(&self, key: &str) -> Option<&str> {
        let value = match key {
            "av" => &self.av,
            "ac" => &self.ac,
            "pr" => &self.pr,
            "ui" => &self.ui,
            "s" => &self.s,
            "c" => &self.c,
            "i" => &self.i,
            _ => &self.a,
        };
        value.as_deref().filter(|value| !value.is_empty())
    }

    /// The vector asked for: the text field, else the eight metrics.
    fn asked(&self) -> Option<String> {
        if let Some(vector) = format::non_empty(self.vector.clone()) {
            return Some(vector.trim().to_owned());
        }
        let parts: Option<Vec<String>> = METRICS
            .iter()
            .map(|(key, _, _)| {
                self.metric(key)
                    .map(|value| format!("{}:{value}", key.to_ascii_uppercase()))
            })
            .collect();
        parts.map(|parts| format!("CVSS:3.1/{}", parts.join("/")))
    }
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(cvss): Query<CvssQuery>,
) -> PageResult {
    let caller = viewer.caller.clone();
    let path = || ApiPath(id.clone());
    let Json(detail) = api::get_case(State(state.clone()), caller.clone(), path())
        .await
        .shown_to(&viewer)?;
    let Json(risks) = list_risks(
        State(state.clone()),
        caller.clone(),
        path(),
        ApiQuery(PageQuery::default()),
    )
    .await
    .shown_to(&viewer)?;
    let Json(escalations) = case_escalations(State(state.clone()), caller.clone(), path())
        .await
        .shown_to(&viewer)?;
    let Json(packages) = list_packages(
        State(state.clone()),
        caller.clone(),
        path(),
        ApiQuery(PageQuery::default()),
    )
    .await
    .shown_to(&viewer)?;
    let Json(controls) = list_controls(
        State(state.clone()),
        caller.clone(),
        path(),
        ApiQuery(PageQuery::default()),
    )
    .await
    .shown_to(&viewer)?;
    let advisory = advisory_document(
        State(state),
        caller,
        path(),
        ApiQuery(AdvisoryQuery { revision: None }),
    )
    .await
    .map(|Json(document)| document)
    .map_err(|refusal| refusal.message);

    let case = &detail.case;
    let body = html! {
        div.cols {
            section.panel aria-labelledby="summary" { h2 #summary { "Summary" } (summary(case)) }
            section.panel aria-labelledby="cvss" { h2 #cvss { "CVSS calculator" } (calculator(&viewer, case, &cvss)) }
        }
        div.cols {
            section.panel aria-labelledby="vex" { h2 #vex { "VEX status per build" } (vex_status(&viewer, &detail)) }
            section.panel aria-labelledby="risk" {
                h2 #risk { "Risk (ISO/SAE 21434)" }
                @if risks.items.is_empty() { p.muted { "No risk determined yet (API: PUT /api/v1/cases/" (case.id) "/builds/BUILD/risk, or keelson cases risk)." } }
                @for risk in &risks.items {
                    p { strong { (risk.build_id) } ": risk value " strong { (risk.determination.risk_value) } " of 5, feasibility "
                        (format!("{:?}", risk.determination.feasibility_rating).to_lowercase())
                        span.muted { " — " (risk.assessed_by) ", " (format::time(&risk.assessed_at)) } }
                }
            }
        }
        @if !escalations.is_empty() {
            section.panel aria-labelledby="escalations" { h2 #escalations { "Escalated from the VSOC" } (escalation_list(&escalations)) }
        }
        section.panel aria-labelledby="remediation" {
            h2 #remediation { "Remediation and roll-out" }
            (remediation(&packages.items, &controls.items))
        }
        section.panel aria-labelledby="advisory" { h2 #advisory { "Advisory preview (CSAF)" } (advisory_preview(&advisory)) }
        div.cols {
            section.panel aria-labelledby="workflow" { h2 #workflow { "Workflow" } (move_form(&viewer, case)) }
            section.panel aria-labelledby="comments" { h2 #comments { "Comments" } (comments(&viewer, &detail)) }
        }
    };
    Ok(page(&viewer, Section::Cases, &case.title, body))
}

fn summary(case: &Case) -> Markup {
    html! {
        dl.facts {
            dt { "State" } dd { (format::state(case.state.as_str())) }
            dt { "Severity" } dd { (format::severity(case.severity)) }
            dt { "Marking" } dd { (format::tlp(&case.marking)) }
            dt { "Intake" } dd { (case.intake.kind.as_str().replace('_', " ")) @if let Some(source) = &case.intake.source { " (" (source) ")" } }
            dt { "Vulnerabilities" } dd { (case.vulnerability_ids.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", ")) }
            dt { "CVSS vector" } dd { code { (case.cvss_vector.as_deref().unwrap_or("—")) } }
            dt { "Owner" } dd { (case.owner.as_deref().unwrap_or("—")) }
            dt { "Received" } dd { (format::time(&case.received_at)) }
            dt { "Due" } dd { (format::maybe_time(case.due_at.as_deref())) }
        }
    }
}

fn calculator(viewer: &Viewer, case: &Case, query: &CvssQuery) -> Markup {
    let asked = query.asked();
    let scored = asked.as_deref().map(keelson_cvss::assess);
    html! {
        form method="get" action={ "/cases/" (case.id) } {
            div.metrics {
                @for (key, label, values) in METRICS {
                    div.field {
                        label for={ "cv-" (key) } { (label) }
                        select id={ "cv-" (key) } name=(key) {
                            (format::option("", "—", query.metric(key)))
                            @for (value, name) in values.iter() { (format::option(value, name, query.metric(key))) }
                        }
                    }
                }
            }
            div.field {
                label for="cv-vector" { "Or a whole vector (v2, v3.x, v4.0)" }
                input #cv-vector name="vector" type="text" value=[query.vector.as_deref()];
            }
            button type="submit" { "Score" }
        }
        @match scored {
            Some(Ok(assessment)) => {
                p.ok role="status" #cvss-result {
                    "CVSS " (assessment.version) " score " strong { (format!("{:.1}", assessment.score)) } " (" (assessment.severity) "): "
                    code { (assessment.vector) }
                }
                form method="post" action={ "/cases/" (case.id) "/cvss" } {
                    (format::csrf(viewer))
                    input type="hidden" name="vector" value=(assessment.vector);
                    button type="submit" { "Save as the case's vector" }
                }
            },
            Some(Err(error)) => p.problem role="alert" { "Not a CVSS vector: " (error) },
            None => {},
        }
    }
}

fn vex_status(viewer: &Viewer, detail: &CaseDetail) -> Markup {
    let id = &detail.case.id;
    html! {
        @if detail.builds.is_empty() { p.muted { "The case names no build yet." } }
        @for build in &detail.builds {
            form.actions method="post" action={ "/cases/" (id) "/builds/" (build.build_id) } {
                (format::csrf(viewer))
                div.field {
                    label for={ "b-" (build.build_id) } { (build.build_id) }
                    select id={ "b-" (build.build_id) } name="status" {
                        @for status in BuildStatus::ALL { (format::option(status.as_str(), &status.as_str().replace('_', " "), Some(build.status.as_str()))) }
                    }
                }
                div.field {
                    label for={ "br-" (build.build_id) } { "Reason" }
                    input id={ "br-" (build.build_id) } name="reason" type="text";
                }
                button type="submit" { "Set" }
            }
        }
    }
}

fn escalation_list(escalations: &[CaseEscalation]) -> Markup {
    html! {
        @for one in escalations {
            @let summary = &one.escalation.summary;
            article.card {
                p { a href={ "/incidents/" (one.escalation.incident_id) } { "Incident " (summary["title"].as_str().unwrap_or_default()) } " — "
                    (summary["vehicles_affected"].as_u64().unwrap_or(0)) " vehicles, builds "
                    (json_list(&summary["build_ids"])) }
                p.muted { "Escalated by " (one.escalation.escalated_by) ", " (format::time(&one.escalation.escalated_at)) }
                @if !one.containment.is_empty() {
                    p { "Containment: " (one.containment.iter().map(|c| c.action.as_str()).collect::<Vec<_>>().join("; ")) }
                }
                @if let Some(notes) = summary["notes"].as_str() { p { (notes) } }
            }
        }
    }
}

fn json_list(value: &Value) -> String {
    let items: Vec<&str> = value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if items.is_empty() {
        "—".to_owned()
    } else {
        items.join(", ")
    }
}

fn remediation(
    packages: &[crate::remediation::PackageView],
    controls: &[keelson_store::cases::remediation::Control],
) -> Markup {
    html! {
        @if packages.is_empty() { p.muted { "No remediation package yet." } }
        @for view in packages {
            @let plan = &view.package.plan;
            article.card {
                h3 { (plan.title) }
                p { "Fixes: " (plan.fixes.iter().map(|f| format!("{} {}", f.kind.as_str(), f.reference)).collect::<Vec<_>>().join(", ")) }
                p { "Verification: " @if plan.verifications.is_empty() { "none recorded" }
                    (plan.verifications.iter().map(|v| format!("{} {}", v.platform, v.status.as_str())).collect::<Vec<_>>().join(", ")) }
                p { "Vehicles on the fixed builds now: " strong { (view.vehicles_on_fixed_builds) } }
                @if !plan.phases.is_empty() {
                    table {
                        thead { tr { th scope="col" { "Phase" } th scope="col" { "Starts" } th scope="col" { "Ends" } th scope="col" { "Target vehicles" } } }
                        tbody { @for phase in &plan.phases { tr {
                            td { (phase.phase.as_str()) } td { (phase.starts_on) } td { (phase.ends_on.as_deref().unwrap_or("—")) }
                            td { (phase.target_vehicles.map(|n| n.to_string()).unwrap_or_else(|| "—".to_owned())) }
                        } } }
                    }
                }
            }
        }
        @if !controls.is_empty() {
            h3 { "Compensating controls" }
            ul { @for control in controls {
                li { (control.control.description) " — " (control.control.owner) ", until " (control.control.expires_on)
                    @if control.expired { " " span.badge.sev-high { "expired" } } }
            } }
        }
    }
}

fn advisory_preview(advisory: &Result<Value, String>) -> Markup {
    match advisory {
        Err(reason) => html! { p.muted { "No preview: " (reason) } },
        Ok(document) => {
            let tracking = &document["document"]["tracking"];
            let pretty = serde_json::to_string_pretty(document).unwrap_or_default();
            html! {
                dl.facts {
                    dt { "Title" } dd { (document["document"]["title"].as_str().unwrap_or("—")) }
                    dt { "Tracking ID" } dd { (tracking["id"].as_str().unwrap_or("—")) }
                    dt { "Status" } dd { (tracking["status"].as_str().unwrap_or("—")) }
                    dt { "TLP" } dd { (document["document"]["distribution"]["tlp"]["label"].as_str().unwrap_or("—")) }
                    dt { "Vulnerabilities" } dd { (document["vulnerabilities"].as_array().map(Vec::len).unwrap_or(0)) }
                }
                details { summary { "The whole document" } pre { (pretty) } }
            }
        }
    }
}

fn move_form(viewer: &Viewer, case: &Case) -> Markup {
    let allowed = case.state.allowed();
    html! {
        @if allowed.is_empty() {
            p.muted { "The case is finished." }
        } @else {
            form method="post" action={ "/cases/" (case.id) "/transition" } {
                (format::csrf(viewer))
                div.field {
                    label for="ct-to" { "New state" }
                    select #ct-to name="to" { @for state in allowed { option value=(state.as_str()) { (state.as_str().replace('_', " ")) } } }
                }
                div.field { label for="ct-reason" { "Reason" } input #ct-reason name="reason" type="text" required; }
                div.field { label for="ct-dup" { "Duplicate of (for duplicate only)" } input #ct-dup name="duplicate_of" type="text"; }
                button type="submit" { "Move" }
            }
        }
    }
}

fn comments(viewer: &Viewer, detail: &CaseDetail) -> Markup {
    html! {
        @for comment in &detail.comments {
            article.card { p.muted { (comment.author) ", " (format::time(&comment.created_at)) } p { (comment.body) } }
        }
        form method="post" action={ "/cases/" (detail.case.id) "/comment" } {
            (format::csrf(viewer))
            div.field { label for="cc-body" { "Comment" } textarea #cc-body name="body" required {} }
            button type="submit" { "Add comment" }
        }
    }
}

#[derive(Debug, Deserialize)]
struct VectorForm {
    csrf_token: String,
    vector: String,
}

async fn save_cvss(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<VectorForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    let patch = CasePatch {
        cvss_vector: Some(Some(form.vector)),
        ..CasePatch::default()
    };
    let _case = api::update_case(
        State(state),
        viewer.caller.clone(),
        ApiPath(id.clone()),
        ApiJson(patch),
    )
    .await
    .shown_to(&viewer)?;
    Ok(back_to(&id))
}

#[derive(Debug, Deserialize)]
struct TransitionForm {
    csrf_token: String,
    to: CaseState,
    reason: String,
    #[serde(default)]
    duplicate_of: String,
}

async fn transition(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<TransitionForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    let input = TransitionInput {
        to: form.to,
        reason: form.reason,
        duplicate_of: Some(form.duplicate_of).filter(|text| !text.trim().is_empty()),
    };
    let _case = api::transition(
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
    let input = case_work::CommentInput { body: form.body };
    let _comment = case_work::add_comment(
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
struct BuildStatusForm {
    csrf_token: String,
    status: BuildStatus,
    #[serde(default)]
    reason: String,
}

async fn build_status(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, build)): Path<(String, String)>,
    Form(form): Form<BuildStatusForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    let input = BuildStatusInput {
        status: form.status,
        reason: Some(form.reason),
    };
    let _status = case_work::set_build_status(
        State(state),
        viewer.caller.clone(),
        ApiPath((id.clone(), build)),
        ApiJson(input),
    )
    .await
    .shown_to(&viewer)?;
    Ok(back_to(&id))
}

fn back_to(id: &str) -> Response {
    Redirect::to(&format!("/cases/{id}")).into_response()
}
