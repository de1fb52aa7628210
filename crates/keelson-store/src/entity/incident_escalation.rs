//! The `incident_escalations` table: the PSIRT case an incident was handed
//! to, with the summary handed over (JSON), once per incident.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incident_escalations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub incident_id: String,
    pub case_id: String,
    pub summary: String,
    pub escalated_by: String,
    pub escalated_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
