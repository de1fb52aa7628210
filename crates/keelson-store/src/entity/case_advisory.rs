//! The `case_advisories` table: each published revision of a case's CSAF
//! security advisory, kept whole as published.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_advisories")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub case_id: String,
    /// 1 for the first publication, then one more per publication.
    #[sea_orm(primary_key, auto_increment = false)]
    pub revision: i64,
    pub tracking_id: String,
    pub summary: String,
    /// The CSAF document as published (JSON text).
    pub document: String,
    pub published_by: String,
    pub published_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
