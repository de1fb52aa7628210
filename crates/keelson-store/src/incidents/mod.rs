//! VSOC incidents at rest. Every new alert (but those of rules in `test`
//! status) joins an incident in the same transaction that stores it: the open incident of the same Sigma rule,
//! scope (the alert's build, else its vehicle's model) and marking whose
//! last alert lies within the grouping window, or a new one. An incident
//! therefore carries exactly its alerts' marking, and one alert belongs to
//! one incident. Analysts move incidents along the response states
//! (`keelson_core::incident`), each move stamped and audited with its
//! reason, and merge or split them; the stamps give the response times.

pub(crate) mod facts;
pub mod response;

use std::collections::{BTreeMap, BTreeSet};

use keelson_core::incident::{IncidentMoveRefused, ResponseTimes, Stamps};
use keelson_core::{IncidentState, Marked, Marking, Severity};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, FromQueryResult,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, QueryTrait, TransactionTrait,
};
use serde::Serialize;

use self::facts::AlertFacts;
use crate::audit::{self, AuditEvent};
use crate::entity::{alert, incident, incident_alert, incident_comment, vehicle};
use crate::marking::marking_from_columns;
use crate::paging::{COUNT_CAP, CappedCount, Cursor, ListPage, before, fill_page};
use crate::readable::{MarkingOf, Readable};
use crate::tally;
use crate::{Store, StoreError, format_us, new_id, now_us};

/// A stored incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IncidentRecord {
    pub id: String,
    pub title: String,
    pub state: IncidentState,
    /// The highest severity of its alerts, or as an analyst set it.
    pub severity: Severity,
    /// The Sigma rule its alerts come from.
    pub sigma_rule: String,
    /// The build its alerts were raised on, when they name one.
    pub build_id: Option<String>,
    /// Otherwise the vehicle model of their vehicle, when known.
    pub model_id: Option<String>,
    pub owner: Option<String>,
    pub custom_fields: BTreeMap<String, String>,
    /// The first event its alerts cite.
    pub first_event: String,
    /// When its first alert was stored.
    pub detected: String,
    /// The last sighting of its alerts.
    pub last_seen: String,
    pub acknowledged: Option<String>,
    pub investigating: Option<String>,
    pub contained: Option<String>,
    pub resolved: Option<String>,
    pub false_positive: Option<String>,
    pub response_times: ResponseTimes,
    pub marking: Marking,
    pub created_at: String,
    pub updated_at: String,
}

impl Marked for IncidentRecord {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

/// Filters of the incident list; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub state: Option<IncidentState>,
    pub severity: Option<Severity>,
    pub sigma_rule: Option<String>,
    /// Detected at or after this time (microseconds since the epoch).
    pub detected_since_us: Option<i64>,
    /// Detected before this time.
    pub detected_until_us: Option<i64>,
    /// Last seen at or after this time.
    pub seen_since_us: Option<i64>,
    /// Only incidents whose response goes on (see `IncidentState::is_open`).
    pub open_only: bool,
}

impl IncidentFilter {
    pub(crate) fn condition(&self) -> Condition {
        let mut condition = Condition::all();
        if let Some(state) = self.state {
            condition = condition.add(incident::Column::State.eq(state.as_str()));
        }
        if self.open_only {
            let open = IncidentState::ALL.iter().filter(|state| state.is_open());
            condition = condition.add(incident::Column::State.is_in(open.map(|s| s.as_str())));
        }
        if let Some(severity) = self.severity {
            condition = condition.add(incident::Column::Severity.eq(severity.as_str()));
        }
        if let Some(rule) = &self.sigma_rule {
            condition = condition.add(incident::Column::SigmaRule.eq(rule.as_str()));
        }
        if let Some(since) = self.detected_since_us {
            condition = condition.add(incident::Column::DetectedUs.gte(since));
        }
        if let Some(until) = self.detected_until_us {
            condition = condition.add(incident::Column::DetectedUs.lt(until));
        }
        if let Some(since) = self.seen_since_us {
            condition = condition.add(incident::Column::LastSeenUs.gte(since));
        }
        condition
    }
}

/// The marking columns of the incident table.
pub(crate) const INCIDENT_MARKING: MarkingOf<incident::Column> = MarkingOf {
    tlp: incident::Column::Tlp,
    shared_with_orgs: incident::Column::SharedWithOrgs,
    named_readers: incident::Column::NamedReaders,
};

