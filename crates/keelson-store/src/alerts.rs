//! Alerts at rest: what detection raised, merged per rule and vehicle
//! within a deduplication window, and the link from each alert to the
//! stored events it cites (so a retention job can keep them).

use std::collections::{BTreeMap, HashMap, HashSet};

use keelson_core::{Marked, Marking, Severity};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, FromQueryResult,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, QueryTrait, TransactionTrait,
};
use serde::Serialize;

use crate::alert_tallies::{self, Change};
use crate::audit::{self, AuditEvent};
use crate::entity::{alert, alert_day_tally, alert_event, event};
use crate::incidents;
use crate::marking::{MarkingColumns, marking_from_columns};
use crate::paging::{COUNT_CAP, CappedCount, Cursor, ListPage, before, fill_page};
use crate::readable::{MarkingOf, Readable};
use crate::rules::{json_list, json_text};
use crate::tally::{self, DAY_US};
use crate::telemetry::{StoredEvent, stored_event};
use crate::{Store, StoreError, format_us, new_id, now_us};

/// The most event keys one alert keeps in its evidence list and its links.
pub const MAX_EVIDENCE: usize = 1_000;

/// One firing of a rule, as detection hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// The stored rule record.
    pub rule_id: String,
    /// The Sigma document that fired (its id, else name, else title).
    pub sigma_rule: String,
    pub title: String,
    pub severity: Severity,
    pub test: bool,
    /// Raised by a rule in `heightened` status: `severity` is already one
    /// step up, and the sighting merges only within its own batch.
    pub heightened: bool,
    pub correlation: bool,
    pub vehicle_id: Option<String>,
    pub build_id: Option<String>,
    pub first_seen_us: i64,
    pub last_seen_us: i64,
    pub count: u64,
    /// Store keys of the cited events.
    pub evidence: Vec<String>,
    pub atm_tags: Vec<String>,
    /// The rule's marking, which the alert carries.
    pub marking: Marking,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AlertRecord {
    pub id: String,
    pub rule_id: String,
    pub sigma_rule: String,
    pub title: String,
    pub severity: Severity,
    /// Raised by a rule in `test` status.
    pub test: bool,
    /// Raised by a rule in `heightened` status (its severity one step above
    /// the rule's level); never merged with alerts of earlier batches.
    pub heightened: bool,
    pub correlation: bool,
    pub vehicle_id: Option<String>,
    pub build_id: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub count: u64,
    /// Store keys of the cited events, oldest first.
    pub evidence: Vec<String>,
    pub atm_tags: Vec<String>,
    /// `open` for now; triage states come with incidents.
    pub status: String,
    pub marking: Marking,
    pub created_at: String,
    pub updated_at: String,
}

impl Marked for AlertRecord {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

/// Whether a sighting opened an alert or merged into one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raised {
    New,
    Merged,
}

/// Filters of the alert list; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub rule_id: Option<String>,
    pub vehicle_id: Option<String>,
    pub severity: Option<Severity>,
    /// Alerts last seen at or after this time (microseconds).
    pub since_us: Option<i64>,
}

impl AlertFilter {
    pub(crate) fn condition(&self) -> Condition {
        let mut condition = Condition::all();
        if let Some(rule) = &self.rule_id {
            condition = condition.add(alert::Column::RuleId.eq(rule.as_str()));
        }
        if let Some(vehicle) = &self.vehicle_id {
            condition = condition.add(alert::Column::VehicleId.eq(vehicle.as_str()));
        }
        if let Some(severity) = self.severity {
            condition = condition.add(alert::Column::Severity.eq(severity.as_str()));
        }
        if let Some(since) = self.since_us {
            condition = condition.add(alert::Column::LastSeenUs.gte(since));
        }
        condition
    }
}

/// The marking columns of the alert table.
pub(crate) const ALERT_MARKING: MarkingOf<alert::Column> = MarkingOf {
    tlp: alert::Column::Tlp,
    shared_with_orgs: alert::Column::SharedWithOrgs,
    named_readers: alert::Column::NamedReaders,
};

/// What the fleet overview counts of alerts (see [`Store::alert_tally`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertTally {
    /// Alerts last seen in the recent period.
    pub recent: u64,
    /// Per UTC day (days since the Unix epoch) and severity.
    pub per_day: BTreeMap<(i64, Severity), u64>,
    /// Per ATM technique tag; an alert with several tags counts for each.
    pub per_technique: BTreeMap<String, u64>,
    pub per_region: BTreeMap<String, u64>,
}

