//! The `remediation_milestones` table: the roll-out phases (lab, pilot,
//! full) a remediation package has reached, each once.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "remediation_milestones")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub package_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub phase: String,
    pub case_id: String,
    pub note: Option<String>,
    pub recorded_by: String,
    pub reached_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
