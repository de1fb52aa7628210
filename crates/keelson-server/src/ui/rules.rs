//! Detection rules: the list, one rule with its Sigma text to edit (checked
//! by the same loader the API's rule routes use, a refusal shown with its
//! line beside the text), its lifecycle status, a form for a new rule, and
//! a test of the rule against an uploaded capture through the offline path
//! `keelson detect` takes (`detection::offline`), which stores nothing.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use keelson_detect::{Alert, Engine, EngineConfig, load_rules};
use keelson_store::rules::{DetectionRule, RuleStatus};
use keelson_telemetry::Format;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Section, page};
use super::{ForViewer, PageResult, UiError, Viewer, format};
use crate::AppState;
use crate::api::rules::{self as api, StatusChange};
use crate::clearance::visible_only;
use crate::detection::offline::{CaptureRun, run_capture};
use crate::detection::rules::RuleInput;
use crate::error::{ApiError, ApiJson, ApiPath};

const STATUSES: [RuleStatus; 4] = [
    RuleStatus::Test,
    RuleStatus::Active,
    RuleStatus::Heightened,
    RuleStatus::Retired,
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rules", get(list).post(create))
        .route("/rules/new", get(new_rule))
        .route("/rules/{id}", get(detail).post(update))
        .route("/rules/{id}/status", post(set_status))
        .route("/rules/{id}/test", post(test_capture))
}

async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let rules = visible_only(
        &viewer.caller,
        state.store.list_rules().await.shown_to(&viewer)?,
    );
    let body = html! {
        p { a.button href="/rules/new" { "New rule" } }
        div.scroll { table {
            thead { tr {
                th scope="col" { "Rule" } th scope="col" { "ID" } th scope="col" { "Status" } th scope="col" { "Level" }
                th scope="col" { "ATM" } th scope="col" { "TLP" } th scope="col" { "Updated" }
            } }
            tbody {
                @for rule in &rules {
                    tr {
                        td { a href={ "/rules/" (rule.id) } { (rule.title) } }
                        td { code { (rule.id) } }
                        td { (format::state(rule.status.as_str())) }
                        td { (rule.level.as_deref().unwrap_or("—")) }
                        td { (rule.atm_tags.join(", ")) }
                        td { (format::tlp(&rule.marking)) }
                        td { (format::time(&rule.updated_at)) }
                    }
                }
            }
        } }
    };
    Ok(page(&viewer, Section::Rules, "Detection rules", body))
}

async fn new_rule(viewer: Viewer) -> PageResult {
    Ok(page(
        &viewer,
        Section::Rules,
        "New rule",
        editor(&viewer, None, "", None),
    ))
}

/// The Sigma editor; `problem` is the loader's refusal of the text shown.
fn editor(
    viewer: &Viewer,
    rule: Option<&DetectionRule>,
    sigma: &str,
    problem: Option<&str>,
) -> Markup {
    let action = match rule {
        Some(rule) => format!("/rules/{}", rule.id),
        None => "/rules".to_owned(),
    };
    html! {
        form method="post" action=(action) {
            (format::csrf(viewer))
            @if let Some(problem) = problem {
                p.problem role="alert" #sigma-problem { "The rule was not saved: " (problem) }
            }
            div.field {
                label for="r-sigma" { "Sigma YAML" }
                @if problem.is_some() {
                    textarea.code #r-sigma name="sigma" required spellcheck="false" aria-describedby="sigma-problem" { (sigma) }
                } @else {
                    textarea.code #r-sigma name="sigma" required spellcheck="false" { (sigma) }
                }
            }
            div.cols {
                div.field {
                    label for="r-title" { "Title (default: the rule's title)" }
                    input #r-title name="title" type="text" value=[rule.map(|r| r.title.as_str())];
                }
                div.field {
                    label for="r-valid" { "Last day it fires (YYYY-MM-DD, optional)" }
                    input #r-valid name="valid_until" type="text" value=[rule.and_then(|r| r.valid_until.as_deref())];
                }
            }
            button type="submit" { "Check and save" }
        }
    }
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let Json(rule) = api::get_rule(State(state), viewer.caller.clone(), ApiPath(id))
        .await
        .shown_to(&viewer)?;
    Ok(rule_page(&viewer, &rule, &rule.sigma, None, None))
}

