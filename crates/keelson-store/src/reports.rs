//! What reports count, read by time range: incidents with the facts their
//! alerts add (ATM techniques, when the last sighting was stored; kept on
//! the incident row, so a report reads no alert of an incident), alerts
//! raised (listed, or counted per UTC day, kind and marking), inventory
//! vehicles and the vehicles that reported telemetry, containment actions,
//! escalations, advisory publications and the PSIRT cases active in a
//! range. Each range is half-open, `[from_us, to_us)`, in microseconds
//! since the epoch.
//!
//! Every fact that stands for a marked record, or counts records of one
//! marking, carries that marking (or, for containment actions and
//! escalations, names the incident whose marking they share), so the caller
//! can count only what its reader may see; these methods decide nothing
//! about visibility themselves.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use keelson_core::incident::{ResponseTimes, Stamps};
use keelson_core::{IncidentState, Marked, Marking, Severity};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::cases::{Case, cases_from_rows};
use crate::entity::{
    alert, alert_raised_tally, case, case_advisory, event, incident, incident_containment,
    incident_escalation, vehicle,
};
use crate::fleet::{Vehicle, vehicle_from_row};
use crate::incidents::response::{Containment, Escalation, containment_from_row};
use crate::marking::marking_from_columns;
use crate::rules::json_list;
use crate::tally::{DAY_US, cut_days, day_of};
use crate::{Store, StoreError, now_us};

/// A half-open time range, `[from_us, to_us)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from_us: i64,
    pub to_us: i64,
}

impl Range {
    pub fn contains(&self, at_us: i64) -> bool {
        self.from_us <= at_us && at_us < self.to_us
    }
}

/// An incident as reports measure it: what it is, the stamps of its
/// response and the facts its alerts add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFacts {
    pub id: String,
    pub state: IncidentState,
    pub severity: Severity,
    /// The Sigma rule its alerts come from.
    pub sigma_rule: String,
    pub detected_us: i64,
    /// The `contained` stamp (kept when the incident moved on to resolved).
    pub contained_us: Option<i64>,
    pub response_times: ResponseTimes,
    /// The ATM technique IDs of its alerts (each alert carries its rule's).
    pub techniques: BTreeSet<String>,
    /// When a sighting of one of its alerts was last stored (an alert's
    /// creation or the latest merge into it), on the store's clock, the
    /// same clock its stamps use.
    pub last_sighting_stored_us: Option<i64>,
    pub marking: Marking,
}

impl Marked for IncidentFacts {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

/// An alert as reports count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaisedAlert {
    pub id: String,
    pub rule_id: String,
    pub sigma_rule: String,
    pub severity: Severity,
    /// Raised by a rule in `test` status.
    pub test: bool,
    pub vehicle_id: Option<String>,
    pub atm_tags: Vec<String>,
    /// When the store created it.
    pub raised_us: i64,
    pub marking: Marking,
}

impl Marked for RaisedAlert {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

/// Alerts of one kind and marking raised within one UTC day, counted
/// together (see [`Store::alerts_raised_per_day`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaisedAlerts {
    /// The part of that day, within the range asked for, that they were
    /// raised in; a period split at UTC midnights holds it whole or not at
    /// all.
    pub span: Range,
    /// Raised by a rule in `test` status.
    pub test: bool,
    pub severity: Severity,
    pub atm_tags: Vec<String>,
    pub marking: Marking,
    /// How many alerts.
    pub alerts: u64,
}

impl Marked for RaisedAlerts {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

/// An inventory vehicle with the time it was registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredVehicle {
    pub vehicle: Vehicle,
    pub registered_us: i64,
}

impl Marked for RegisteredVehicle {
    fn marking(&self) -> &Marking {
        &self.vehicle.marking
    }
}

/// Inventory vehicles of one model, region and marking registered on one
/// UTC day, counted together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredVehicles {
    /// The first instant of the day they were registered on: they count as
    /// monitored in a period split at UTC midnights from the bucket that
    /// holds it on.
    pub registered_day_us: i64,
    pub model_id: Option<String>,
    pub region: Option<String>,
    pub marking: Marking,
    /// How many vehicles.
    pub vehicles: u64,
}

impl Marked for RegisteredVehicles {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

/// One published advisory revision (without its document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedAdvisory {
    pub case_id: String,
    pub revision: i64,
    pub tracking_id: String,
    pub published_us: i64,
}

