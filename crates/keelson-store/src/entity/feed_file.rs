//! The `feed_files` table: vulnerability feed files exactly as imported
//! (OSV, NVD, KEV, EPSS), keyed by their SHA-256, in import order.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feed_files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sha256: String,
    pub seq: i64,
    pub kind: String,
    pub name: String,
    pub bytes: Vec<u8>,
    pub imported_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
