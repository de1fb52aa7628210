//! The web UI that `keelson serve` answers outside `/api/`: server-rendered
//! pages (maud) whose forms post plain HTML and work without JavaScript,
//! one small script that only enhances them, charts drawn as SVG on the
//! server, and the stylesheet, all compiled into the binary.
//!
//! Pages are a rendering layer over the API's own handlers and store
//! methods: each page asks what the API would answer the same reader (the
//! same clearance gate, the same role checks, the same validation), so a
//! record above the reader's clearance is missing from a page exactly as
//! it is missing from the API. A browser authenticates with the session
//! cookie; every form that changes state carries the session's CSRF token
//! in `csrf_token`.

mod admin;
mod alerts;
mod assets;
mod cases;
mod chart;
mod dashboards;
mod format;
mod incidents;
mod intel;
mod layout;
pub(crate) mod login;
mod overview;
mod playbooks;
mod psirt;
mod reports;
mod rules;
mod vehicles;
mod viewer;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::Markup;

use crate::AppState;
use crate::error::ApiError;

pub use viewer::Viewer;

/// Every page of the UI and its static files.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(assets::routes())
        .merge(overview::routes())
        .merge(alerts::routes())
        .merge(incidents::routes())
        .merge(vehicles::routes())
        .merge(rules::routes())
        .merge(psirt::routes())
        .merge(cases::routes())
        .merge(admin::routes())
        .merge(dashboards::routes())
        .merge(reports::routes())
        .merge(intel::routes())
        .merge(playbooks::routes())
}

/// A page, or the page that says why there is none.
pub(crate) type PageResult = Result<Markup, UiError>;

/// A failure shown as a page: the API's status and message, in the layout.
#[derive(Debug)]
pub struct UiError {
    status: StatusCode,
    message: String,
    viewer: Option<Box<Viewer>>,
}

impl UiError {
    /// The same failure, shown with the reader's navigation.
    pub(crate) fn for_viewer(mut self, viewer: &Viewer) -> Self {
        self.viewer = Some(Box::new(viewer.clone()));
        self
    }
}

impl From<ApiError> for UiError {
    fn from(error: ApiError) -> Self {
        Self {
            status: error.status,
            message: error.message,
            viewer: None,
        }
    }
}

impl From<keelson_store::StoreError> for UiError {
    fn from(error: keelson_store::StoreError) -> Self {
        ApiError::from(error).into()
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let page = layout::error_page(self.viewer.as_deref(), self.status, &self.message);
        (self.status, page).into_response()
    }
}

/// Runs one API handler for a page and turns its refusal into a page with
/// the reader's navigation.
pub(crate) trait ForViewer<T> {
    fn shown_to(self, viewer: &Viewer) -> Result<T, UiError>;
}

impl<T, E: Into<UiError>> ForViewer<T> for Result<T, E> {
    fn shown_to(self, viewer: &Viewer) -> Result<T, UiError> {
        self.map_err(|error| error.into().for_viewer(viewer))
    }
}
