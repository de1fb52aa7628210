//! The page shell every page shares: a skip link, the header with the
//! navigation (landmarks `banner`, `navigation`, `main`, `contentinfo`),
//! the stylesheet and the enhancing script, and the error page.

use axum::http::StatusCode;
use maud::{DOCTYPE, Markup, html};

use super::Viewer;
use super::assets::{SCRIPT_PATH, STYLE_PATH};
use keelson_core::Role;

/// The parts of the UI, as the navigation names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Alerts,
    Incidents,
    Vehicles,
    Rules,
    Portfolio,
    Cases,
    Dashboards,
    Reports,
    Intel,
    Playbooks,
    Admin,
    None,
}

const NAV: &[(Section, &str, &str)] = &[
    (Section::Overview, "/", "Fleet"),
    (Section::Alerts, "/alerts", "Alerts"),
    (Section::Incidents, "/incidents", "Incidents"),
    (Section::Vehicles, "/vehicles", "Vehicles"),
    (Section::Rules, "/rules", "Rules"),
    (Section::Portfolio, "/psirt", "Portfolio"),
    (Section::Cases, "/cases", "Cases"),
    (Section::Dashboards, "/dashboards", "Dashboards"),
    (Section::Reports, "/reports", "Reports"),
    (Section::Intel, "/intel", "Intel"),
    (Section::Playbooks, "/playbooks", "Playbooks"),
];

/// A whole page for a signed-in reader.
pub fn page(viewer: &Viewer, section: Section, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, Some(viewer.csrf_token())))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top role="banner" {
                    a.brand href="/" { "Keelson" }
                    (navigation(viewer, section))
                    form.signout method="post" action="/logout" {
                        input type="hidden" name="csrf_token" value=(viewer.csrf_token());
                        span.who { (viewer.name()) " · " (viewer.caller.user.role.as_str()) }
                        button type="submit" { "Sign out" }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                footer role="contentinfo" {
                    p { "Keelson · vehicle security operations and PSIRT" }
                }
            }
        }
    }
}

/// A page for someone not signed in (the sign-in form).
pub fn bare_page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, None))
            body.bare {
                main #main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

fn head(title: &str, csrf: Option<&str>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            @if let Some(csrf) = csrf {
                meta name="csrf-token" content=(csrf);
            }
            title { (title) " · Keelson" }
            link rel="stylesheet" href=(STYLE_PATH);
            link rel="icon" href="data:,";
            script src=(SCRIPT_PATH) defer {}
        }
    }
}

fn navigation(viewer: &Viewer, section: Section) -> Markup {
    let admin = viewer.caller.user.role == Role::Admin;
    html! {
        nav aria-label="Main" {
            ul {
                @for (target, href, label) in NAV {
                    li { (nav_link(*target == section, href, label)) }
                }
                @if admin {
                    li { (nav_link(section == Section::Admin, "/admin/users", "Admin")) }
                }
            }
        }
    }
}

fn nav_link(current: bool, href: &str, label: &str) -> Markup {
    html! {
        @if current {
            a href=(href) aria-current="page" { (label) }
        } @else {
            a href=(href) { (label) }
        }
    }
}

/// The page that says why a page cannot be shown.
pub fn error_page(viewer: Option<&Viewer>, status: StatusCode, message: &str) -> Markup {
    let title = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        status if status.is_client_error() => "Cannot do that",
        _ => "Something went wrong",
    };
    let body = html! {
        p.problem role="alert" { (message) }
        p { a href="/" { "Open the fleet overview" } }
    };
    match viewer {
        Some(viewer) => page(viewer, Section::None, title, body),
        None => bare_page(title, body),
    }
}