/// The region an alert counts for when its vehicle's is not known to the
/// reader.
pub const UNKNOWN_REGION: &str = "unknown";

impl AlertTally {
    fn add(
        &mut self,
        reader: &Readable<'_>,
        row: alert_day_tally::Model,
    ) -> Result<(), StoreError> {
        let n = u64::try_from(row.alerts).unwrap_or(0);
        let severity: Severity = row
            .severity
            .parse()
            .map_err(|error| StoreError::Corrupt(format!("alert severity: {error}")))?;
        *self.per_day.entry((row.day, severity)).or_default() += n;
        for tag in json_list(&row.atm_tags, "alert tags")? {
            *self.per_technique.entry(tag).or_default() += n;
        }
        let region = vehicle_region(reader, &row)?.unwrap_or(UNKNOWN_REGION);
        *self.per_region.entry(region.to_owned()).or_default() += n;
        Ok(())
    }
}

/// The region of a tally row's vehicle, when the vehicle is registered,
/// has one and the reader may read the vehicle.
fn vehicle_region<'r>(
    reader: &Readable<'_>,
    row: &'r alert_day_tally::Model,
) -> Result<Option<&'r str>, StoreError> {
    if row.vehicle_tlp.is_empty() || row.region.is_empty() {
        return Ok(None);
    }
    let readable =
        reader.admits_columns(&row.vehicle_tlp, &row.vehicle_orgs, &row.vehicle_readers)?;
    Ok(readable.then_some(row.region.as_str()))
}

/// The alert markings of the day tallies.
pub(crate) const TALLY_MARKING: MarkingOf<alert_day_tally::Column> = MarkingOf {
    tlp: alert_day_tally::Column::Tlp,
    shared_with_orgs: alert_day_tally::Column::SharedWithOrgs,
    named_readers: alert_day_tally::Column::NamedReaders,
};

#[derive(Debug, FromQueryResult)]
struct VehicleGroup {
    vehicle_id: String,
    tlp: String,
    shared_with_orgs: String,
    named_readers: String,
    n: i64,
}

/// A stored event cited by an alert, with its store key.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CitedEvent {
    pub key: String,
    #[serde(flatten)]
    pub event: StoredEvent,
}

impl Store {
    /// Records sightings in one transaction: each merges into the latest
    /// alert of its rule and vehicle when it lies within `window_us` of that
    /// alert's last sighting, else opens a new alert, which joins its
    /// incident (see `incidents`) grouped within `incident_window_us`.
    /// A heightened sighting ignores the window: it merges only into an
    /// alert of its rule and vehicle opened by this same call (one ingest
    /// batch), so every batch that sights it raises an alert of its own.
    pub async fn record_sightings(
        &self,
        actor: &str,
        sightings: Vec<Sighting>,
        window_us: i64,
        incident_window_us: i64,
    ) -> Result<Vec<(Raised, AlertRecord)>, StoreError> {
        if sightings.is_empty() {
            return Ok(Vec::new());
        }
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let mut outcomes = Vec::with_capacity(sightings.len());
        let mut heightened_here: HashMap<AlertKey, String> = HashMap::new();
        for sighting in sightings {
            let key = alert_key(&sighting);
            let open = if sighting.heightened {
                opened_here(&txn, heightened_here.get(&key)).await?
            } else {
                open_alert(&txn, &sighting, window_us).await?
            };
            let outcome = match open {
                Some(row) => (Raised::Merged, merge(&txn, actor, row, sighting).await?),
                None => {
                    let heightened = sighting.heightened;
                    let record = open_new(&txn, actor, sighting, incident_window_us).await?;
                    if heightened {
                        heightened_here.insert(key, record.id.clone());
                    }
                    (Raised::New, record)
                }
            };
            outcomes.push(outcome);
        }
        txn.commit().await?;
        Ok(outcomes)
    }

    pub async fn alert(&self, id: &str) -> Result<Option<AlertRecord>, StoreError> {
        let row = alert::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?;
        row.map(alert_from_row).transpose()
    }