/// What the fleet overview counts of incidents (see [`Store::incident_tally`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentTally {
    /// Open incidents per severity.
    pub open: BTreeMap<Severity, u64>,
    /// Detection time (microseconds) and response times of each incident
    /// detected in the period.
    pub detected: Vec<(i64, ResponseTimes)>,
}

#[derive(Debug, FromQueryResult)]
struct SeverityGroup {
    severity: String,
    tlp: String,
    shared_with_orgs: String,
    named_readers: String,
    n: i64,
}

/// An incident's stamps and marking, all the response trend reads.
#[derive(Debug, FromQueryResult)]
struct StampRow {
    first_event_us: i64,
    detected_us: i64,
    acknowledged_us: Option<i64>,
    contained_us: Option<i64>,
    resolved_us: Option<i64>,
    tlp: String,
    shared_with_orgs: String,
    named_readers: String,
}

impl StampRow {
    fn stamps(&self) -> Stamps {
        Stamps {
            first_event_us: self.first_event_us,
            detected_us: self.detected_us,
            acknowledged_us: self.acknowledged_us,
            contained_us: self.contained_us,
            resolved_us: self.resolved_us,
        }
    }
}

/// Field changes; `None` leaves a field as it is, `owner: Some(None)`
/// clears the owner, and `custom_fields` replaces them all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentChanges {
    pub owner: Option<Option<String>>,
    pub severity: Option<Severity>,
    pub custom_fields: Option<BTreeMap<String, String>>,
}

/// What an incident's alerts reach: the vehicles, builds and regions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IncidentScope {
    /// How many distinct vehicles its alerts were raised on.
    pub vehicles_affected: u64,
    pub vehicle_ids: Vec<String>,
    pub build_ids: Vec<String>,
    /// The inventory regions of those vehicles, where recorded.
    pub regions: Vec<String>,
}

/// A comment on an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IncidentComment {
    pub id: String,
    pub author: String,
    pub body: String,
    pub at: String,
}

