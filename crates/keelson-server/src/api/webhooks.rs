//! Webhook deliveries over the API: every notification sent to a
//! subscriber, with its attempts, status and last error (admins only; a
//! delivery never carries a record above its subscriber's `max_tlp`).

use axum::Json;
use axum::extract::State;
use keelson_core::Role;
use keelson_store::webhooks::Delivery;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Page;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiQuery};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_deliveries))
}

/// Filters and paging of the delivery list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// `pending`, `delivered` or `failed`.
    pub status: Option<String>,
    /// Items per page (1 to 1000; default 100).
    pub limit: Option<u32>,
    /// The `next` value of the previous page.
    pub cursor: Option<String>,
}

/// Webhook deliveries, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/deliveries", tag = "admin",
    params(DeliveryQuery), responses((status = 200, body = Page<Delivery>), (status = 403)))]
async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<DeliveryQuery>,
) -> Result<Json<Page<Delivery>>, ApiError> {
    caller.require(&[Role::Admin])?;
    let deliveries = state.store.list_deliveries(query.status.as_deref()).await?;
    let page = super::PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    Ok(Json(page.page(deliveries)?))
}