    /// Alerts matching the filter, most recently seen first.
    pub async fn list_alerts(&self, filter: &AlertFilter) -> Result<Vec<AlertRecord>, StoreError> {
        let rows = alert::Entity::find()
            .filter(filter.condition())
            .order_by_desc(alert::Column::LastSeenUs)
            .order_by_desc(alert::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(alert_from_row).collect()
    }

    /// One page of the alerts matching the filter that the reader may
    /// read, most recently seen first, starting after `after`.
    pub async fn alert_page(
        &self,
        filter: &AlertFilter,
        reader: &Readable<'_>,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<ListPage<AlertRecord>, StoreError> {
        let condition = filter.condition().add(reader.condition(ALERT_MARKING));
        let fetch = |after: Option<Cursor>, n: u64| {
            let mut condition = condition.clone();
            if let Some(after) = &after {
                condition =
                    condition.add(before(alert::Column::LastSeenUs, alert::Column::Id, after));
            }
            async move {
                let rows = alert::Entity::find()
                    .filter(condition)
                    .order_by_desc(alert::Column::LastSeenUs)
                    .order_by_desc(alert::Column::Id)
                    .limit(n)
                    .all(self.connection())
                    .await?;
                rows.into_iter().map(placed_alert).collect()
            }
        };
        let admits = |alert: &AlertRecord| reader.admits(&alert.marking);
        fill_page(limit, after, fetch, admits).await
    }

    /// How many alerts matching the filter the reader may read, exact up
    /// to [`COUNT_CAP`].
    pub async fn count_alerts(
        &self,
        filter: &AlertFilter,
        reader: &Readable<'_>,
    ) -> Result<CappedCount, StoreError> {
        let condition = filter.condition().add(reader.condition(ALERT_MARKING));
        let matching = alert::Entity::find()
            .select_only()
            .columns([
                alert::Column::Tlp,
                alert::Column::SharedWithOrgs,
                alert::Column::NamedReaders,
            ])
            .filter(condition)
            .limit(COUNT_CAP + 1)
            .into_query();
        tally::capped_count(self.connection(), matching, reader).await
    }

    /// The fleet overview's counts of the alerts the reader may read that
    /// were last seen on or after the UTC day of `since_us`: per day and
    /// severity, per ATM technique and per region of the alert's vehicle
    /// (`unknown` when the vehicle is unregistered, has no region or is
    /// above the reader's clearance), and how many were last seen at or
    /// after `recent_us`. The day counts come from `alert_day_tallies`.
    pub async fn alert_tally(
        &self,
        reader: &Readable<'_>,
        since_us: i64,
        recent_us: i64,
    ) -> Result<AlertTally, StoreError> {
        let rows = alert_day_tally::Entity::find()
            .filter(alert_day_tally::Column::Day.gte(since_us.div_euclid(DAY_US)))
            .filter(alert_day_tally::Column::Alerts.ne(0))
            .filter(reader.condition(TALLY_MARKING))
            .all(self.connection())
            .await?;
        let mut tally = AlertTally::default();
        for row in rows {
            if reader.admits_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)? {
                tally.add(reader, row)?;
            }
        }

        let recent = alert::Entity::find()
            .select_only()
            .columns([
                alert::Column::Tlp,
                alert::Column::SharedWithOrgs,
                alert::Column::NamedReaders,
            ])
            .filter(alert::Column::LastSeenUs.gte(recent_us))
            .filter(reader.condition(ALERT_MARKING))
            .into_query();
        (tally.recent, _) = tally::readable_rows(self.connection(), recent, reader).await?;
        Ok(tally)
    }

    /// How many alerts the reader may read were raised on each of these
    /// vehicles (a vehicle without any is left out).
    pub async fn alert_counts_of_vehicles(
        &self,
        reader: &Readable<'_>,
        vehicle_ids: &[String],
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let groups = alert::Entity::find()
            .select_only()
            .columns([
                alert::Column::VehicleId,
                alert::Column::Tlp,
                alert::Column::SharedWithOrgs,
                alert::Column::NamedReaders,
            ])
            .column_as(Expr::cust("COUNT(*)"), "n")
            .filter(alert::Column::VehicleId.is_in(vehicle_ids.iter().map(String::as_str)))
            .filter(reader.condition(ALERT_MARKING))
            .group_by(alert::Column::VehicleId)
            .group_by(alert::Column::Tlp)
            .group_by(alert::Column::SharedWithOrgs)
            .group_by(alert::Column::NamedReaders)
            .into_model::<VehicleGroup>()
            .all(self.connection())
            .await?;
        let mut counts = BTreeMap::new();
        for group in groups {
            if reader.admits_columns(&group.tlp, &group.shared_with_orgs, &group.named_readers)? {
                *counts.entry(group.vehicle_id).or_default() += u64::try_from(group.n).unwrap_or(0);
            }
        }
        Ok(counts)
    }