/// Why a change to an incident was refused.
#[derive(Debug, thiserror::Error)]
pub enum IncidentError {
    #[error("incident {0} not found")]
    NotFound(String),
    #[error(transparent)]
    Move(#[from] IncidentMoveRefused),
    #[error("{0}")]
    Invalid(String),
    #[error("incident {incident} was already escalated to case {case}")]
    Escalated { incident: String, case: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for IncidentError {
    fn from(error: sea_orm::DbErr) -> Self {
        IncidentError::Store(error.into())
    }
}

impl Store {
    pub async fn incident(&self, id: &str) -> Result<Option<IncidentRecord>, StoreError> {
        let row = incident::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?;
        row.map(incident_from_row).transpose()
    }

    /// Incidents matching the filter, most recently seen first.
    pub async fn list_incidents(
        &self,
        filter: &IncidentFilter,
    ) -> Result<Vec<IncidentRecord>, StoreError> {
        let rows = incident::Entity::find()
            .filter(filter.condition())
            .order_by_desc(incident::Column::LastSeenUs)
            .order_by_desc(incident::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(incident_from_row).collect()
    }

    /// One page of the incidents matching the filter that the reader may
    /// read, most recently seen first, starting after `after`.
    pub async fn incident_page(
        &self,
        filter: &IncidentFilter,
        reader: &Readable<'_>,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<ListPage<IncidentRecord>, StoreError> {
        let condition = filter.condition().add(reader.condition(INCIDENT_MARKING));
        let fetch = |after: Option<Cursor>, n: u64| {
            let mut condition = condition.clone();
            if let Some(after) = &after {
                let later = before(incident::Column::LastSeenUs, incident::Column::Id, after);
                condition = condition.add(later);
            }
            async move {
                let rows = incident::Entity::find()
                    .filter(condition)
                    .order_by_desc(incident::Column::LastSeenUs)
                    .order_by_desc(incident::Column::Id)
                    .limit(n)
                    .all(self.connection())
                    .await?;
                rows.into_iter().map(placed_incident).collect()
            }
        };
        let admits = |incident: &IncidentRecord| reader.admits(&incident.marking);
        fill_page(limit, after, fetch, admits).await
    }

    /// How many incidents matching the filter the reader may read, exact
    /// up to [`COUNT_CAP`].
    pub async fn count_incidents(
        &self,
        filter: &IncidentFilter,
        reader: &Readable<'_>,
    ) -> Result<CappedCount, StoreError> {
        let matching = incident::Entity::find()
            .select_only()
            .columns([
                incident::Column::Tlp,
                incident::Column::SharedWithOrgs,
                incident::Column::NamedReaders,
            ])
            .filter(filter.condition().add(reader.condition(INCIDENT_MARKING)))
            .limit(COUNT_CAP + 1)
            .into_query();
        tally::capped_count(self.connection(), matching, reader).await
    }

    /// The fleet overview's counts of the incidents the reader may read:
    /// the open ones per severity, and the response times of those
    /// detected at or after `detected_since_us`, with their detection time.
    pub async fn incident_tally(
        &self,
        reader: &Readable<'_>,
        detected_since_us: i64,
    ) -> Result<IncidentTally, StoreError> {
        let open = IncidentFilter {
            open_only: true,
            ..IncidentFilter::default()
        };
        let groups = incident::Entity::find()
            .select_only()
            .columns([
                incident::Column::Severity,
                incident::Column::Tlp,
                incident::Column::SharedWithOrgs,
                incident::Column::NamedReaders,
            ])
            .column_as(Expr::cust("COUNT(*)"), "n")
            .filter(open.condition().add(reader.condition(INCIDENT_MARKING)))
            .group_by(incident::Column::Severity)
            .group_by(incident::Column::Tlp)
            .group_by(incident::Column::SharedWithOrgs)
            .group_by(incident::Column::NamedReaders)
            .into_model::<SeverityGroup>()
            .all(self.connection())
            .await?;
        let mut tally = IncidentTally::default();
        for group in groups {
            if reader.admits_columns(&group.tlp, &group.shared_with_orgs, &group.named_readers)? {
                let severity: Severity = group
                    .severity
                    .parse()
                    .map_err(|error| StoreError::Corrupt(format!("incident severity: {error}")))?;
                *tally.open.entry(severity).or_default() += u64::try_from(group.n).unwrap_or(0);
            }
        }

        let detected = incident::Entity::find()
            .select_only()
            .columns([
                incident::Column::FirstEventUs,
                incident::Column::DetectedUs,
                incident::Column::AcknowledgedUs,
                incident::Column::ContainedUs,
                incident::Column::ResolvedUs,
                incident::Column::Tlp,
                incident::Column::SharedWithOrgs,
                incident::Column::NamedReaders,
            ])
            .filter(incident::Column::DetectedUs.gte(detected_since_us))
            .filter(reader.condition(INCIDENT_MARKING))
            .into_model::<StampRow>()
            .all(self.connection())
            .await?;
        for row in detected {
            if reader.admits_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)? {
                let stamps = row.stamps();
                tally
                    .detected
                    .push((row.detected_us, stamps.response_times()));
            }
        }
        Ok(tally)
    }

    /// The IDs of an incident's alerts, oldest first.
    pub async fn incident_alert_ids(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let rows = member_alerts(self.connection(), id).await?;
        Ok(rows.into_iter().map(|row| row.id).collect())
    }

    /// The vehicles, builds and regions an incident's alerts reach.
    pub async fn incident_scope(&self, id: &str) -> Result<IncidentScope, StoreError> {
        let alerts = member_alerts(self.connection(), id).await?;
        let vehicle_ids: BTreeSet<String> =
            alerts.iter().filter_map(|a| a.vehicle_id.clone()).collect();
        let build_ids: BTreeSet<String> =
            alerts.iter().filter_map(|a| a.build_id.clone()).collect();
        let vehicles = vehicle::Entity::find()
            .filter(vehicle::Column::Id.is_in(vehicle_ids.iter().cloned()))
            .all(self.connection())
            .await?;
        let regions: BTreeSet<String> = vehicles.into_iter().filter_map(|v| v.region).collect();
        Ok(IncidentScope {
            vehicles_affected: vehicle_ids.len() as u64,
            vehicle_ids: vehicle_ids.into_iter().collect(),
            build_ids: build_ids.into_iter().collect(),
            regions: regions.into_iter().collect(),
        })
    }

    /// The incident an alert belongs to.
    pub async fn incident_of_alert(&self, alert_id: &str) -> Result<Option<String>, StoreError> {
        let row = incident_alert::Entity::find_by_id(alert_id.to_owned())
            .one(self.connection())
            .await?;
        Ok(row.map(|row| row.incident_id))
    }

    /// Moves an incident to another response state, stamping it and the
    /// states it skips; a move the workflow does not have is refused naming
    /// the allowed ones.
    pub async fn transition_incident(
        &self,
        actor: &str,
        id: &str,
        to: IncidentState,
        reason: &str,
    ) -> Result<IncidentRecord, IncidentError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(IncidentError::Invalid(
                "reason: every transition needs a reason".to_owned(),
            ));
        }
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let row = require(&txn, id).await?;
        let before = incident_from_row(row.clone())?;
        before.state.check_transition(to)?;

        let mut change = row.clone().into_active_model();
        stamp(&mut change, &row, before.state, to, now_us());
        change.state = Set(to.as_str().to_owned());
        change.updated_at_us = Set(now_us());
        let after = incident_from_row(incident::Entity::update(change).exec(&txn).await?)?;
        let entry = AuditEvent::new(actor, "incident.transition", "incident", id)
            .before(to_value(&before))
            .after(to_value(&after))
            .detail(format!("{} -> {}: {reason}", before.state, to));
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(after)
    }

    /// Changes an incident's owner, severity or custom fields.
    pub async fn update_incident(
        &self,
        actor: &str,
        id: &str,
        changes: IncidentChanges,
    ) -> Result<IncidentRecord, IncidentError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let row = require(&txn, id).await?;
        let before = incident_from_row(row.clone())?;
        let mut change = row.into_active_model();
        if let Some(owner) = changes.owner {
            change.owner = Set(owner);
        }
        if let Some(severity) = changes.severity {
            change.severity = Set(severity.as_str().to_owned());
        }
        if let Some(fields) = &changes.custom_fields {
            change.custom_fields = Set(serde_json::to_string(fields).unwrap_or_default());
        }
        change.updated_at_us = Set(now_us());
        let after = incident_from_row(incident::Entity::update(change).exec(&txn).await?)?;
        let entry = AuditEvent::new(actor, "incident.update", "incident", id)
            .before(to_value(&before))
            .after(to_value(&after));
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(after)
    }

