//! The `incident_evidence` table: files analysts attached to an incident,
//! named by the SHA-256 under which the bytes live in the evidence folder.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incident_evidence")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub incident_id: String,
    pub sha256: String,
    pub size: i64,
    pub kind: String,
    pub name: String,
    pub description: Option<String>,
    pub uploaded_by: String,
    pub uploaded_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
