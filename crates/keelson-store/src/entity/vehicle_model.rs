//! The `vehicle_models` table: makes and models with the DBC files of their buses.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vehicle_models")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub make: String,
    pub model: String,
    pub year: Option<i32>,
    pub platform: Option<String>,
    /// JSON array of DBC file names.
    pub dbc_files: String,
    pub tlp: String,
    /// JSON array of organisation names.
    pub shared_with_orgs: String,
    /// JSON array of user names.
    pub named_readers: String,
    pub created_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
