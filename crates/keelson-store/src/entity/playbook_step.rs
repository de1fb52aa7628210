//! The `playbook_steps` table: each step of a run with its definition as
//! the run took it (`spec`, JSON), its state and who settled it, when, with
//! what detail.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "playbook_steps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub run_id: String,
    pub position: i32,
    pub step_id: String,
    pub kind: String,
    pub title: String,
    pub spec: String,
    pub state: String,
    pub actor: Option<String>,
    pub at_us: Option<i64>,
    pub detail: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
