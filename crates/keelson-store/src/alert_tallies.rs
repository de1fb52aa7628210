//! The fleet overview's alert counts, kept as they change instead of
//! counted at every page view: `alert_day_tallies` holds, per UTC day of
//! the last sighting, severity, ATM tags, vehicle region and the markings
//! of the alert and of its vehicle, how many alerts there are. A day's row
//! is found by the same grouping SQL whichever way alerts change, in the
//! transaction that changes them:
//!
//! - a new alert adds itself;
//! - a merge that moves an alert's last sighting to another day takes it
//!   out of the old day before the update and adds it to the new one after;
//! - registering a vehicle takes its alerts out of the unregistered
//!   vehicle's rows before the insert and adds them under the vehicle after;
//! - the bulk insert of the benchmarks adds each chunk it writes;
//! - the migration that made the table counted the alerts already stored.
//!
//! Alerts are never deleted and their severity, tags and marking never
//! change, and vehicles are never updated, so these are all the changes.
//! Because every row carries both markings, the counts stay the same for
//! every reader, and clearance is decided per row when they are read.

use sea_orm::sea_query::ExprTrait;
use sea_orm::sea_query::{Expr, OnConflict, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, Iden};

use crate::StoreError;
use crate::entity::{alert, alert_day_tally, vehicle};
use crate::tally::DAY_US;

/// Whether alerts join their rows or leave them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Add,
    Remove,
}

/// Counts the alerts matching `which` into (or out of) their day rows,
/// each under its vehicle as the vehicle table holds it now.
pub(crate) async fn count<C: ConnectionTrait>(
    connection: &C,
    which: Condition,
    change: Change,
) -> Result<(), StoreError> {
    let sign = match change {
        Change::Add => 1,
        Change::Remove => -1,
    };
    let grouped = grouped_alerts(which, sign);
    let columns = [
        alert_day_tally::Column::Day,
        alert_day_tally::Column::Severity,
        alert_day_tally::Column::AtmTags,
        alert_day_tally::Column::Region,
        alert_day_tally::Column::VehicleTlp,
        alert_day_tally::Column::VehicleOrgs,
        alert_day_tally::Column::VehicleReaders,
        alert_day_tally::Column::Tlp,
        alert_day_tally::Column::SharedWithOrgs,
        alert_day_tally::Column::NamedReaders,
        alert_day_tally::Column::Alerts,
    ];
    let key = &columns[..columns.len() - 1];
    let table = alert_day_tally::Entity.to_string();
    let upsert = OnConflict::columns(key.iter().copied())
        .value(
            alert_day_tally::Column::Alerts,
            Expr::cust(format!("{table}.alerts + excluded.alerts")),
        )
        .to_owned();
    let insert = Query::insert()
        .into_table(alert_day_tally::Entity)
        .columns(columns)
        .select_from(grouped)
        .map_err(|error| StoreError::Corrupt(format!("alert tally columns: {error}")))?
        .on_conflict(upsert)
        .to_owned();
    connection.execute(&insert).await?;
    Ok(())
}

/// The day rows of the alerts matching `which`, counted with `sign`.
fn grouped_alerts(which: Condition, sign: i64) -> SelectStatement {
    let alerts = alert::Entity.to_string();
    let vehicles = vehicle::Entity.to_string();
    let vehicle_column = |column: &str| Expr::cust(format!("COALESCE({vehicles}.{column}, '')"));
    Query::select()
        .expr(Expr::cust(format!("{alerts}.last_seen_us / {DAY_US}")))
        .column((alert::Entity, alert::Column::Severity))
        .column((alert::Entity, alert::Column::AtmTags))
        .expr(vehicle_column("region"))
        .expr(vehicle_column("tlp"))
        .expr(vehicle_column("shared_with_orgs"))
        .expr(vehicle_column("named_readers"))
        .column((alert::Entity, alert::Column::Tlp))
        .column((alert::Entity, alert::Column::SharedWithOrgs))
        .column((alert::Entity, alert::Column::NamedReaders))
        .expr(Expr::cust(format!("{sign} * COUNT(*)")))
        .from(alert::Entity)
        .left_join(
            vehicle::Entity,
            Expr::col((vehicle::Entity, vehicle::Column::Id))
                .equals((alert::Entity, alert::Column::VehicleId)),
        )
        .cond_where(which)
        .add_group_by((1..=10).map(|ordinal| Expr::cust(ordinal.to_string())))
        .to_owned()
}

/// The alert with this ID.
pub(crate) fn alert_with_id(id: &str) -> Condition {
    Condition::all().add(alert::Column::Id.eq(id))
}

/// The alerts raised on this vehicle.
pub(crate) fn alerts_of_vehicle(vehicle_id: &str) -> Condition {
    Condition::all().add(alert::Column::VehicleId.eq(vehicle_id))
}

/// Every stored alert (as an explicit condition: SQLite needs a `WHERE`
/// before `ON CONFLICT` in an `INSERT ... SELECT`).
pub(crate) fn every_alert() -> Condition {
    Condition::all().add(Expr::cust("1 = 1"))
}
