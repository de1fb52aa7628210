//! The `case_risks` table: the ISO/SAE 21434 risk determination of a case
//! in one build; the inputs and the matrix are JSON text, so the
//! determination can be worked again exactly as it was made.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_risks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub case_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub build_id: String,
    /// `keelson_core::risk::Impacts` as JSON.
    pub impacts: String,
    /// `keelson_core::risk::Feasibility` as JSON.
    pub feasibility: String,
    pub feasibility_rating: String,
    pub risk_value: i32,
    /// The `keelson_core::risk::RiskMatrix` in force, as JSON.
    pub matrix: String,
    pub assessed_by: String,
    pub assessed_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