fn rule_page(
    viewer: &Viewer,
    rule: &DetectionRule,
    sigma: &str,
    problem: Option<&str>,
    test: Option<Markup>,
) -> Markup {
    let body = html! {
        section.panel {
            dl.facts {
                dt { "ID" } dd { code { (rule.id) } }
                dt { "Status" } dd { (format::state(rule.status.as_str())) }
                dt { "Level" } dd { (rule.level.as_deref().unwrap_or("—")) }
                dt { "ATM techniques" } dd { (rule.atm_tags.join(", ")) }
                dt { "Scope" } dd { "models: " (list_or_all(&rule.scope.models)) "; builds: " (list_or_all(&rule.scope.builds)) }
                dt { "Marking" } dd { (format::tlp(&rule.marking)) }
                dt { "Updated" } dd { (format::time(&rule.updated_at)) " by " (rule.updated_by) }
            }
        }
        @if let Some(test) = test {
            section.panel aria-labelledby="test-result" { (test) }
        }
        div.cols {
            section.panel aria-labelledby="test" {
                h2 #test { "Test against a capture" }
                p.muted { "Runs this rule's stored text over the capture's events offline, like keelson detect; nothing is stored and no alert is raised." }
                form method="post" action={ "/rules/" (rule.id) "/test" } enctype="multipart/form-data" {
                    (format::csrf(viewer))
                    div.field {
                        label for="x-capture" { "Capture file" }
                        input #x-capture name="capture" type="file" required;
                    }
                    div.field {
                        label for="x-format" { "Format" }
                        select #x-format name="format" {
                            option value="auto" { "recognise from name and content" }
                            @for one in keelson_telemetry::decode::ALL {
                                option value=(one.name()) { (one.name()) }
                            }
                        }
                    }
                    button type="submit" { "Run the rule" }
                }
            }
            section.panel aria-labelledby="status" {
                h2 #status { "Lifecycle status" }
                form method="post" action={ "/rules/" (rule.id) "/status" } {
                    (format::csrf(viewer))
                    div.field {
                        label for="s-status" { "Status" }
                        select #s-status name="status" {
                            @for status in STATUSES {
                                (format::option(status.as_str(), status.as_str(), Some(rule.status.as_str())))
                            }
                        }
                    }
                    div.field {
                        label for="s-reason" { "Reason" }
                        input #s-reason name="reason" type="text" required;
                    }
                    button type="submit" { "Change status" }
                }
            }
        }
        section.panel aria-labelledby="edit" {
            h2 #edit { "Edit" }
            (editor(viewer, Some(rule), sigma, problem))
        }
    };
    page(viewer, Section::Rules, &rule.title, body)
}

fn list_or_all(items: &[String]) -> String {
    if items.is_empty() {
        "all".to_owned()
    } else {
        items.join(", ")
    }
}

#[derive(Debug, Deserialize)]
struct RuleForm {
    csrf_token: String,
    sigma: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    valid_until: String,
}

impl RuleForm {
    fn input(self, stored: Option<&DetectionRule>) -> RuleInput {
        let given = |text: String| Some(text.trim().to_owned()).filter(|text| !text.is_empty());
        RuleInput {
            sigma: self.sigma,
            title: given(self.title),
            status: None,
            scope: stored.map(|rule| rule.scope.clone()).unwrap_or_default(),
            valid_until: given(self.valid_until),
            marking: stored
                .map(|rule| rule.marking.clone())
                .unwrap_or_else(keelson_core::tlp::default_marking),
        }
    }
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<RuleForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    let sigma = form.sigma.clone();
    match api::create_rule(
        State(state),
        viewer.caller.clone(),
        ApiJson(form.input(None)),
    )
    .await
    {
        Ok((_, Json(rule))) => Ok(Redirect::to(&format!("/rules/{}", rule.id)).into_response()),
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let body = editor(&viewer, None, &sigma, Some(&error.message));
            Ok((
                error.status,
                page(&viewer, Section::Rules, "New rule", body),
            )
                .into_response())
        }
        Err(error) => Err(UiError::from(error).for_viewer(&viewer)),
    }
}

