//! The `detection_rules` table: Sigma rules kept as data, with their
//! lifecycle status, scope, expiry and TLP marking.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "detection_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub title: String,
    pub status: String,
    pub level: Option<String>,
    /// The Sigma YAML text as written (one or more documents).
    pub sigma: String,
    /// SHA-256 of `sigma`, so an import of the same text changes nothing.
    pub sha256: String,
    /// JSON arrays of vehicle model IDs and build IDs.
    pub scope_models: String,
    pub scope_builds: String,
    /// `YYYY-MM-DD`, the last day the rule may fire.
    pub valid_until: Option<String>,
    /// JSON array of Automotive Threat Matrix technique IDs.
    pub atm_tags: String,
    pub tlp: String,
    pub shared_with_orgs: String,
    pub named_readers: String,
    pub created_by: String,
    pub created_at_us: i64,
    pub updated_by: String,
    pub updated_at_us: i64,
    /// The PSIRT case a generated rule watches for, and the case's indicator
    /// it was generated from; both null for rules written by hand.
    pub case_id: Option<String>,
    pub indicator_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
