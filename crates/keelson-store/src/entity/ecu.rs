//! The `ecus` table: the electronic control units of a vehicle model.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ecus")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub supplier: Option<String>,
    pub hardware_part_number: Option<String>,
    pub model_id: Option<String>,
    pub tlp: String,
    pub shared_with_orgs: String,
    pub named_readers: String,
    pub created_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
