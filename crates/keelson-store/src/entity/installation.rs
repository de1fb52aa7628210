//! The `installations` table: which build ran on which ECU slot of which
//! vehicle, from when until when. A row with no `removed_at_us` is current.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "installations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub vehicle_id: String,
    pub ecu_id: String,
    pub build_id: String,
    pub installed_at_us: i64,
    pub removed_at_us: Option<i64>,
    pub source: String,
    pub tlp: String,
    pub shared_with_orgs: String,
    pub named_readers: String,
    pub recorded_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
