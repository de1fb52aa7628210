//! Webhook deliveries: one row per notification and subscriber, created
//! before the first attempt and updated after each, so every attempt's
//! outcome (status code or error) is kept and a delivery that never got
//! through stays listed as `failed`. The subscriptions and their secrets
//! live in the configuration, never here.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};
use serde::Serialize;

use crate::entity::webhook_delivery;
use crate::{Store, StoreError, format_us, new_id, now_us};

/// The statuses a delivery can have.
const DELIVERY_STATUSES: [&str; 3] = ["pending", "delivered", "failed"];

/// A delivery and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: String,
    pub url: String,
    pub event: String,
    /// The JSON body as sent.
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The receiver answered 2xx.
    pub delivered: bool,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    /// No attempt follows: a failure now fails the delivery.
    pub last: bool,
}

impl Store {
    /// A pending delivery of `payload` to `url`, before its first attempt.
    pub async fn create_delivery(
        &self,
        url: &str,
        event: &str,
        id: &str,
        payload: &str,
    ) -> Result<Delivery, StoreError> {
        // Deliveries are written from background tasks: taking the writers'
        // turn keeps them from landing inside another write transaction, which
        // SQLite would refuse as a busy snapshot.
        let _turn = self.audit_lock.lock().await;
        let now = now_us();
        let row = webhook_delivery::Model {
            id: id.to_owned(),
            url: url.to_owned(),
            event: event.to_owned(),
            payload: payload.to_owned(),
            status: "pending".to_owned(),
            attempts: 0,
            last_status_code: None,
            last_error: None,
            created_at_us: now,
            updated_at_us: now,
        };
        webhook_delivery::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(self.connection())
            .await?;
        Ok(delivery_from_row(row))
    }

    /// Records one attempt of a delivery.
    pub async fn record_attempt(
        &self,
        id: &str,
        attempt: &Attempt,
    ) -> Result<Delivery, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let row = webhook_delivery::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?
            .ok_or_else(|| StoreError::not_found(format!("delivery {id}")))?;
        let status = match (attempt.delivered, attempt.last) {
            (true, _) => "delivered",
            (false, true) => "failed",
            (false, false) => "pending",
        };
        let attempts = row.attempts + 1;
        let mut active = row.into_active_model();
        active.status = Set(status.to_owned());
        active.attempts = Set(attempts);
        active.last_status_code = Set(attempt.status_code.map(i32::from));
        active.last_error = Set(attempt.error.clone());
        active.updated_at_us = Set(now_us());
        let updated = webhook_delivery::Entity::update(active)
            .exec(self.connection())
            .await?;
        Ok(delivery_from_row(updated))
    }

    /// Deliveries, newest first, optionally of one status.
    pub async fn list_deliveries(&self, status: Option<&str>) -> Result<Vec<Delivery>, StoreError> {
        let mut query = webhook_delivery::Entity::find();
        if let Some(status) = status {
            if !DELIVERY_STATUSES.contains(&status) {
                let reason = format!("{status:?} is not one of pending, delivered or failed");
                return Err(StoreError::invalid("status", reason));
            }
            query = query.filter(webhook_delivery::Column::Status.eq(status));
        }
        let rows = query
            .order_by_desc(webhook_delivery::Column::CreatedAtUs)
            .order_by_asc(webhook_delivery::Column::Id)
            .all(self.connection())
            .await?;
        Ok(rows.into_iter().map(delivery_from_row).collect())
    }
}

/// A new delivery ID.
pub fn new_delivery_id() -> String {
    new_id()
}

fn delivery_from_row(row: webhook_delivery::Model) -> Delivery {
    Delivery {
        id: row.id,
        url: row.url,
        event: row.event,
        payload: row.payload,
        status: row.status,
        attempts: row.attempts,
        last_status_code: row.last_status_code,
        last_error: row.last_error,
        created_at: format_us(row.created_at_us),
        updated_at: format_us(row.updated_at_us),
    }
}