/// A case with the times that place it in a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub case: Case,
    pub received_us: i64,
    pub finished_us: Option<i64>,
}

impl Marked for CaseFacts {
    fn marking(&self) -> &Marking {
        &self.case.marking
    }
}

impl Store {
    /// Incidents detected in the range, oldest detection first, each with
    /// the techniques and last stored sighting of its alerts (kept on the
    /// incident, see `incidents::facts`). Only the columns reports measure
    /// are read.
    pub async fn incidents_detected_in(
        &self,
        range: Range,
    ) -> Result<Vec<IncidentFacts>, StoreError> {
        let rows = incident::Entity::find()
            .select_only()
            .columns([
                incident::Column::Id,
                incident::Column::State,
                incident::Column::Severity,
                incident::Column::SigmaRule,
                incident::Column::FirstEventUs,
                incident::Column::DetectedUs,
                incident::Column::AcknowledgedUs,
                incident::Column::ContainedUs,
                incident::Column::ResolvedUs,
                incident::Column::AtmTags,
                incident::Column::LastSightingStoredUs,
                incident::Column::Tlp,
                incident::Column::SharedWithOrgs,
                incident::Column::NamedReaders,
            ])
            .filter(incident::Column::DetectedUs.gte(range.from_us))
            .filter(incident::Column::DetectedUs.lt(range.to_us))
            .order_by_asc(incident::Column::DetectedUs)
            .order_by_asc(incident::Column::Id)
            .into_model::<FactsRow>()
            .all(self.connection())
            .await?;
        let mut parsed = ParsedColumns::default();
        rows.into_iter().map(|row| row.facts(&mut parsed)).collect()
    }

