//! The `quarantine` table: records that failed to decode, kept with their
//! raw bytes, origin, position and reason until replayed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quarantine")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub source: String,
    pub origin: String,
    pub position: String,
    pub reason: String,
    pub raw: Vec<u8>,
    pub format: Option<String>,
    pub vehicle_id: Option<String>,
    pub received_at_us: i64,
    pub replayed_at_us: Option<i64>,
    /// The idempotency key the record would have had (file records), so a
    /// replay stores it under the same key as a re-ingest of the file.
    pub record_key: Option<String>,
    /// What makes the record itself (its channel, the digest of the unit it
    /// came in and its place there), unique: a record that arrives again
    /// finds its row. Empty only on copies from before the key existed.
    pub dedup_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
