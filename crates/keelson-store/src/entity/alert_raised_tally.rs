//! The `alert_raised_tallies` table: how many alerts the store raised on
//! each UTC day, per test flag, severity, ATM tags and marking, kept in step
//! with the alerts by `alert_tallies`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_raised_tallies")]
pub struct Model {
    /// Days since the Unix epoch of the alerts' creation.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: i64,
    /// Raised by a rule in `test` status.
    #[sea_orm(primary_key, auto_increment = false)]
    pub test: bool,
    #[sea_orm(primary_key, auto_increment = false)]
    pub severity: String,
    /// The alerts' ATM tags as the alert row keeps them (a JSON array).
    #[sea_orm(primary_key, auto_increment = false)]
    pub atm_tags: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tlp: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub shared_with_orgs: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub named_readers: String,
    pub alerts: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