    /// The stored events an alert cites, in the order of its evidence.
    pub async fn cited_events(&self, alert_id: &str) -> Result<Vec<CitedEvent>, StoreError> {
        let keys: Vec<String> = alert_event::Entity::find()
            .filter(alert_event::Column::AlertId.eq(alert_id))
            .all(self.connection())
            .await?
            .into_iter()
            .map(|link| link.event_key)
            .collect();
        let rows = event::Entity::find()
            .filter(event::Column::DedupKey.is_in(keys))
            .order_by_asc(event::Column::VehicleTimeUs)
            .order_by_asc(event::Column::DedupKey)
            .all(self.connection())
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| CitedEvent {
                key: row.dedup_key.clone(),
                event: stored_event(row),
            })
            .collect())
    }
}

/// What alerts merge by: the stored rule, the Sigma document, the vehicle.
type AlertKey = (String, String, Option<String>);

fn alert_key(sighting: &Sighting) -> AlertKey {
    (
        sighting.rule_id.clone(),
        sighting.sigma_rule.clone(),
        sighting.vehicle_id.clone(),
    )
}

async fn opened_here(
    txn: &DatabaseTransaction,
    id: Option<&String>,
) -> Result<Option<alert::Model>, StoreError> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(alert::Entity::find_by_id(id.clone()).one(txn).await?)
}

/// The alert a sighting of a rule in its ordinary status merges into: never
/// a heightened one, whose severity was raised.
async fn open_alert(
    txn: &DatabaseTransaction,
    sighting: &Sighting,
    window_us: i64,
) -> Result<Option<alert::Model>, StoreError> {
    let vehicle = match &sighting.vehicle_id {
        Some(id) => alert::Column::VehicleId.eq(id.as_str()),
        None => alert::Column::VehicleId.is_null(),
    };
    let earliest = sighting.first_seen_us.saturating_sub(window_us);
    let row = alert::Entity::find()
        .filter(alert::Column::SigmaRule.eq(sighting.sigma_rule.as_str()))
        .filter(alert::Column::RuleId.eq(sighting.rule_id.as_str()))
        .filter(vehicle)
        .filter(alert::Column::Heightened.eq(false))
        .filter(alert::Column::LastSeenUs.gte(earliest))
        .order_by_desc(alert::Column::LastSeenUs)
        .one(txn)
        .await?;
    Ok(row)
}

async fn open_new(
    txn: &DatabaseTransaction,
    actor: &str,
    sighting: Sighting,
    incident_window_us: i64,
) -> Result<AlertRecord, StoreError> {
    let id = new_id();
    let evidence = capped(Vec::new(), sighting.evidence);
    let marking = MarkingColumns::from_marking(&sighting.marking);
    let now = now_us();
    let row = alert::Model {
        id: id.clone(),
        rule_id: sighting.rule_id,
        sigma_rule: sighting.sigma_rule,
        title: sighting.title,
        severity: sighting.severity.as_str().to_owned(),
        test: sighting.test,
        heightened: sighting.heightened,
        correlation: sighting.correlation,
        vehicle_id: sighting.vehicle_id,
        build_id: sighting.build_id,
        first_seen_us: sighting.first_seen_us,
        last_seen_us: sighting.last_seen_us,
        count: i64::try_from(sighting.count).unwrap_or(i64::MAX),
        evidence: json_text(&evidence),
        atm_tags: json_text(&sighting.atm_tags),
        status: "open".to_owned(),
        tlp: marking.tlp,
        shared_with_orgs: marking.shared_with_orgs,
        named_readers: marking.named_readers,
        created_at_us: now,
        updated_at_us: now,
    };
    alert::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(txn)
        .await?;
    let this_alert = alert_tallies::alert_with_id(&id);
    alert_tallies::count(txn, this_alert.clone(), Change::Add).await?;
    alert_tallies::count_raised(txn, this_alert).await?;
    link_events(txn, &id, &evidence).await?;
    let record = alert_from_row(row.clone())?;
    let entry = AuditEvent::new(actor, "alert.raise", "alert", &id)
        .after(serde_json::to_value(&record).unwrap_or_default());
    audit::append(txn, entry).await?;
    incidents::group_alert(txn, actor, &row, incident_window_us).await?;
    Ok(record)
}