    /// Adds a comment to an incident.
    pub async fn comment_incident(
        &self,
        actor: &str,
        id: &str,
        body: &str,
    ) -> Result<IncidentComment, IncidentError> {
        if body.trim().is_empty() {
            return Err(IncidentError::Invalid(
                "body: a comment needs text".to_owned(),
            ));
        }
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        require(&txn, id).await?;
        let row = incident_comment::Model {
            id: new_id(),
            incident_id: id.to_owned(),
            author: actor.to_owned(),
            body: body.to_owned(),
            at_us: now_us(),
        };
        incident_comment::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&txn)
            .await?;
        let comment = comment_from_row(row);
        let entry =
            AuditEvent::new(actor, "incident.comment", "incident", id).after(to_value(&comment));
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(comment)
    }

    /// An incident's comments, oldest first.
    pub async fn incident_comments(&self, id: &str) -> Result<Vec<IncidentComment>, StoreError> {
        let rows = incident_comment::Entity::find()
            .filter(incident_comment::Column::IncidentId.eq(id))
            .order_by_asc(incident_comment::Column::AtUs)
            .order_by_asc(incident_comment::Column::Id)
            .all(self.connection())
            .await?;
        Ok(rows.into_iter().map(comment_from_row).collect())
    }

    /// Moves the alerts and comments of `from` into `into` and removes the
    /// emptied incidents. Incidents of different markings are not merged
    /// (the result would show each one's alerts to the other's readers).
    pub async fn merge_incidents(
        &self,
        actor: &str,
        into: &str,
        from: &[String],
    ) -> Result<IncidentRecord, IncidentError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let target = require(&txn, into).await?;
        for id in from {
            if id == into {
                return Err(IncidentError::Invalid(format!(
                    "from: incident {id} cannot be merged into itself"
                )));
            }
            let merged = require(&txn, id).await?;
            if !same_marking(&merged, &target) {
                return Err(IncidentError::Invalid(format!(
                    "from: incident {id} has another marking than {into}"
                )));
            }
            move_members(&txn, id, into).await?;
            let before = incident_from_row(merged)?;
            incident::Entity::delete_by_id(id.clone())
                .exec(&txn)
                .await?;
            let entry = AuditEvent::new(actor, "incident.merge", "incident", id)
                .before(to_value(&before))
                .detail(format!("merged into {into}"));
            audit::append(&txn, entry).await?;
        }
        let after = resummarise(&txn, target).await?;
        let entry = AuditEvent::new(actor, "incident.merge", "incident", into)
            .after(to_value(&after))
            .detail(format!("took {}", from.join(", ")));
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(after)
    }

    /// Moves some of an incident's alerts into a new incident (state `new`,
    /// same rule, scope and marking); both are summarised again from their
    /// alerts. At least one alert must stay.
    pub async fn split_incident(
        &self,
        actor: &str,
        id: &str,
        alert_ids: &[String],
    ) -> Result<IncidentRecord, IncidentError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let source = require(&txn, id).await?;
        let members = member_alerts(&txn, id).await?;
        let (moving, staying): (Vec<_>, Vec<_>) = members
            .into_iter()
            .partition(|alert| alert_ids.contains(&alert.id));
        if moving.len() != alert_ids.len() || moving.is_empty() {
            return Err(IncidentError::Invalid(format!(
                "alerts: every alert to split off must belong to incident {id}"
            )));
        }
        if staying.is_empty() {
            return Err(IncidentError::Invalid(
                "alerts: a split must leave the incident at least one alert".to_owned(),
            ));
        }

        let new = new_incident_row(&source, &moving)?;
        incident::Entity::insert(new.clone().into_active_model())
            .exec_without_returning(&txn)
            .await?;
        for alert in &moving {
            let mut link = incident_alert::Entity::find_by_id(alert.id.clone())
                .one(&txn)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("alert {} unlinked", alert.id)))?
                .into_active_model();
            link.incident_id = Set(new.id.clone());
            incident_alert::Entity::update(link).exec(&txn).await?;
        }
        let remaining = resummarise(&txn, source).await?;
        let split = incident_from_row(new)?;
        let entry = AuditEvent::new(actor, "incident.split", "incident", id)
            .after(to_value(&remaining))
            .detail(format!(
                "alerts {} moved to {}",
                alert_ids.join(", "),
                split.id
            ));
        audit::append(&txn, entry).await?;
        let entry = AuditEvent::new(actor, "incident.open", "incident", &split.id)
            .after(to_value(&split))
            .detail(format!("split from {id}"));
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(split)
    }
}

