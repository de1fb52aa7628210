//! The `intel_objects` table: one row per kept STIX object (indicator, attack
//! pattern, vulnerability, relationship) at its latest version, with its marking,
//! where it came from and when this version was added.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "intel_objects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// `indicator`, `attack-pattern`, `vulnerability` or `relationship`.
    pub kind: String,
    /// `TYPE--UUID`, unique.
    pub stix_id: String,
    pub created: String,
    pub modified: String,
    /// `modified` in microseconds, so versions compare whatever their precision.
    pub modified_us: i64,
    pub name: Option<String>,
    /// An attack pattern's technique ID (`ATM-T0031`), a vulnerability's CVE ID.
    pub external_id: Option<String>,
    /// An attack pattern's kill chain phases (tactics), comma-separated.
    pub tactic: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    /// The object as Keelson keeps it (JSON).
    pub body: String,
    /// `import:sha256:DIGEST` or `user:NAME`.
    pub source: String,
    pub added_by: String,
    pub added_at_us: i64,
    pub tlp: String,
    pub shared_with_orgs: String,
    pub named_readers: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