async fn merge(
    txn: &DatabaseTransaction,
    actor: &str,
    row: alert::Model,
    sighting: Sighting,
) -> Result<AlertRecord, StoreError> {
    let before = alert_from_row(row.clone())?;
    let known = json_list(&row.evidence, "alert evidence")?;
    let old_len = known.len();
    let evidence = capped(known, sighting.evidence);
    let added = evidence.get(old_len..).unwrap_or_default().to_vec();
    let count = row
        .count
        .saturating_add(i64::try_from(sighting.count).unwrap_or(i64::MAX));
    let mut change = row.clone().into_active_model();
    change.count = Set(count);
    change.first_seen_us = Set(row.first_seen_us.min(sighting.first_seen_us));
    change.last_seen_us = Set(row.last_seen_us.max(sighting.last_seen_us));
    change.evidence = Set(json_text(&evidence));
    if row.build_id.is_none() {
        change.build_id = Set(sighting.build_id);
    }
    change.updated_at_us = Set(now_us());
    let new_last_seen = row.last_seen_us.max(sighting.last_seen_us);
    let moves_day = new_last_seen.div_euclid(DAY_US) != row.last_seen_us.div_euclid(DAY_US);
    let this_alert = alert_tallies::alert_with_id(&row.id);
    if moves_day {
        alert_tallies::count(txn, this_alert.clone(), Change::Remove).await?;
    }
    let row = alert::Entity::update(change).exec(txn).await?;
    if moves_day {
        alert_tallies::count(txn, this_alert, Change::Add).await?;
    }
    link_events(txn, &row.id, &added).await?;
    incidents::alert_changed(txn, &row.id).await?;
    let record = alert_from_row(row)?;
    let entry = AuditEvent::new(actor, "alert.merge", "alert", &record.id)
        .before(serde_json::to_value(&before).unwrap_or_default())
        .after(serde_json::to_value(&record).unwrap_or_default())
        .detail(format!("count {}", record.count));
    audit::append(txn, entry).await?;
    Ok(record)
}

/// `known` followed by the new keys it lacks, at most [`MAX_EVIDENCE`].
fn capped(known: Vec<String>, new: Vec<String>) -> Vec<String> {
    let mut seen: HashSet<String> = known.iter().cloned().collect();
    let mut all = known;
    for key in new {
        if all.len() >= MAX_EVIDENCE {
            break;
        }
        if seen.insert(key.clone()) {
            all.push(key);
        }
    }
    all
}

async fn link_events(
    txn: &DatabaseTransaction,
    alert_id: &str,
    keys: &[String],
) -> Result<(), StoreError> {
    if keys.is_empty() {
        return Ok(());
    }
    let rows = keys.iter().map(|key| {
        alert_event::Model {
            alert_id: alert_id.to_owned(),
            event_key: key.clone(),
        }
        .into_active_model()
    });
    alert_event::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([alert_event::Column::AlertId, alert_event::Column::EventKey])
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// An alert with its place in the list order.
fn placed_alert(row: alert::Model) -> Result<(Cursor, AlertRecord), StoreError> {
    let place = Cursor::new(row.last_seen_us, &row.id);
    Ok((place, alert_from_row(row)?))
}

fn alert_from_row(row: alert::Model) -> Result<AlertRecord, StoreError> {
    let marking = marking_from_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)?;
    let severity = row
        .severity
        .parse()
        .map_err(|error| StoreError::Corrupt(format!("alert {}: {error}", row.id)))?;
    Ok(AlertRecord {
        evidence: json_list(&row.evidence, "alert evidence")?,
        atm_tags: json_list(&row.atm_tags, "alert tags")?,
        severity,
        id: row.id,
        rule_id: row.rule_id,
        sigma_rule: row.sigma_rule,
        title: row.title,
        test: row.test,
        heightened: row.heightened,
        correlation: row.correlation,
        vehicle_id: row.vehicle_id,
        build_id: row.build_id,
        first_seen: format_us(row.first_seen_us),
        last_seen: format_us(row.last_seen_us),
        count: u64::try_from(row.count).unwrap_or(0),
        status: row.status,
        marking,
        created_at: format_us(row.created_at_us),
        updated_at: format_us(row.updated_at_us),
    })
}
