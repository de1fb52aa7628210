//! The `software_builds` table: one firmware build of one ECU.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "software_builds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub ecu: String,
    pub firmware_version: String,
    pub digest: Option<String>,
    pub tlp: String,
    pub shared_with_orgs: String,
    pub named_readers: String,
    pub created_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
