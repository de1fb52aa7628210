//! The `supplier_register` table: the suppliers Keelson knows the country
//! of, keyed by their normalised name, as the last register import left
//! them.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supplier_register")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name_key: String,
    pub name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// A JSON array of other names the supplier appears under.
    pub aliases: String,
    /// The line of the register file it was read from.
    pub line: i64,
    pub imported_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
