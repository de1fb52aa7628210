//! The `incident_containments` table: temporary actions taken to contain an
//! incident (a backend service disabled, a threshold tightened), with who,
//! when, scope and expiry.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incident_containments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub incident_id: String,
    pub action: String,
    pub scope: String,
    pub recorded_by: String,
    pub recorded_at_us: i64,
    pub expires_at_us: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
