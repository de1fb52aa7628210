//! The `case_indicators` table: a PSIRT case's threat indicators, each kept
//! as the checked JSON of `keelson_core::indicator::Indicator`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_indicators")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub case_id: String,
    /// `hash`, `protocol_marker` or `behaviour`.
    pub kind: String,
    /// The indicator as JSON.
    pub definition: String,
    pub created_by: String,
    pub created_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
