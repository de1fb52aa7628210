//! The `playbook_runs` table: one run of a playbook on an incident. An
//! automatic run carries `automatic_key` (incident and playbook), unique, so
//! a playbook starts by itself at most once per incident.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "playbook_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub incident_id: String,
    pub playbook_id: String,
    pub playbook_version: i64,
    pub trigger: String,
    pub automatic_key: Option<String>,
    pub started_by: String,
    pub started_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
