//! The `security_findings` table: results of security tests (SARIF) attached to
//! a software build, once per build and fingerprint.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "security_findings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub build_id: String,
    pub tool: String,
    pub rule_id: String,
    /// `error`, `warning`, `note` or `none`.
    pub level: String,
    /// `none` to `critical`.
    pub severity: String,
    pub message: String,
    pub location: Option<String>,
    /// Recognises the same result in a later report of the same build.
    pub fingerprint: String,
    pub imported_by: String,
    pub imported_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