/// Puts a newly stored alert into its incident (see the module's rule),
/// within the transaction that stored it. An alert of a rule in `test`
/// status joins none: such a rule is being tried out, and its alerts are
/// for the detection engineer, not for the responders' queue.
pub(crate) async fn group_alert(
    txn: &DatabaseTransaction,
    actor: &str,
    alert: &alert::Model,
    window_us: i64,
) -> Result<(), StoreError> {
    if alert.test {
        return Ok(());
    }
    let model_id = match (&alert.build_id, &alert.vehicle_id) {
        (None, Some(vehicle)) => vehicle::Entity::find_by_id(vehicle.clone())
            .one(txn)
            .await?
            .and_then(|row| row.model_id),
        _ => None,
    };
    let open = open_incident_for(txn, alert, model_id.as_deref(), window_us).await?;
    let link = incident_alert::Model {
        alert_id: alert.id.clone(),
        incident_id: String::new(),
    };
    match open {
        Some(row) => {
            let id = row.id.clone();
            incident_alert::Entity::insert(
                incident_alert::Model {
                    incident_id: id.clone(),
                    ..link
                }
                .into_active_model(),
            )
            .exec_without_returning(txn)
            .await?;
            let after = resummarise(txn, row).await?;
            let entry = AuditEvent::new(actor, "incident.alert_added", "incident", &id)
                .after(to_value(&after))
                .detail(format!("alert {}", alert.id));
            audit::append(txn, entry).await?;
        }
        None => {
            let row = first_incident_row(alert, model_id)?;
            incident::Entity::insert(row.clone().into_active_model())
                .exec_without_returning(txn)
                .await?;
            incident_alert::Entity::insert(
                incident_alert::Model {
                    incident_id: row.id.clone(),
                    ..link
                }
                .into_active_model(),
            )
            .exec_without_returning(txn)
            .await?;
            let record = incident_from_row(row)?;
            let entry = AuditEvent::new(actor, "incident.open", "incident", &record.id)
                .after(to_value(&record))
                .detail(format!("alert {}", alert.id));
            audit::append(txn, entry).await?;
        }
    }
    Ok(())
}