    /// Alerts the store raised in the range, oldest first.
    pub async fn alerts_raised_in(&self, range: Range) -> Result<Vec<RaisedAlert>, StoreError> {
        let rows = alert::Entity::find()
            .filter(alert::Column::CreatedAtUs.gte(range.from_us))
            .filter(alert::Column::CreatedAtUs.lt(range.to_us))
            .order_by_asc(alert::Column::CreatedAtUs)
            .order_by_asc(alert::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(raised_from_row).collect()
    }

    /// The alerts the store raised in the range, counted per UTC day, test
    /// flag, severity, ATM tags and marking, oldest day first. Whole days
    /// come from `alert_raised_tallies`; the parts of a day the range cuts
    /// through are counted from the alerts.
    pub async fn alerts_raised_per_day(
        &self,
        range: Range,
    ) -> Result<Vec<RaisedAlerts>, StoreError> {
        if range.from_us >= range.to_us {
            return Ok(Vec::new());
        }
        let mut reading = RaisedReading::default();
        let cut = cut_days(range.from_us, Some(range.to_us));

        if let Some((first, end)) = cut.days {
            for row in tallied_rows(self.connection(), first, end).await? {
                reading.add(row, range)?;
            }
        }
        for (from_us, to_us) in cut.rest {
            let part = Range {
                from_us,
                to_us: to_us.unwrap_or(range.to_us),
            };
            for row in raised_rows(self.connection(), part).await? {
                reading.add(row, part)?;
            }
        }

        let mut groups = reading.groups;
        groups.sort_by_key(|group| group.span.from_us);
        Ok(groups)
    }

    /// Inventory vehicles registered before `until_us`.
    pub async fn vehicles_registered_before(
        &self,
        until_us: i64,
    ) -> Result<Vec<RegisteredVehicle>, StoreError> {
        let rows = vehicle::Entity::find()
            .filter(vehicle::Column::CreatedAtUs.lt(until_us))
            .order_by_asc(vehicle::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter()
            .map(|row| {
                let registered_us = row.created_at_us;
                Ok(RegisteredVehicle {
                    vehicle: vehicle_from_row(row)?,
                    registered_us,
                })
            })
            .collect()
    }

    /// Inventory vehicles registered before `until_us`, counted per UTC day
    /// of registration, model, region and marking.
    pub async fn vehicles_registered_per_day(
        &self,
        until_us: i64,
    ) -> Result<Vec<RegisteredVehicles>, StoreError> {
        let registered = Condition::all().add(vehicle::Column::CreatedAtUs.lt(until_us));
        registered_groups(self.connection(), registered).await
    }

    /// The inventory vehicles registered before the range's end that sent
    /// an event received in the range, counted as
    /// [`Store::vehicles_registered_per_day`] counts them.
    pub async fn vehicles_reporting_per_day(
        &self,
        range: Range,
    ) -> Result<Vec<RegisteredVehicles>, StoreError> {
        let reporting = Query::select()
            .column(event::Column::VehicleId)
            .from(event::Entity)
            .and_where(event::Column::ReceivedTimeUs.gte(range.from_us))
            .and_where(event::Column::ReceivedTimeUs.lt(range.to_us))
            .and_where(event::Column::VehicleId.is_not_null())
            .to_owned();
        let registered = Condition::all()
            .add(vehicle::Column::CreatedAtUs.lt(range.to_us))
            .add(vehicle::Column::Id.in_subquery(reporting));
        registered_groups(self.connection(), registered).await
    }

    /// Containment actions recorded in the range, oldest first.
    pub async fn containments_recorded_in(
        &self,
        range: Range,
    ) -> Result<Vec<Containment>, StoreError> {
        let rows = incident_containment::Entity::find()
            .filter(incident_containment::Column::RecordedAtUs.gte(range.from_us))
            .filter(incident_containment::Column::RecordedAtUs.lt(range.to_us))
            .order_by_asc(incident_containment::Column::RecordedAtUs)
            .order_by_asc(incident_containment::Column::Id)
            .all(self.connection())
            .await?;
        let now = now_us();
        Ok(rows
            .into_iter()
            .map(|row| containment_from_row(row, now))
            .collect())
    }

    /// Escalations to PSIRT cases made in the range, oldest first.
    pub async fn escalations_made_in(&self, range: Range) -> Result<Vec<Escalation>, StoreError> {
        let rows = incident_escalation::Entity::find()
            .filter(incident_escalation::Column::EscalatedAtUs.gte(range.from_us))
            .filter(incident_escalation::Column::EscalatedAtUs.lt(range.to_us))
            .order_by_asc(incident_escalation::Column::EscalatedAtUs)
            .order_by_asc(incident_escalation::Column::IncidentId)
            .all(self.connection())
            .await?;
        rows.into_iter()
            .map(crate::incidents::response::escalation_from_row)
            .collect()
    }

    /// Advisory revisions published in the range, oldest first.
    pub async fn advisories_published_in(
        &self,
        range: Range,
    ) -> Result<Vec<PublishedAdvisory>, StoreError> {
        let rows = case_advisory::Entity::find()
            .filter(case_advisory::Column::PublishedAtUs.gte(range.from_us))
            .filter(case_advisory::Column::PublishedAtUs.lt(range.to_us))
            .order_by_asc(case_advisory::Column::PublishedAtUs)
            .order_by_asc(case_advisory::Column::CaseId)
            .all(self.connection())
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| PublishedAdvisory {
                case_id: row.case_id,
                revision: row.revision,
                tracking_id: row.tracking_id,
                published_us: row.published_at_us,
            })
            .collect())
    }

    /// Cases open at some time in the range: received before its end and
    /// not finished before its start. Oldest received first.
    pub async fn cases_active_in(&self, range: Range) -> Result<Vec<CaseFacts>, StoreError> {
        let unfinished_at_start = Condition::any()
            .add(case::Column::FinishedAtUs.is_null())
            .add(case::Column::FinishedAtUs.gte(range.from_us));
        let rows = case::Entity::find()
            .filter(case::Column::ReceivedAtUs.lt(range.to_us))
            .filter(unfinished_at_start)
            .order_by_asc(case::Column::ReceivedAtUs)
            .order_by_asc(case::Column::Id)
            .all(self.connection())
            .await?;
        let times: BTreeMap<String, (i64, Option<i64>)> = rows
            .iter()
            .map(|row| (row.id.clone(), (row.received_at_us, row.finished_at_us)))
            .collect();
        let cases = cases_from_rows(self.connection(), rows).await?;
        Ok(cases
            .into_iter()
            .map(|case| {
                let (received_us, finished_us) = times.get(&case.id).copied().unwrap_or_default();
                CaseFacts {
                    case,
                    received_us,
                    finished_us,
                }
            })
            .collect())
    }
}

