//! The `tara_records` table: the assets, damage scenarios and threat
//! scenarios of a TARA, each as the JSON it was imported with.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tara_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tara_id: String,
    /// `asset`, `damage_scenario` or `threat_scenario`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub record_id: String,
    pub body: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
