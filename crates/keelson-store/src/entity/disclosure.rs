//! The `disclosures` table: each report received through the public
//! disclosure intake, kept as sent, with the case it opened.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "disclosures")]
pub struct Model {
    /// The tracking ID the reporter was given.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub case_id: String,
    pub title: String,
    pub description: String,
    pub reporter_contact: Option<String>,
    pub affected_product: String,
    /// The vector as the reporter sent it (checked, canonical form).
    pub cvss_vector: Option<String>,
    pub received_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
