//! The `incidents` table: alerts of one rule, scope and marking grouped for
//! response, with the stamp of each state the response reached.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incidents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub title: String,
    pub state: String,
    pub severity: String,
    pub sigma_rule: String,
    pub build_id: Option<String>,
    pub model_id: Option<String>,
    pub owner: Option<String>,
    /// A JSON object of analyst-defined fields (text values).
    pub custom_fields: String,
    pub first_event_us: i64,
    pub detected_us: i64,
    pub last_seen_us: i64,
    pub acknowledged_us: Option<i64>,
    pub investigating_us: Option<i64>,
    pub contained_us: Option<i64>,
    pub resolved_us: Option<i64>,
    pub false_positive_us: Option<i64>,
    pub tlp: String,
    pub shared_with_orgs: String,
    pub named_readers: String,
    pub created_at_us: i64,
    pub updated_at_us: i64,
    /// The union of its alerts' ATM tags, a sorted JSON array.
    pub atm_tags: String,
    /// When a sighting of one of its alerts was last stored (the latest
    /// creation of or merge into one of them).
    pub last_sighting_stored_us: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
