//! Administration: user accounts (list, create with a generated password
//! shown once), API tokens (the reader's own, every token for an admin;
//! create with the secret shown once, revoke) and the audit log (newest
//! entries first, optionally for one object, with the chain verified).
//! Each page calls the API's account and audit handlers, which refuse
//! other roles exactly as the API does.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use keelson_core::Role;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{Section, page};
use super::{ForViewer, PageResult, UiError, Viewer, format};
use crate::AppState;
use crate::api::PageQuery;
use crate::api::audit::{AuditQuery, list_entries};
use crate::api::tokens::{CreateToken, create_token, list_tokens, revoke_token};
use crate::api::users::{CreateUser, create_user, list_users};
use crate::audit_watch::ChainStatus;
use crate::error::{ApiJson, ApiPath, ApiQuery};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users).post(add_user))
        .route("/admin/tokens", get(tokens).post(add_token))
        .route("/admin/tokens/{id}/revoke", post(revoke))
        .route("/admin/audit", get(audit))
}

fn tabs(current: &str) -> Markup {
    let links = [
        ("/admin/users", "Users"),
        ("/admin/tokens", "Tokens"),
        ("/admin/audit", "Audit log"),
    ];
    html! {
        nav.actions aria-label="Administration" {
            @for (href, label) in links {
                @if href == current { a href=(href) aria-current="page" { strong { (label) } } } @else { a href=(href) { (label) } }
            }
        }
    }
}

async fn users(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let Json(users) = list_users(
        State(state),
        viewer.caller.clone(),
        ApiQuery(PageQuery {
            limit: Some(1000),
            cursor: None,
        }),
    )
    .await
    .shown_to(&viewer)?;
    Ok(users_page(&viewer, &users.items, None))
}

