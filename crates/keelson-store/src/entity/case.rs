//! The `cases` table: one PSIRT case per row, with its workflow state, the
//! intake it came from, its deadline and its TLP marking. `version` grows
//! with every change, so a write that read an older row is refused.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub title: String,
    pub intake_kind: String,
    /// What the intake names: a finding, a disclosure's tracking ID, an
    /// advisory ID, a report reference.
    pub intake_source: Option<String>,
    pub state: String,
    pub severity: String,
    /// A user name.
    pub owner: Option<String>,
    pub team: Option<String>,
    /// The case this one duplicates (state `duplicate`).
    pub duplicate_of: Option<String>,
    pub received_at_us: i64,
    pub due_at_us: Option<i64>,
    /// When the case reached a terminal state.
    pub finished_at_us: Option<i64>,
    pub opened_by: String,
    pub updated_at_us: i64,
    pub version: i64,
    /// The PSIRT's CVSS vector for the case (canonical form), if scored.
    pub cvss_vector: Option<String>,
    pub tlp: String,
    pub shared_with_orgs: String,
    pub named_readers: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
