//! The `compensating_controls` table: measures that hold a case's risk
//! down until its fix is rolled out, each until its expiry day.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "compensating_controls")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub case_id: String,
    pub owner: String,
    pub description: String,
    /// `YYYY-MM-DD`.
    pub expires_on: String,
    pub created_by: String,
    pub created_at_us: i64,
    /// Set when the control was withdrawn before its expiry day.
    pub withdrawn_at_us: Option<i64>,
    pub withdrawn_by: Option<String>,
    pub withdraw_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
