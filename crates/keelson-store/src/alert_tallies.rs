//! Alert counts kept as alerts change instead of counted at every page
//! view, in two tables:
//!
//! - `alert_day_tallies` (the fleet overview and the dashboards) holds, per
//!   UTC day of the last sighting, severity, ATM tags, vehicle region and
//!   the markings of the alert and of its vehicle, how many alerts there
//!   are;
//! - `alert_raised_tallies` (the reports) holds, per UTC day the store
//!   raised the alert, test flag, severity, ATM tags and marking, how many
//!   alerts there are.
//!
//! A row is found by the same grouping SQL whichever way alerts change, in
//! the transaction that changes them:
//!
//! - a new alert adds itself to both;
//! - a merge that moves an alert's last sighting to another day takes it
//!   out of the old day before the update and adds it to the new one after;
//! - registering a vehicle takes its alerts out of the unregistered
//!   vehicle's rows before the insert and adds them under the vehicle after;
//! - the bulk insert of the benchmarks adds each chunk it writes;
//! - the migration that made each table counted the alerts already stored.
//!
//! Alerts are never deleted; their creation time, test flag, severity, tags
//! and marking never change, and vehicles are never updated, so these are
//! all the changes (a raised-day row only ever grows). Because every row
//! carries the markings, the counts stay the same for every reader, and
//! clearance is decided per row when they are read.
//!
//! A day is the time divided by [`DAY_US`] as SQL divides, toward zero, so
//! day 0 also holds the last day before 1970; readers take whole days from
//! day 1 on only and count anything earlier from the alerts themselves.

use sea_orm::sea_query::ExprTrait;
use sea_orm::sea_query::{Expr, OnConflict, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, Iden};

use crate::StoreError;
use crate::entity::{alert, alert_day_tally, alert_raised_tally, vehicle};
use crate::tally::DAY_US;

/// The columns an `alert_raised_tallies` row is keyed by: the day raised,
/// the test flag, severity, tags and marking.
pub(crate) const RAISED_TALLY_KEY: [alert_raised_tally::Column; 7] = [
    alert_raised_tally::Column::Day,
    alert_raised_tally::Column::Test,
    alert_raised_tally::Column::Severity,
    alert_raised_tally::Column::AtmTags,
    alert_raised_tally::Column::Tlp,
    alert_raised_tally::Column::SharedWithOrgs,
    alert_raised_tally::Column::NamedReaders,
];

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
    upsert(connection, alert_day_tally::Entity, &columns, grouped).await
}

/// Counts newly stored alerts matching `which` into their raised-day rows.
pub(crate) async fn count_raised<C: ConnectionTrait>(
    connection: &C,
    which: Condition,
) -> Result<(), StoreError> {
    let alerts = alert::Entity.to_string();
    let grouped = Query::select()
        .expr(Expr::cust(format!("{alerts}.created_at_us / {DAY_US}")))
        .column((alert::Entity, alert::Column::Test))
        .column((alert::Entity, alert::Column::Severity))
        .column((alert::Entity, alert::Column::AtmTags))
        .column((alert::Entity, alert::Column::Tlp))
        .column((alert::Entity, alert::Column::SharedWithOrgs))
        .column((alert::Entity, alert::Column::NamedReaders))
        .expr(Expr::cust("COUNT(*)"))
        .from(alert::Entity)
        .cond_where(which)
        .add_group_by((1..=7).map(|ordinal| Expr::cust(ordinal.to_string())))
        .to_owned();
    let mut columns = RAISED_TALLY_KEY.to_vec();
    columns.push(alert_raised_tally::Column::Alerts);
    upsert(connection, alert_raised_tally::Entity, &columns, grouped).await
}

/// Adds the grouped counts to a tally table: `columns` are its key and, last,
/// its count column `alerts`, in the order `grouped` selects them.
async fn upsert<C, E, Col>(
    connection: &C,
    table: E,
    columns: &[Col],
    grouped: SelectStatement,
) -> Result<(), StoreError>
where
    C: ConnectionTrait,
    E: Iden + Copy + 'static,
    Col: Iden + Copy + 'static,
{
    let Some((count, key)) = columns.split_last() else {
        return Ok(());
    };
    let name = table.to_string();
    let upsert = OnConflict::columns(key.iter().copied())
        .value(
            *count,
            Expr::cust(format!("{name}.alerts + excluded.alerts")),
        )
        .to_owned();
    let insert = Query::insert()
        .into_table(table)
        .columns(columns.iter().copied())
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