fn users_page(
    viewer: &Viewer,
    users: &[keelson_store::users::UserRecord],
    created: Option<Markup>,
) -> Markup {
    let body = html! {
        (tabs("/admin/users"))
        @if let Some(created) = created { (created) }
        div.cols {
            section.panel aria-labelledby="accounts" {
                h2 #accounts { "Accounts" }
                div.scroll { table {
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Role" } th scope="col" { "Organisation" } th scope="col" { "Created" } th scope="col" { "State" } } }
                    tbody { @for user in users { tr {
                        td { (user.name) } td { (user.role.as_str()) } td { (user.organisation.as_deref().unwrap_or("—")) }
                        td { (format::time(&user.created_at)) } td { @if user.disabled { "disabled" } @else { "active" } }
                    } } }
                } }
            }
            section.panel aria-labelledby="new-user" {
                h2 #new-user { "New account" }
                form method="post" action="/admin/users" {
                    (format::csrf(viewer))
                    div.field { label for="u-name" { "Name" } input #u-name name="name" type="text" required; }
                    div.field {
                        label for="u-role" { "Role" }
                        select #u-role name="role" { @for role in Role::ALL { option value=(role.as_str()) { (role.as_str()) } } }
                    }
                    div.field { label for="u-org" { "Organisation (partners)" } input #u-org name="organisation" type="text"; }
                    button type="submit" { "Create with a generated password" }
                }
            }
        }
    };
    page(viewer, Section::Admin, "Users", body)
}

#[derive(Debug, Deserialize)]
struct UserForm {
    csrf_token: String,
    name: String,
    role: Role,
    #[serde(default)]
    organisation: String,
}

async fn add_user(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<UserForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    let request = CreateUser {
        name: form.name,
        role: form.role,
        organisation: Some(form.organisation).filter(|org| !org.trim().is_empty()),
        password: None,
    };
    let (_, Json(created)) = create_user(
        State(state.clone()),
        viewer.caller.clone(),
        ApiJson(request),
    )
    .await
    .shown_to(&viewer)?;
    let Json(users) = list_users(
        State(state),
        viewer.caller.clone(),
        ApiQuery(PageQuery {
            limit: Some(1000),
            cursor: None,
        }),
    )
    .await
    .shown_to(&viewer)?;
    let shown = html! {
        p.ok role="status" { "Account " strong { (created.user.name) } " created. Its password, shown only now: "
            code { (created.password.unwrap_or_default()) } }
    };
    Ok((
        StatusCode::CREATED,
        users_page(&viewer, &users.items, Some(shown)),
    )
        .into_response())
}

async fn tokens(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    tokens_page(&state, &viewer, None).await
}

async fn tokens_page(state: &AppState, viewer: &Viewer, created: Option<Markup>) -> PageResult {
    let Json(tokens) = list_tokens(
        State(state.clone()),
        viewer.caller.clone(),
        ApiQuery(PageQuery {
            limit: Some(1000),
            cursor: None,
        }),
    )
    .await
    .shown_to(viewer)?;
    let body = html! {
        @if viewer.caller.user.role == Role::Admin { (tabs("/admin/tokens")) }
        @if let Some(created) = created { (created) }
        div.cols {
            section.panel aria-labelledby="token-list" {
                h2 #token-list { "API tokens" }
                div.scroll { table {
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Created" } th scope="col" { "Expires" } th scope="col" { "State" } } }
                    tbody { @for token in &tokens.items { tr {
                        td { (token.name) } td { (format::time(&token.created_at)) } td { (format::maybe_time(token.expires_at.as_deref())) }
                        td {
                            @match &token.revoked_at {
                                Some(at) => { "revoked " (format::time(at)) },
                                None => form method="post" action={ "/admin/tokens/" (token.id) "/revoke" } {
                                    (format::csrf(viewer))
                                    button.secondary type="submit" aria-label={ "Revoke token " (token.name) } { "Revoke" }
                                },
                            }
                        }
                    } } }
                } }
            }
            section.panel aria-labelledby="new-token" {
                h2 #new-token { "New token" }
                form method="post" action="/admin/tokens" {
                    (format::csrf(viewer))
                    div.field { label for="k-name" { "Name" } input #k-name name="name" type="text" required; }
                    div.field { label for="k-days" { "Expires after (days, optional)" } input #k-days name="expires_days" type="text" inputmode="numeric"; }
                    button type="submit" { "Create token" }
                }
            }
        }
    };
    Ok(page(viewer, Section::Admin, "Tokens", body))
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    csrf_token: String,
    name: String,
    #[serde(default)]
    expires_days: String,
}

async fn add_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<TokenForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    let days = form.expires_days.trim();
    let expires_days = match days {
        "" => None,
        days => Some(days.parse::<u32>().map_err(|_| {
            UiError::from(crate::error::ApiError::invalid(
                "expires_days: must be a whole number of days",
            ))
            .for_viewer(&viewer)
        })?),
    };
    let request = CreateToken {
        name: form.name,
        expires_days,
    };
    let (_, Json(created)) = create_token(
        State(state.clone()),
        viewer.caller.clone(),
        ApiJson(request),
    )
    .await
    .shown_to(&viewer)?;
    let shown = html! {
        p.ok role="status" { "Token " strong { (created.record.name) } " created. Its secret, shown only now: " code { (created.token) } }
    };
    Ok((
        StatusCode::CREATED,
        tokens_page(&state, &viewer, Some(shown)).await?,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct RevokeForm {
    csrf_token: String,
}

async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Result<Response, UiError> {
    viewer.check_csrf(&form.csrf_token)?;
    let _revoked = revoke_token(State(state), viewer.caller.clone(), ApiPath(id))
        .await
        .shown_to(&viewer)?;
    Ok(Redirect::to("/admin/tokens").into_response())
}

#[derive(Debug, Default, Deserialize)]
struct AuditFilters {
    object_type: Option<String>,
    object_id: Option<String>,
    before: Option<i64>,
    /// Any value: recompute the hash chain from its first entry.
    whole: Option<String>,
}

async fn audit(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filters): Query<AuditFilters>,
) -> PageResult {
    let query = AuditQuery {
        object_type: format::non_empty(filters.object_type.clone()),
        object_id: format::non_empty(filters.object_id.clone()),
        before: filters.before,
        limit: Some(100),
    };
    let Json(entries) = list_entries(State(state.clone()), viewer.caller.clone(), ApiQuery(query))
        .await
        .shown_to(&viewer)?;
    viewer.caller.require(&[Role::Admin]).shown_to(&viewer)?;
    let chain = state
        .audit_watch
        .look(&state.store, filters.whole.is_some())
        .await
        .shown_to(&viewer)?;
    let older = entries.last().map(|entry| entry.seq).filter(|seq| *seq > 1);
    let body = html! {
        (tabs("/admin/audit"))
        (chain_status(&chain))
        form.filters method="get" action="/admin/audit" aria-label="Filter the audit log" {
            div.field { label for="a-type" { "Object type" } input #a-type name="object_type" type="text" value=[filters.object_type.as_deref()]; }
            div.field { label for="a-id" { "Object ID" } input #a-id name="object_id" type="text" value=[filters.object_id.as_deref()]; }
            button type="submit" { "Filter" }
        }
        div.scroll { table {
            thead { tr { th scope="col" { "#" } th scope="col" { "Time" } th scope="col" { "Actor" } th scope="col" { "Action" } th scope="col" { "Object" } } }
            tbody { @for entry in &entries { tr {
                td { (entry.seq) } td { (format::time(&entry.at)) } td { (entry.actor) } td { code { (entry.action) } }
                td { (entry.object_type) " " code { (entry.object_id) } }
            } } }
        } }
        @if let Some(older) = older {
            p { a href={ "/admin/audit?before=" (older) } { "Older entries" } }
        }
    };
    Ok(page(&viewer, Section::Admin, "Audit log", body))
}

/// Whether the chain verifies, and how recently it was recomputed whole.
fn chain_status(chain: &ChainStatus) -> Markup {
    let report = &chain.report;
    html! {
        @if report.ok {
            p.ok role="status" {
                "The hash chain verifies: " (report.entries) " entries (recomputed whole at "
                (format::time(&chain.whole_checked_at)) ", entries since then at each visit). "
                a href="/admin/audit?whole=1" { "Recompute the whole chain" }
            }
        } @else {
            p.problem role="alert" { "The hash chain is broken at entry " (report.first_broken.unwrap_or_default()) ": " (report.reason.as_deref().unwrap_or_default()) }
        }
    }
}