/// Brings the incident of an alert that took another sighting up to date
/// (last seen, first event, severity).
pub(crate) async fn alert_changed(
    txn: &DatabaseTransaction,
    alert_id: &str,
) -> Result<(), StoreError> {
    let Some(link) = incident_alert::Entity::find_by_id(alert_id.to_owned())
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    if let Some(row) = incident::Entity::find_by_id(link.incident_id)
        .one(txn)
        .await?
    {
        resummarise(txn, row).await?;
    }
    Ok(())
}

async fn open_incident_for(
    txn: &DatabaseTransaction,
    alert: &alert::Model,
    model_id: Option<&str>,
    window_us: i64,
) -> Result<Option<incident::Model>, StoreError> {
    let optional = |column: incident::Column, value: Option<&str>| match value {
        Some(value) => column.eq(value),
        None => column.is_null(),
    };
    let open_states: Vec<&str> = IncidentState::ALL
        .iter()
        .filter(|state| state.is_open())
        .map(|state| state.as_str())
        .collect();
    let row = incident::Entity::find()
        .filter(incident::Column::SigmaRule.eq(alert.sigma_rule.as_str()))
        .filter(optional(
            incident::Column::BuildId,
            alert.build_id.as_deref(),
        ))
        .filter(optional(incident::Column::ModelId, model_id))
        .filter(incident::Column::Tlp.eq(alert.tlp.as_str()))
        .filter(incident::Column::SharedWithOrgs.eq(alert.shared_with_orgs.as_str()))
        .filter(incident::Column::NamedReaders.eq(alert.named_readers.as_str()))
        .filter(incident::Column::State.is_in(open_states))
        .filter(incident::Column::LastSeenUs.gte(alert.first_seen_us.saturating_sub(window_us)))
        .order_by_desc(incident::Column::LastSeenUs)
        .one(txn)
        .await?;
    Ok(row)
}

fn first_incident_row(
    alert: &alert::Model,
    model_id: Option<String>,
) -> Result<incident::Model, StoreError> {
    let facts = AlertFacts::of(std::slice::from_ref(alert))?;
    let scope = alert
        .build_id
        .as_deref()
        .or(model_id.as_deref())
        .unwrap_or("the fleet");
    let now = now_us();
    Ok(incident::Model {
        id: new_id(),
        title: format!("{} on {scope}", alert.title),
        state: IncidentState::New.as_str().to_owned(),
        severity: alert.severity.clone(),
        sigma_rule: alert.sigma_rule.clone(),
        build_id: alert.build_id.clone(),
        model_id,
        owner: None,
        custom_fields: "{}".to_owned(),
        first_event_us: alert.first_seen_us,
        detected_us: alert.created_at_us,
        last_seen_us: alert.last_seen_us,
        acknowledged_us: None,
        investigating_us: None,
        contained_us: None,
        resolved_us: None,
        false_positive_us: None,
        tlp: alert.tlp.clone(),
        shared_with_orgs: alert.shared_with_orgs.clone(),
        named_readers: alert.named_readers.clone(),
        created_at_us: now,
        updated_at_us: now,
        atm_tags: facts.tags_text(),
        last_sighting_stored_us: facts.last_sighting_stored_us,
    })
}

/// A new incident split off `source` with these alerts.
fn new_incident_row(
    source: &incident::Model,
    alerts: &[alert::Model],
) -> Result<incident::Model, StoreError> {
    let summary = Summary::of(alerts)?;
    let now = now_us();
    Ok(incident::Model {
        id: new_id(),
        title: format!("{} (split)", source.title),
        state: IncidentState::New.as_str().to_owned(),
        severity: summary.severity.unwrap_or_else(|| source.severity.clone()),
        owner: None,
        custom_fields: "{}".to_owned(),
        first_event_us: summary.first_event_us,
        detected_us: summary.detected_us,
        last_seen_us: summary.last_seen_us,
        acknowledged_us: None,
        investigating_us: None,
        contained_us: None,
        resolved_us: None,
        false_positive_us: None,
        created_at_us: now,
        updated_at_us: now,
        atm_tags: summary.facts.tags_text(),
        last_sighting_stored_us: summary.facts.last_sighting_stored_us,
        ..source.clone()
    })
}

