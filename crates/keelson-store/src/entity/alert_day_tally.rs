//! The `alert_day_tallies` table: how many alerts were last seen on each
//! UTC day, per severity, ATM tags, vehicle region and marking (the alert's
//! and its vehicle's), kept in step with the alerts by `alert_tallies`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_day_tallies")]
pub struct Model {
    /// Days since the Unix epoch of the alerts' last sighting.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub severity: String,
    /// The alerts' ATM tags as the alert row keeps them (a JSON array).
    #[sea_orm(primary_key, auto_increment = false)]
    pub atm_tags: String,
    /// The vehicle's region; empty when it has none or is not registered.
    #[sea_orm(primary_key, auto_increment = false)]
    pub region: String,
    /// The vehicle's marking columns; empty when it is not registered.
    #[sea_orm(primary_key, auto_increment = false)]
    pub vehicle_tlp: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub vehicle_orgs: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub vehicle_readers: String,
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
