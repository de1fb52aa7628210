//! The `events` table: normalized vehicle events, each stored once under
//! its idempotency key.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub dedup_key: String,
    pub event_id: Option<String>,
    pub vehicle_id: Option<String>,
    pub source: String,
    pub kind: String,
    pub vehicle_time_us: Option<i64>,
    pub received_time_us: i64,
    pub ecu: Option<String>,
    pub build_id: Option<String>,
    /// The event's attributes as JSON text.
    pub attributes: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