async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<RuleForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    let Json(stored) = api::get_rule(
        State(state.clone()),
        viewer.caller.clone(),
        ApiPath(id.clone()),
    )
    .await
    .shown_to(&viewer)?;
    let sigma = form.sigma.clone();
    let input = form.input(Some(&stored));
    match api::update_rule(
        State(state),
        viewer.caller.clone(),
        ApiPath(id.clone()),
        ApiJson(input),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/rules/{id}")).into_response()),
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let page = rule_page(&viewer, &stored, &sigma, Some(&error.message), None);
            Ok((error.status, page).into_response())
        }
        Err(error) => Err(UiError::from(error).for_viewer(&viewer)),
    }
}

#[derive(Debug, Deserialize)]
struct StatusForm {
    csrf_token: String,
    status: RuleStatus,
    reason: String,
}

async fn set_status(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    let change = StatusChange {
        status: form.status,
        reason: form.reason,
    };
    let _rule = api::set_status(
        State(state),
        viewer.caller.clone(),
        ApiPath(id.clone()),
        ApiJson(change),
    )
    .await
    .shown_to(&viewer)?;
    Ok(Redirect::to(&format!("/rules/{id}")).into_response())
}

/// An uploaded capture and the format the reader named.
#[derive(Default)]
struct Upload {
    csrf_token: String,
    file_name: String,
    bytes: Vec<u8>,
    format: String,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, ApiError> {
    let mut upload = Upload::default();
    let refused =
        |error: axum::extract::multipart::MultipartError| ApiError::bad_request(error.body_text());
    while let Some(field) = multipart.next_field().await.map_err(refused)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "capture" => {
                upload.file_name = field.file_name().unwrap_or("capture").to_owned();
                upload.bytes = field.bytes().await.map_err(refused)?.to_vec();
            }
            "csrf_token" => upload.csrf_token = field.text().await.map_err(refused)?,
            "format" => upload.format = field.text().await.map_err(refused)?,
            _ => {}
        }
    }
    Ok(upload)
}

async fn test_capture(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<Response, UiError> {
    let upload = read_upload(multipart).await.shown_to(&viewer)?;
    viewer.check_csrf(&upload.csrf_token)?;
    let Json(rule) = api::get_rule(State(state), viewer.caller.clone(), ApiPath(id))
        .await
        .shown_to(&viewer)?;
    let format = capture_format(&upload).shown_to(&viewer)?;

    let (set, _) = load_rules(&[(rule.id.as_str(), rule.sigma.as_str())]);
    let mut engine = Engine::new(set, EngineConfig::default());
    let run = run_capture(
        &mut engine,
        &upload.file_name,
        format,
        upload.bytes.as_slice(),
    )
    .map_err(|error| ApiError::invalid(format!("{}: {error}", upload.file_name)))
    .shown_to(&viewer)?;
    let alerts = engine.finish();
    let result = test_result(&upload.file_name, format, run, &alerts);
    Ok(rule_page(&viewer, &rule, &rule.sigma, None, Some(result)).into_response())
}

fn capture_format(upload: &Upload) -> Result<Format, ApiError> {
    if upload.format.is_empty() || upload.format == "auto" {
        let first = &upload.bytes[..upload.bytes.len().min(4096)];
        return keelson_telemetry::detect_format(&upload.file_name, first).ok_or_else(|| {
            ApiError::invalid(format!(
                "{}: format not recognised; name it",
                upload.file_name
            ))
        });
    }
    Format::from_name(&upload.format)
        .ok_or_else(|| ApiError::invalid(format!("unknown format {:?}", upload.format)))
}

fn test_result(file: &str, format: Format, run: CaptureRun, alerts: &[Alert]) -> Markup {
    html! {
        h2 #test-result { "Test result" }
        p.ok role="status" {
            (file) " (" (format.name()) "): " (run.events) " events, " (run.malformed) " malformed records skipped, "
            strong { (alerts.len()) " alerts" } "."
        }
        @if !alerts.is_empty() {
            div.scroll { table {
                thead { tr {
                    th scope="col" { "Rule" } th scope="col" { "Vehicle" } th scope="col" { "Count" }
                    th scope="col" { "First evidence" } th scope="col" { "Evidence" }
                } }
                tbody {
                    @for alert in alerts {
                        tr {
                            td { (alert.rule_title) }
                            td { (alert.vehicle_id.as_deref().unwrap_or("—")) }
                            td { (alert.count) }
                            td { code { (alert.evidence.first().map(String::as_str).unwrap_or("—")) } }
                            td { (alert.evidence.len()) " events" }
                        }
                    }
                }
            } }
        }
    }
}
