//! The `sbom_documents` table: SBOMs and HBOMs as imported, attached to a
//! software build, kept whole so the component graph can be read again.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sbom_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub build_id: String,
    pub sha256: String,
    pub format: String,
    pub components: i64,
    pub bytes: Vec<u8>,
    pub imported_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