/// A group of raised alerts as SQL counts it.
#[derive(Debug, FromQueryResult)]
struct RaisedRow {
    day: i64,
    test: bool,
    severity: String,
    atm_tags: String,
    tlp: String,
    shared_with_orgs: String,
    named_readers: String,
    n: i64,
}

/// The raised-day tallies of days `first` up to `end` (excluded; no end
/// when `None`).
async fn tallied_rows(
    connection: &DatabaseConnection,
    first: i64,
    end: Option<i64>,
) -> Result<Vec<RaisedRow>, StoreError> {
    let mut days = Condition::all().add(alert_raised_tally::Column::Day.gte(first));
    if let Some(end) = end {
        days = days.add(alert_raised_tally::Column::Day.lt(end));
    }
    let rows = alert_raised_tally::Entity::find()
        .select_only()
        .columns(crate::alert_tallies::RAISED_TALLY_KEY)
        .column_as(alert_raised_tally::Column::Alerts, "n")
        .filter(days)
        .filter(alert_raised_tally::Column::Alerts.ne(0))
        .into_model::<RaisedRow>()
        .all(connection)
        .await?;
    Ok(rows)
}

/// The alerts raised in `part`, counted per day and kind from the rows.
async fn raised_rows(
    connection: &DatabaseConnection,
    part: Range,
) -> Result<Vec<RaisedRow>, StoreError> {
    let grouped = alert::Entity::find()
        .select_only()
        .column_as(day_of("created_at_us"), "day")
        .columns([
            alert::Column::Test,
            alert::Column::Severity,
            alert::Column::AtmTags,
            alert::Column::Tlp,
            alert::Column::SharedWithOrgs,
            alert::Column::NamedReaders,
        ])
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(alert::Column::CreatedAtUs.gte(part.from_us))
        .filter(alert::Column::CreatedAtUs.lt(part.to_us))
        .group_by(Expr::cust("1"))
        .group_by(alert::Column::Test)
        .group_by(alert::Column::Severity)
        .group_by(alert::Column::AtmTags)
        .group_by(alert::Column::Tlp)
        .group_by(alert::Column::SharedWithOrgs)
        .group_by(alert::Column::NamedReaders)
        .into_model::<RaisedRow>()
        .all(connection)
        .await?;
    Ok(grouped)
}

/// A group of inventory vehicles as SQL counts it.
#[derive(Debug, FromQueryResult)]
struct VehicleRow {
    day: i64,
    model_id: Option<String>,
    region: Option<String>,
    tlp: String,
    shared_with_orgs: String,
    named_readers: String,
    n: i64,
}

/// The vehicles matching `which`, counted per day of registration, model,
/// region and marking.
async fn registered_groups(
    connection: &DatabaseConnection,
    which: Condition,
) -> Result<Vec<RegisteredVehicles>, StoreError> {
    let rows = vehicle::Entity::find()
        .select_only()
        .column_as(day_of("created_at_us"), "day")
        .columns([
            vehicle::Column::ModelId,
            vehicle::Column::Region,
            vehicle::Column::Tlp,
            vehicle::Column::SharedWithOrgs,
            vehicle::Column::NamedReaders,
        ])
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(which)
        .group_by(Expr::cust("1"))
        .group_by(vehicle::Column::ModelId)
        .group_by(vehicle::Column::Region)
        .group_by(vehicle::Column::Tlp)
        .group_by(vehicle::Column::SharedWithOrgs)
        .group_by(vehicle::Column::NamedReaders)
        .into_model::<VehicleRow>()
        .all(connection)
        .await?;

    let mut parsed = ParsedColumns::default();
    let mut groups = Vec::with_capacity(rows.len());
    for row in rows {
        groups.push(RegisteredVehicles {
            registered_day_us: row.day.checked_mul(DAY_US).unwrap_or(i64::MIN),
            marking: parsed.marking(row.tlp, row.shared_with_orgs, row.named_readers)?,
            model_id: row.model_id,
            region: row.region,
            vehicles: u64::try_from(row.n).unwrap_or(0),
        });
    }
    groups.sort_by_key(|group| group.registered_day_us);
    Ok(groups)
}

/// The columns of an incident that reports measure.
#[derive(Debug, FromQueryResult)]
struct FactsRow {
    id: String,
    state: String,
    severity: String,
    sigma_rule: String,
    first_event_us: i64,
    detected_us: i64,
    acknowledged_us: Option<i64>,
    contained_us: Option<i64>,
    resolved_us: Option<i64>,
    atm_tags: String,
    last_sighting_stored_us: Option<i64>,
    tlp: String,
    shared_with_orgs: String,
    named_readers: String,
}

