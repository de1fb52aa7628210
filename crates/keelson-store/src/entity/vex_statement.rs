//! The `vex_statements` table: one row per (vulnerability, product, component)
//! a stored VEX document states, with the document it came from, who imported
//! it and when, and the document's TLP marking.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vex_statements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The import this row came in with (one per document imported).
    pub import_id: String,
    /// SHA-256 of the document's bytes, so the same document is stored once.
    pub sha256: String,
    pub document_id: String,
    /// `openvex`, `cyclonedx` or `csaf`.
    pub format: String,
    pub author: String,
    pub vulnerability_id: String,
    /// JSON array of the other IDs of the vulnerability.
    pub aliases: String,
    /// A canonical purl or `urn:keelson:build:ID`.
    pub product: String,
    /// A canonical purl: the component of `product` meant; null for the product whole.
    pub component: Option<String>,
    pub status: String,
    pub justification: Option<String>,
    pub impact: Option<String>,
    pub action: Option<String>,
    pub stated_at_us: Option<i64>,
    pub imported_by: String,
    pub imported_at_us: i64,
    pub tlp: String,
    pub shared_with_orgs: String,
    pub named_readers: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
