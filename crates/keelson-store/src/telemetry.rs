//! Telemetry at rest: normalized events stored once under an idempotency
//! key, and the quarantine of records that failed to decode.
//!
//! A batch is written in one transaction with one audit entry for the whole
//! batch (an entry per event would bury the audit log); the entry's after
//! digest covers the batch's keys, so the log still proves what arrived.

use std::collections::HashSet;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde::Serialize;

use crate::audit::{self, AuditEvent};
use crate::entity::{event, quarantined};
use crate::{Store, StoreError, format_us, new_id, now_us};

/// SQLite allows 32766 bound parameters per statement; ten columns per row.
const ROWS_PER_INSERT: usize = 2_000;

/// An event ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// What makes the event itself: its producer's ID, or a digest of its
    /// content or of its place in a file.
    pub dedup_key: String,
    pub event_id: Option<String>,
    pub vehicle_id: Option<String>,
    pub source: String,
    pub kind: String,
    pub vehicle_time_us: Option<i64>,
    pub received_time_us: i64,
    pub ecu: Option<String>,
    pub build_id: Option<String>,
    /// JSON object text.
    pub attributes: String,
}

/// What happened to one event of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stored {
    Accepted,
    Duplicate,
}

/// A stored event as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredEvent {
    pub event_id: Option<String>,
    pub vehicle_id: Option<String>,
    pub source: String,
    pub kind: String,
    pub vehicle_time: Option<String>,
    pub received_time: String,
    pub ecu: Option<String>,
    pub build_id: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
}

/// A record that failed to decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQuarantined {
    /// The channel it came by: `http`, `mqtt`, `file`, `upload`.
    pub source: String,
    /// The file name, topic or request it came in.
    pub origin: String,
    /// Line number or byte offset within the origin.
    pub position: String,
    pub reason: String,
    pub raw: Vec<u8>,
    /// The decoder to replay it with.
    pub format: Option<String>,
    pub vehicle_id: Option<String>,
}

/// A quarantined record as the API shows it (raw bytes as lossy text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct QuarantinedRecord {
    pub id: String,
    pub source: String,
    pub origin: String,
    pub position: String,
    pub reason: String,
    pub raw: String,
    pub format: Option<String>,
    pub vehicle_id: Option<String>,
    pub received_at: String,
    pub replayed_at: Option<String>,
}

impl Store {
    /// Stores a batch; each event once, whatever earlier batches held.
    pub async fn store_events(
        &self,
        actor: &str,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Stored>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let (outcomes, fresh_keys) = write_events(&txn, events).await?;
        if !fresh_keys.is_empty() {
            let accepted = fresh_keys.len();
            let entry = AuditEvent::new(actor, "telemetry.ingest", "events", "batch")
                .after(serde_json::json!(fresh_keys))
                .detail(format!("{accepted} accepted"));
            audit::append(&txn, entry).await?;
        }
        txn.commit().await?;
        Ok(outcomes)
    }

    /// Events, newest first, optionally of one vehicle.
    pub async fn list_events(
        &self,
        vehicle_id: Option<&str>,
        limit: u64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut query = event::Entity::find().order_by_desc(event::Column::ReceivedTimeUs);
        if let Some(vehicle_id) = vehicle_id {
            query = query.filter(event::Column::VehicleId.eq(vehicle_id));
        }
        let rows = query.limit(limit).all(self.connection()).await?;
        Ok(rows.into_iter().map(stored_event).collect())
    }

    pub async fn count_events(&self) -> Result<u64, StoreError> {
        Ok(event::Entity::find().count(self.connection()).await?)
    }

    /// Puts records that failed to decode aside, with one audit entry.
    pub async fn quarantine(
        &self,
        actor: &str,
        records: Vec<NewQuarantined>,
    ) -> Result<Vec<String>, StoreError> {
        let keyed = records.into_iter().map(|record| (record, None)).collect();
        self.quarantine_keyed(actor, keyed).await
    }