impl FactsRow {
    fn facts(self, parsed: &mut ParsedColumns) -> Result<IncidentFacts, StoreError> {
        let corrupt = |what: &str, error: &dyn std::fmt::Display| {
            StoreError::Corrupt(format!("incident {} {what}: {error}", self.id))
        };
        let state = self.state.parse().map_err(|e| corrupt("state", &e))?;
        let severity = self.severity.parse().map_err(|e| corrupt("severity", &e))?;
        let stamps = Stamps {
            first_event_us: self.first_event_us,
            detected_us: self.detected_us,
            acknowledged_us: self.acknowledged_us,
            contained_us: self.contained_us,
            resolved_us: self.resolved_us,
        };

        Ok(IncidentFacts {
            techniques: parsed.tags(self.atm_tags)?.into_iter().collect(),
            marking: parsed.marking(self.tlp, self.shared_with_orgs, self.named_readers)?,
            response_times: stamps.response_times(),
            id: self.id,
            state,
            severity,
            sigma_rule: self.sigma_rule,
            detected_us: self.detected_us,
            contained_us: self.contained_us,
            last_sighting_stored_us: self.last_sighting_stored_us,
        })
    }
}

/// Markings and tag lists as their columns hold them, each distinct text
/// parsed once: a period's rows share a few dozen of each.
#[derive(Default)]
struct ParsedColumns {
    markings: HashMap<(String, String, String), Marking>,
    tags: HashMap<String, Vec<String>>,
}

impl ParsedColumns {
    fn marking(
        &mut self,
        tlp: String,
        shared_with_orgs: String,
        named_readers: String,
    ) -> Result<Marking, StoreError> {
        let key = (tlp, shared_with_orgs, named_readers);
        if let Some(marking) = self.markings.get(&key) {
            return Ok(marking.clone());
        }
        let marking = marking_from_columns(&key.0, &key.1, &key.2)?;
        self.markings.insert(key, marking.clone());
        Ok(marking)
    }

    fn tags(&mut self, text: String) -> Result<Vec<String>, StoreError> {
        if let Some(tags) = self.tags.get(&text) {
            return Ok(tags.clone());
        }
        let tags = json_list(&text, "tags")?;
        self.tags.insert(text, tags.clone());
        Ok(tags)
    }
}

/// Raised-alert groups being read.
#[derive(Default)]
struct RaisedReading {
    groups: Vec<RaisedAlerts>,
    parsed: ParsedColumns,
}

impl RaisedReading {
    /// Adds a group of day `row.day`, within `part` of the range.
    fn add(&mut self, row: RaisedRow, part: Range) -> Result<(), StoreError> {
        let day_start = row.day.checked_mul(DAY_US).unwrap_or(i64::MIN);
        let day_end = day_start.checked_add(DAY_US).unwrap_or(i64::MAX);
        let span = Range {
            from_us: day_start.max(part.from_us),
            to_us: day_end.min(part.to_us),
        };
        let severity = row
            .severity
            .parse()
            .map_err(|error| StoreError::Corrupt(format!("alert severity: {error}")))?;

        let marking = self
            .parsed
            .marking(row.tlp, row.shared_with_orgs, row.named_readers)?;
        let group = RaisedAlerts {
            span,
            test: row.test,
            severity,
            atm_tags: self.parsed.tags(row.atm_tags)?,
            marking,
            alerts: u64::try_from(row.n).unwrap_or(0),
        };
        self.groups.push(group);
        Ok(())
    }
}

fn raised_from_row(row: alert::Model) -> Result<RaisedAlert, StoreError> {
    let marking = marking_from_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)?;
    let severity = row
        .severity
        .parse()
        .map_err(|error| StoreError::Corrupt(format!("alert {}: {error}", row.id)))?;
    Ok(RaisedAlert {
        atm_tags: json_list(&row.atm_tags, "alert tags")?,
        severity,
        marking,
        id: row.id,
        rule_id: row.rule_id,
        sigma_rule: row.sigma_rule,
        test: row.test,
        vehicle_id: row.vehicle_id,
        raised_us: row.created_at_us,
    })
}
