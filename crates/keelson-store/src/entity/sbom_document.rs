//! The `sbom_documents` table: SBOMs of software builds and HBOMs of ECU
//! hardware parts as imported, kept whole so the component graph can be
//! read again. `subject_kind` is `build` or `hardware_part`; `subject_id`
//! is the build ID or the hardware part number.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sbom_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub sha256: String,
    pub format: String,
    pub components: i64,
    pub bytes: Vec<u8>,
    pub imported_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
