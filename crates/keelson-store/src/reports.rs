//! What reports count, read by time range: incidents with the facts their
//! alerts add (ATM techniques, when the last sighting was stored), alerts
//! raised, inventory vehicles and the vehicles that reported telemetry,
//! containment actions, escalations, advisory publications and the PSIRT
//! cases active in a range. Each range is half-open, `[from_us, to_us)`,
//! in microseconds since the epoch.
//!
//! Every fact that stands for a marked record carries that record's marking
//! (or, for containment actions and escalations, names the incident whose
//! marking they share), so the caller can count only what its reader may
//! see; these methods decide nothing about visibility themselves.

use std::collections::{BTreeMap, BTreeSet};

use keelson_core::{Marked, Marking, Severity};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::cases::{Case, cases_from_rows};
use crate::entity::{
    alert, case, case_advisory, event, incident, incident_alert, incident_containment,
    incident_escalation, vehicle,
};
use crate::fleet::{Vehicle, vehicle_from_row};
use crate::incidents::IncidentRecord;
use crate::incidents::response::{Containment, Escalation, containment_from_row};
use crate::marking::marking_from_columns;
use crate::rules::json_list;
use crate::{IN_CHUNK, Store, StoreError, now_us};

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

/// An incident with the stamps and alert facts reports measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFacts {
    pub record: IncidentRecord,
    pub detected_us: i64,
    /// The `contained` stamp (kept when the incident moved on to resolved).
    pub contained_us: Option<i64>,
    /// The ATM technique IDs of its alerts (each alert carries its rule's).
    pub techniques: BTreeSet<String>,
    /// When a sighting of one of its alerts was last stored (an alert's
    /// creation or the latest merge into it), on the store's clock, the
    /// same clock its stamps use.
    pub last_sighting_stored_us: Option<i64>,
}

impl Marked for IncidentFacts {
    fn marking(&self) -> &Marking {
        &self.record.marking
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
    /// the techniques and last stored sighting of its alerts.
    pub async fn incidents_detected_in(
        &self,
        range: Range,
    ) -> Result<Vec<IncidentFacts>, StoreError> {
        let rows = incident::Entity::find()
            .filter(incident::Column::DetectedUs.gte(range.from_us))
            .filter(incident::Column::DetectedUs.lt(range.to_us))
            .order_by_asc(incident::Column::DetectedUs)
            .order_by_asc(incident::Column::Id)
            .all(self.connection())
            .await?;
        let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
        let mut alerts = self.alert_facts_of_incidents(&ids).await?;
        let mut facts = Vec::with_capacity(rows.len());
        for row in rows {
            let (techniques, last) = alerts.remove(&row.id).unwrap_or_default();
            facts.push(IncidentFacts {
                detected_us: row.detected_us,
                contained_us: row.contained_us,
                techniques,
                last_sighting_stored_us: last,
                record: crate::incidents::incident_from_row(row)?,
            });
        }
        Ok(facts)
    }

    /// Per incident: the union of its alerts' ATM tags and the latest time
    /// one of its alerts was stored or merged into.
    async fn alert_facts_of_incidents(
        &self,
        incident_ids: &[String],
    ) -> Result<BTreeMap<String, (BTreeSet<String>, Option<i64>)>, StoreError> {
        let mut facts: BTreeMap<String, (BTreeSet<String>, Option<i64>)> = BTreeMap::new();
        for chunk in incident_ids.chunks(IN_CHUNK) {
            let links = incident_alert::Entity::find()
                .filter(incident_alert::Column::IncidentId.is_in(chunk.iter().cloned()))
                .all(self.connection())
                .await?;
            let incident_of: BTreeMap<String, String> = links
                .into_iter()
                .map(|link| (link.alert_id, link.incident_id))
                .collect();
            let alert_ids: Vec<String> = incident_of.keys().cloned().collect();
            for alert_chunk in alert_ids.chunks(IN_CHUNK) {
                let alerts = alert::Entity::find()
                    .filter(alert::Column::Id.is_in(alert_chunk.iter().cloned()))
                    .all(self.connection())
                    .await?;
                for row in alerts {
                    let Some(incident_id) = incident_of.get(&row.id) else {
                        continue;
                    };
                    let entry = facts.entry(incident_id.clone()).or_default();
                    entry.0.extend(json_list(&row.atm_tags, "alert tags")?);
                    entry.1 = entry.1.max(Some(row.updated_at_us.max(row.created_at_us)));
                }
            }
        }
        Ok(facts)
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

    /// The distinct vehicle IDs of events received in the range.
    pub async fn vehicles_reporting_in(&self, range: Range) -> Result<Vec<String>, StoreError> {
        let ids: Vec<Option<String>> = event::Entity::find()
            .select_only()
            .column(event::Column::VehicleId)
            .distinct()
            .filter(event::Column::ReceivedTimeUs.gte(range.from_us))
            .filter(event::Column::ReceivedTimeUs.lt(range.to_us))
            .filter(event::Column::VehicleId.is_not_null())
            .into_tuple()
            .all(self.connection())
            .await?;
        let unique: BTreeSet<String> = ids.into_iter().flatten().collect();
        Ok(unique.into_iter().collect())
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
