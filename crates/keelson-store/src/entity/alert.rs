//! The `alerts` table: rules that fired for a vehicle, merged per rule and
//! vehicle within the deduplication window.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The stored rule record the alert came from.
    pub rule_id: String,
    /// The Sigma document (id, else name, else title) that fired.
    pub sigma_rule: String,
    pub title: String,
    pub severity: String,
    /// Raised by a rule in `test` status.
    pub test: bool,
    pub correlation: bool,
    pub vehicle_id: Option<String>,
    pub build_id: Option<String>,
    pub first_seen_us: i64,
    pub last_seen_us: i64,
    pub count: i64,
    /// JSON array of the cited events' store keys.
    pub evidence: String,
    pub atm_tags: String,
    pub status: String,
    pub tlp: String,
    pub shared_with_orgs: String,
    pub named_readers: String,
    pub created_at_us: i64,
    pub updated_at_us: i64,
    /// Raised by a rule in `heightened` status (severity already raised).
    pub heightened: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