    /// Like [`Store::quarantine`], each record with the idempotency key it
    /// would have been stored under (file records), which a replay reuses.
    pub async fn quarantine_keyed(
        &self,
        actor: &str,
        records: Vec<(NewQuarantined, Option<String>)>,
    ) -> Result<Vec<String>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let mut ids = Vec::with_capacity(records.len());
        let received_at_us = now_us();
        let rows: Vec<quarantined::ActiveModel> = records
            .into_iter()
            .map(|(record, key)| {
                let id = new_id();
                ids.push(id.clone());
                quarantine_row(id, record, key, received_at_us).into_active_model()
            })
            .collect();
        for chunk in chunked(rows, ROWS_PER_INSERT) {
            quarantined::Entity::insert_many(chunk)
                .exec_without_returning(&txn)
                .await?;
        }
        let entry = AuditEvent::new(actor, "telemetry.quarantine", "quarantine", "batch")
            .after(serde_json::json!(ids))
            .detail(format!("{} quarantined", ids.len()));
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(ids)
    }

    /// Quarantined records not yet replayed, oldest first.
    pub async fn list_quarantine(
        &self,
        include_replayed: bool,
        limit: u64,
    ) -> Result<Vec<QuarantinedRecord>, StoreError> {
        let mut query = quarantined::Entity::find().order_by_asc(quarantined::Column::ReceivedAtUs);
        if !include_replayed {
            query = query.filter(quarantined::Column::ReplayedAtUs.is_null());
        }
        let rows = query.limit(limit).all(self.connection()).await?;
        Ok(rows.into_iter().map(quarantined_record).collect())
    }

    /// The raw bytes and decoder of one quarantined record.
    pub async fn quarantined_raw(
        &self,
        id: &str,
    ) -> Result<Option<(QuarantinedRecord, Vec<u8>)>, StoreError> {
        let row = quarantined::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?;
        Ok(row.map(|row| {
            let raw = row.raw.clone();
            (quarantined_record(row), raw)
        }))
    }

    /// Marks a quarantined record as replayed (it decoded after a fix).
    pub async fn mark_replayed(&self, actor: &str, id: &str) -> Result<(), StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let row = quarantined::Entity::find_by_id(id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("quarantined record {id}")))?;
        let mut change = row.into_active_model();
        change.replayed_at_us = Set(Some(now_us()));
        quarantined::Entity::update(change).exec(&txn).await?;
        audit::append(
            &txn,
            AuditEvent::new(actor, "quarantine.replay", "quarantine", id),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Stores each event whose key is new; returns the outcome of each and the
/// keys stored (for the audit entry of the caller's transaction).
pub(crate) async fn write_events(
    txn: &sea_orm::DatabaseTransaction,
    events: Vec<NewEvent>,
) -> Result<(Vec<Stored>, Vec<String>), StoreError> {
    let mut seen = existing_keys(txn, &events).await?;
    let mut outcomes = Vec::with_capacity(events.len());
    let mut fresh = Vec::new();
    for event in events {
        if seen.insert(event.dedup_key.clone()) {
            outcomes.push(Stored::Accepted);
            fresh.push(event);
        } else {
            outcomes.push(Stored::Duplicate);
        }
    }
    let keys = fresh.iter().map(|event| event.dedup_key.clone()).collect();
    insert_new(txn, fresh).await?;
    Ok((outcomes, keys))
}

async fn existing_keys(
    txn: &sea_orm::DatabaseTransaction,
    events: &[NewEvent],
) -> Result<HashSet<String>, StoreError> {
    let mut found = HashSet::new();
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let keys: Vec<&str> = chunk.iter().map(|event| event.dedup_key.as_str()).collect();
        let rows: Vec<String> = event::Entity::find()
            .select_only()
            .column(event::Column::DedupKey)
            .filter(Condition::all().add(event::Column::DedupKey.is_in(keys)))
            .into_tuple()
            .all(txn)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Inserts rows known to be new; a concurrent writer's copy of the same key
/// is skipped by the conflict clause rather than failing the batch.
async fn insert_new(
    txn: &sea_orm::DatabaseTransaction,
    events: Vec<NewEvent>,
) -> Result<(), StoreError> {
    let rows: Vec<event::ActiveModel> = events.into_iter().map(event_row).collect();
    for chunk in chunked(rows, ROWS_PER_INSERT) {
        event::Entity::insert_many(chunk)
            .on_conflict_do_nothing_on([event::Column::DedupKey])
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

fn chunked<T>(items: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let mut chunks = Vec::new();
    let mut current = Vec::with_capacity(size.min(items.len()));
    for item in items {
        current.push(item);
        if current.len() == size {
            chunks.push(std::mem::replace(&mut current, Vec::with_capacity(size)));
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

fn event_row(event: NewEvent) -> event::ActiveModel {
    event::Model {
        dedup_key: event.dedup_key,
        event_id: event.event_id,
        vehicle_id: event.vehicle_id,
        source: event.source,
        kind: event.kind,
        vehicle_time_us: event.vehicle_time_us,
        received_time_us: event.received_time_us,
        ecu: event.ecu,
        build_id: event.build_id,
        attributes: event.attributes,
    }
    .into_active_model()
}

pub(crate) fn stored_event(row: event::Model) -> StoredEvent {
    StoredEvent {
        event_id: row.event_id,
        vehicle_id: row.vehicle_id,
        source: row.source,
        kind: row.kind,
        vehicle_time: row.vehicle_time_us.map(format_us),
        received_time: format_us(row.received_time_us),
        ecu: row.ecu,
        build_id: row.build_id,
        attributes: serde_json::from_str(&row.attributes).unwrap_or(serde_json::Value::Null),
    }
}

fn quarantine_row(
    id: String,
    record: NewQuarantined,
    record_key: Option<String>,
    received_at_us: i64,
) -> quarantined::Model {
    quarantined::Model {
        id,
        source: record.source,
        origin: record.origin,
        position: record.position,
        reason: record.reason,
        raw: record.raw,
        format: record.format,
        vehicle_id: record.vehicle_id,
        received_at_us,
        replayed_at_us: None,
        record_key,
    }
}

pub(crate) fn quarantined_record(row: quarantined::Model) -> QuarantinedRecord {
    QuarantinedRecord {
        id: row.id,
        source: row.source,
        origin: row.origin,
        position: row.position,
        reason: row.reason,
        raw: String::from_utf8_lossy(&row.raw).into_owned(),
        format: row.format,
        vehicle_id: row.vehicle_id,
        received_at: format_us(row.received_at_us),
        replayed_at: row.replayed_at_us.map(format_us),
    }
}
