//! The HTTP API: routes under `/api/v1/`, the OpenAPI document generated
//! from the handlers' annotations, health and metrics endpoints, the
//! browser login, the TAXII 2.1 server (`crate::taxii`), and the two public
//! PSIRT routes (the disclosure intake and `/.well-known/security.txt`).

pub(crate) mod alerts;
pub(crate) mod audit;
pub(crate) mod case_advisory;
pub(crate) mod case_monitoring;
pub(crate) mod case_risk;
pub(crate) mod case_work;
pub(crate) mod cases;
pub(crate) mod disclosures;
pub(crate) mod evidence;
pub(crate) mod findings;
pub(crate) mod fleet;
pub(crate) mod health;
pub(crate) mod incident_response;
pub(crate) mod incidents;
pub(crate) mod intel;
pub(crate) mod inventory;
pub(crate) mod playbooks;
pub(crate) mod quarantine;
pub(crate) mod remediation;
pub(crate) mod reports;
pub(crate) mod rules;
pub(crate) mod security_tests;
pub(crate) mod session;
pub(crate) mod suppliers;
pub(crate) mod tara;
pub(crate) mod telemetry;
pub(crate) mod tokens;
pub(crate) mod uploads;
pub(crate) mod users;
pub(crate) mod vex;
pub(crate) mod webhooks;

pub use tokens::{MAX_TOKEN_DAYS, expiry_after_days};

use axum::Router;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use keelson_store::paging::{CappedCount, ListPage};

use crate::AppState;
use crate::error::{ApiError, method_not_allowed, no_such_route};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Keelson API",
        description = "Vehicle security operations (VSOC) and product security incident \
                       response (PSIRT). Authenticate with `Authorization: Bearer TOKEN`."
    ),
    components(schemas(crate::error::ErrorBody))
)]
struct ApiDoc;

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    let (api, document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(users::routes())
        .merge(tokens::routes())
        .merge(audit::routes())
        .merge(fleet::routes())
        .merge(inventory::routes())
        .merge(findings::routes())
        .merge(suppliers::routes())
        .merge(telemetry::routes())
        .merge(rules::routes())
        .merge(alerts::routes())
        .merge(incidents::routes())
        .merge(incident_response::routes())
        .merge(playbooks::routes())
        .merge(evidence::routes(state.config.upload_limit))
        .merge(uploads::routes(state.config.upload_limit))
        .merge(quarantine::routes())
        .merge(cases::routes())
        .merge(case_work::routes())
        .merge(vex::routes())
        .merge(case_advisory::routes())
        .merge(security_tests::routes())
        .merge(case_risk::routes())
        .merge(tara::routes())
        .merge(remediation::routes())
        .merge(case_monitoring::routes())
        .merge(reports::routes())
        .merge(webhooks::routes())
        .merge(intel::routes())
        .merge(crate::taxii::routes())
        .merge(disclosures::routes(state.config.disclosure_body_limit))
        .split_for_parts();
    let document = std::sync::Arc::new(document);

    Router::new()
        .merge(api)
        .merge(health::routes())
        .merge(session::routes())
        .merge(crate::ui::routes())
        .merge(disclosures::security_txt_route())
        .route(
            "/api/openapi.json",
            get(move || async move { axum::Json((*document).clone()) }),
        )
        .fallback(no_such_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// The shape of every list answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    /// The cursor for the next page, or null on the last one.
    pub next: Option<String>,
    /// Present (true) when more match than `total` says: the alert and
    /// incident lists stop counting at 10,000, since counting millions of
    /// rows for every page would cost more than the page.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub total_capped: bool,
}

/// Paging parameters of list routes.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Items per page (1 to 1000; default 100).
    pub limit: Option<u32>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

/// A page's size from the `limit` parameter: 1 to 1000, default 100.
pub fn page_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    let limit = limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 1000"));
    }
    Ok(limit)
}

/// The keyset cursor a store-paged list gave as `next`.
pub fn keyset_cursor(
    cursor: Option<&str>,
) -> Result<Option<keelson_store::telemetry::Cursor>, ApiError> {
    cursor
        .map(keelson_store::telemetry::Cursor::decode)
        .transpose()
        .map_err(|_| ApiError::bad_request(NOT_A_CURSOR))
}

/// Why a `cursor` is refused: only a `next` this list answered is one.
const NOT_A_CURSOR: &str =
    "cursor: not a cursor this list gave; pass back the `next` of the page before, unchanged";

impl<T> From<keelson_store::telemetry::Page<T>> for Page<T> {
    fn from(page: keelson_store::telemetry::Page<T>) -> Self {
        Page {
            items: page.items,
            total: page.total,
            next: page.next,
            total_capped: false,
        }
    }
}

/// A keyset page of the store's as the API answers it, with the count of
/// what matches beside it.
pub fn keyset_page<T>(page: ListPage<T>, total: CappedCount) -> Page<T> {
    Page {
        items: page.items,
        total: total.count,
        next: page.next.map(|cursor| cursor.encode()),
        total_capped: total.more,
    }
}

impl PageQuery {
    /// Cuts one page out of `items` (already filtered for the reader).
    pub fn page<T>(&self, items: Vec<T>) -> Result<Page<T>, ApiError> {
        let (offset, end, next) = self.window(items.len())?;
        let total = items.len() as u64;
        let items = items.into_iter().skip(offset).take(end - offset).collect();
        Ok(Page {
            items,
            total,
            next,
            total_capped: false,
        })
    }

    /// [`Self::page`] of items shared with others, copying only the page.
    pub fn page_of<T: Clone>(&self, items: &[T]) -> Result<Page<T>, ApiError> {
        let (offset, end, next) = self.window(items.len())?;
        Ok(Page {
            items: items[offset..end].to_vec(),
            total: items.len() as u64,
            next,
            total_capped: false,
        })
    }

    /// The page's first and past-the-last places among `total` items, and
    /// the cursor of the page after it.
    fn window(&self, total: usize) -> Result<(usize, usize, Option<String>), ApiError> {
        let limit = page_limit(self.limit)?;
        let offset = match &self.cursor {
            Some(cursor) => cursor
                .parse::<usize>()
                .map_err(|_| ApiError::bad_request(NOT_A_CURSOR))?,
            None => 0,
        };
        let offset = offset.min(total);
        let end = offset.saturating_add(limit as usize).min(total);
        let next = (end < total).then(|| end.to_string());
        Ok((offset, end, next))
    }
}
