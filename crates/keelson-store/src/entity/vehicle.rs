//! The `vehicles` table: pseudonymous vehicles; a VIN only as a keyed hash.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vehicles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub model_id: Option<String>,
    pub vin_hash: Option<String>,
    pub region: Option<String>,
    pub tlp: String,
    pub shared_with_orgs: String,
    pub named_readers: String,
    pub created_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
