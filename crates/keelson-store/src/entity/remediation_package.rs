//! The `remediation_packages` table: a case's remediation packages, each
//! plan (fixes, verifications, phases) kept as JSON.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "remediation_packages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub case_id: String,
    /// `keelson_core::remediation::RemediationPlan` as JSON.
    pub plan: String,
    pub created_by: String,
    pub created_at_us: i64,
    pub updated_by: String,
    pub updated_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