/// What an incident's alerts say of it.
struct Summary {
    first_event_us: i64,
    detected_us: i64,
    last_seen_us: i64,
    /// The highest severity, as stored text.
    severity: Option<String>,
    /// What the reports read of them (see `facts`).
    facts: AlertFacts,
}

impl Summary {
    fn of(alerts: &[alert::Model]) -> Result<Self, StoreError> {
        let severity = alerts
            .iter()
            .filter_map(|alert| alert.severity.parse::<Severity>().ok())
            .max();
        Ok(Summary {
            first_event_us: alerts.iter().map(|a| a.first_seen_us).min().unwrap_or(0),
            detected_us: alerts.iter().map(|a| a.created_at_us).min().unwrap_or(0),
            last_seen_us: alerts.iter().map(|a| a.last_seen_us).max().unwrap_or(0),
            severity: severity.map(|severity| severity.as_str().to_owned()),
            facts: AlertFacts::of(alerts)?,
        })
    }
}

/// Sets an incident's first event, detection, last sighting and (raising
/// only) severity from its alerts.
async fn resummarise(
    txn: &DatabaseTransaction,
    row: incident::Model,
) -> Result<IncidentRecord, StoreError> {
    let alerts = member_alerts(txn, &row.id).await?;
    let summary = Summary::of(&alerts)?;
    let current = row.severity.parse::<Severity>().ok();
    let highest = summary
        .severity
        .as_deref()
        .and_then(|text| text.parse::<Severity>().ok())
        .max(current);
    let mut change = row.into_active_model();
    change.first_event_us = Set(summary.first_event_us);
    change.detected_us = Set(summary.detected_us);
    change.last_seen_us = Set(summary.last_seen_us);
    change.atm_tags = Set(summary.facts.tags_text());
    change.last_sighting_stored_us = Set(summary.facts.last_sighting_stored_us);
    if let Some(severity) = highest {
        change.severity = Set(severity.as_str().to_owned());
    }
    change.updated_at_us = Set(now_us());
    incident_from_row(incident::Entity::update(change).exec(txn).await?)
}

async fn member_alerts(
    db: &impl sea_orm::ConnectionTrait,
    incident_id: &str,
) -> Result<Vec<alert::Model>, StoreError> {
    let ids: Vec<String> = incident_alert::Entity::find()
        .filter(incident_alert::Column::IncidentId.eq(incident_id))
        .all(db)
        .await?
        .into_iter()
        .map(|link| link.alert_id)
        .collect();
    let rows = alert::Entity::find()
        .filter(alert::Column::Id.is_in(ids))
        .order_by_asc(alert::Column::CreatedAtUs)
        .order_by_asc(alert::Column::Id)
        .all(db)
        .await?;
    Ok(rows)
}

async fn move_members(txn: &DatabaseTransaction, from: &str, into: &str) -> Result<(), StoreError> {
    let links = incident_alert::Entity::find()
        .filter(incident_alert::Column::IncidentId.eq(from))
        .all(txn)
        .await?;
    for link in links {
        let mut change = link.into_active_model();
        change.incident_id = Set(into.to_owned());
        incident_alert::Entity::update(change).exec(txn).await?;
    }
    let comments = incident_comment::Entity::find()
        .filter(incident_comment::Column::IncidentId.eq(from))
        .all(txn)
        .await?;
    for comment in comments {
        let mut change = comment.into_active_model();
        change.incident_id = Set(into.to_owned());
        incident_comment::Entity::update(change).exec(txn).await?;
    }
    Ok(())
}

fn same_marking(a: &incident::Model, b: &incident::Model) -> bool {
    (&a.tlp, &a.shared_with_orgs, &a.named_readers)
        == (&b.tlp, &b.shared_with_orgs, &b.named_readers)
}

/// Sets the stamps a move from `from` to `to` reaches (those not set yet);
/// reopening clears the closing stamps.
fn stamp(
    change: &mut incident::ActiveModel,
    row: &incident::Model,
    from: IncidentState,
    to: IncidentState,
    at_us: i64,
) {
    if !from.is_open() {
        change.resolved_us = Set(None);
        change.false_positive_us = Set(None);
    }
    for state in from.reached_by(to) {
        let (column, current) = match state {
            IncidentState::Acknowledged => (&mut change.acknowledged_us, row.acknowledged_us),
            IncidentState::Investigating => (&mut change.investigating_us, row.investigating_us),
            IncidentState::Contained => (&mut change.contained_us, row.contained_us),
            IncidentState::Resolved => (&mut change.resolved_us, None),
            IncidentState::FalsePositive => (&mut change.false_positive_us, None),
            IncidentState::New => continue,
        };
        *column = Set(Some(current.unwrap_or(at_us)));
    }
}

async fn require(txn: &DatabaseTransaction, id: &str) -> Result<incident::Model, IncidentError> {
    incident::Entity::find_by_id(id.to_owned())
        .one(txn)
        .await?
        .ok_or_else(|| IncidentError::NotFound(id.to_owned()))
}

fn to_value(value: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

fn comment_from_row(row: incident_comment::Model) -> IncidentComment {
    IncidentComment {
        id: row.id,
        author: row.author,
        body: row.body,
        at: format_us(row.at_us),
    }
}

/// An incident with its place in the list order.
fn placed_incident(row: incident::Model) -> Result<(Cursor, IncidentRecord), StoreError> {
    let place = Cursor::new(row.last_seen_us, &row.id);
    Ok((place, incident_from_row(row)?))
}

pub(crate) fn incident_from_row(row: incident::Model) -> Result<IncidentRecord, StoreError> {
    let corrupt = |what: &str, error: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("incident {} {what}: {error}", row.id))
    };
    let state: IncidentState = row.state.parse().map_err(|e| corrupt("state", &e))?;
    let severity: Severity = row.severity.parse().map_err(|e| corrupt("severity", &e))?;
    let custom_fields =
        serde_json::from_str(&row.custom_fields).map_err(|e| corrupt("custom fields", &e))?;
    let marking = marking_from_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)?;
    let stamps = Stamps {
        first_event_us: row.first_event_us,
        detected_us: row.detected_us,
        acknowledged_us: row.acknowledged_us,
        contained_us: row.contained_us,
        resolved_us: row.resolved_us,
    };
    let optional = |at: Option<i64>| at.map(format_us);
    Ok(IncidentRecord {
        response_times: stamps.response_times(),
        first_event: format_us(row.first_event_us),
        detected: format_us(row.detected_us),
        last_seen: format_us(row.last_seen_us),
        acknowledged: optional(row.acknowledged_us),
        investigating: optional(row.investigating_us),
        contained: optional(row.contained_us),
        resolved: optional(row.resolved_us),
        false_positive: optional(row.false_positive_us),
        created_at: format_us(row.created_at_us),
        updated_at: format_us(row.updated_at_us),
        id: row.id,
        title: row.title,
        state,
        severity,
        sigma_rule: row.sigma_rule,
        build_id: row.build_id,
        model_id: row.model_id,
        owner: row.owner,
        custom_fields,
        marking,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_keeps_earlier_stamps_and_a_reopening_clears_the_closing_one() {
        let row = incident::Model {
            id: "i".into(),
            title: "t".into(),
            state: "acknowledged".into(),
            severity: "high".into(),
            sigma_rule: "r".into(),
            build_id: None,
            model_id: None,
            owner: None,
            custom_fields: "{}".into(),
            first_event_us: 0,
            detected_us: 10,
            last_seen_us: 10,
            acknowledged_us: Some(20),
            investigating_us: None,
            contained_us: None,
            resolved_us: Some(90),
            false_positive_us: None,
            tlp: "AMBER".into(),
            shared_with_orgs: "[]".into(),
            named_readers: "[]".into(),
            created_at_us: 0,
            updated_at_us: 0,
            atm_tags: "[]".into(),
            last_sighting_stored_us: None,
        };

        let mut contained = row.clone().into_active_model();
        stamp(
            &mut contained,
            &row,
            IncidentState::Acknowledged,
            IncidentState::Contained,
            50,
        );
        let mut reopened = row.clone().into_active_model();
        stamp(
            &mut reopened,
            &row,
            IncidentState::Resolved,
            IncidentState::Investigating,
            60,
        );

        assert_eq!(
            contained.acknowledged_us,
            sea_orm::ActiveValue::Unchanged(Some(20))
        );
        assert_eq!(contained.investigating_us, Set(Some(50)));
        assert_eq!(contained.contained_us, Set(Some(50)));
        assert_eq!(reopened.resolved_us, Set(None));
        assert_eq!(reopened.investigating_us, Set(Some(60)));
    }
}
