//! Telemetry at rest: normalized events stored once under an idempotency
//! key, and the quarantine of records that failed to decode, each record
//! kept once under its own key with its exact bytes.
//!
//! A batch is written in one transaction with one audit entry for the whole
//! batch (an entry per event would bury the audit log); the entry's after
//! digest covers the batch's keys, so the log still proves what arrived.
//! Both lists page by keyset (see [`Cursor`]), so a page costs the same
//! however deep into millions of rows it lies.

mod insert;

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, TransactionTrait,
};
use serde::Serialize;

use self::insert::{Inserted, PreparedInsert};
use crate::audit::{self, AuditEvent};
use crate::entity::{event, quarantined};
use crate::paging::{after, before};
use crate::{Store, StoreError, format_us, new_id, now_us};

pub use crate::paging::Cursor;

/// Quarantine rows per statement: SQLite allows 32766 bound parameters
/// per statement; at most twelve columns per row.
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
    /// What makes the record itself: its channel, the digest of the unit it
    /// came in (file, request body, MQTT message) and its place in that
    /// unit. A record arriving again under a key already kept adds no row.
    pub dedup_key: String,
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
    /// The key the record would have been stored under (file records), so
    /// a replay stores it under the same key as a re-ingest of the file.
    pub record_key: Option<String>,
}

/// What became of one record put aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Quarantined {
    /// A new quarantine row with this ID.
    Added { id: String },
    /// The same record (same key) is in the quarantine already.
    AlreadyKept,
}

/// A quarantined record as the API shows it. The bytes are exactly those
/// received: `raw_base64` always carries them, and `raw` repeats them as
/// text when they are valid UTF-8 (null otherwise), so nothing is lost to a
/// lossy conversion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct QuarantinedRecord {
    pub id: String,
    pub source: String,
    pub origin: String,
    pub position: String,
    pub reason: String,
    /// The raw bytes as UTF-8 text, or null when they are not valid UTF-8.
    pub raw: Option<String>,
    /// The raw bytes, base64 (RFC 4648, standard alphabet, padded).
    pub raw_base64: String,
    /// How many raw bytes there are.
    pub raw_size: u64,
    pub format: Option<String>,
    pub vehicle_id: Option<String>,
    pub received_at: String,
    pub replayed_at: Option<String>,
}

/// Which events to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub vehicle_id: Option<String>,
}

/// One page of a keyset-paged list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many rows match the filter, on every page.
    pub total: u64,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<String>,
}

impl Store {
    /// Stores a batch; each event once, whatever earlier batches held.
    /// Returns the outcome of each event, in batch order.
    pub async fn store_events(
        &self,
        actor: &str,
        events: &[NewEvent],
    ) -> Result<Vec<Stored>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let writer = self.telemetry_writer();
        let insert = PreparedInsert::new(writer.get_database_backend(), events);

        let _turn = self.audit_lock.lock().await;
        let txn = writer.begin().await?;
        let Inserted {
            outcomes,
            fresh_keys,
        } = insert.execute(&txn).await?;
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

    /// Events, newest first (received time, then key), optionally of one
    /// vehicle; `cursor` is the `next` of the page before.
    pub async fn list_events(
        &self,
        filter: &EventFilter,
        cursor: Option<&Cursor>,
        limit: u64,
    ) -> Result<Page<StoredEvent>, StoreError> {
        let mut matching = Condition::all();
        if let Some(vehicle_id) = &filter.vehicle_id {
            matching = matching.add(event::Column::VehicleId.eq(vehicle_id.as_str()));
        }
        let total = event::Entity::find()
            .filter(matching.clone())
            .count(self.connection())
            .await?;

        let mut query = event::Entity::find().filter(matching);
        if let Some(cursor) = cursor {
            query = query.filter(before(
                event::Column::ReceivedTimeUs,
                event::Column::DedupKey,
                cursor,
            ));
        }
        let query = query
            .order_by_desc(event::Column::ReceivedTimeUs)
            .order_by_desc(event::Column::DedupKey);
        let (rows, more) = one_page(query, limit, self.connection()).await?;
        let next = more
            .then(|| rows.last())
            .flatten()
            .map(|row| Cursor::new(row.received_time_us, &row.dedup_key).encode());
        let items = rows.into_iter().map(stored_event).collect();
        Ok(Page { items, total, next })
    }

    pub async fn count_events(&self) -> Result<u64, StoreError> {
        Ok(event::Entity::find().count(self.connection()).await?)
    }

    /// Puts records that failed to decode aside, each once under its
    /// `dedup_key`, with one audit entry naming the rows added.
    pub async fn quarantine(
        &self,
        actor: &str,
        records: Vec<NewQuarantined>,
    ) -> Result<Vec<Quarantined>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let _turn = self.audit_lock.lock().await;
        let txn = self.telemetry_writer().begin().await?;
        let outcomes = write_quarantine(&txn, records).await?;
        let ids: Vec<&str> = outcomes
            .iter()
            .filter_map(|outcome| match outcome {
                Quarantined::Added { id } => Some(id.as_str()),
                Quarantined::AlreadyKept => None,
            })
            .collect();
        if !ids.is_empty() {
            let entry = AuditEvent::new(actor, "telemetry.quarantine", "quarantine", "batch")
                .after(serde_json::json!(ids))
                .detail(format!("{} quarantined", ids.len()));
            audit::append(&txn, entry).await?;
        }
        txn.commit().await?;
        Ok(outcomes)
    }

    /// Quarantined records, oldest first (received time, then ID), those
    /// already replayed only with `include_replayed`; `cursor` is the
    /// `next` of the page before.
    pub async fn list_quarantine(
        &self,
        include_replayed: bool,
        cursor: Option<&Cursor>,
        limit: u64,
    ) -> Result<Page<QuarantinedRecord>, StoreError> {
        let mut matching = Condition::all();
        if !include_replayed {
            matching = matching.add(quarantined::Column::ReplayedAtUs.is_null());
        }
        let total = quarantined::Entity::find()
            .filter(matching.clone())
            .count(self.connection())
            .await?;

        let mut query = quarantined::Entity::find().filter(matching);
        if let Some(cursor) = cursor {
            query = query.filter(after(
                quarantined::Column::ReceivedAtUs,
                quarantined::Column::Id,
                cursor,
            ));
        }
        let query = query
            .order_by_asc(quarantined::Column::ReceivedAtUs)
            .order_by_asc(quarantined::Column::Id);
        let (rows, more) = one_page(query, limit, self.connection()).await?;
        let next = more
            .then(|| rows.last())
            .flatten()
            .map(|row| Cursor::new(row.received_at_us, &row.id).encode());
        let items = rows.into_iter().map(quarantined_record).collect();
        Ok(Page { items, total, next })
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

/// Stores each event whose key is new, in the caller's transaction;
/// returns the outcome of each.
pub(crate) async fn write_events(
    txn: &sea_orm::DatabaseTransaction,
    events: &[NewEvent],
) -> Result<Vec<Stored>, StoreError> {
    let insert = PreparedInsert::new(txn.get_database_backend(), events);
    Ok(insert.execute(txn).await?.outcomes)
}

/// Up to `limit` rows of an ordered query, and whether more follow.
async fn one_page<E: EntityTrait>(
    query: Select<E>,
    limit: u64,
    connection: &impl sea_orm::ConnectionTrait,
) -> Result<(Vec<E::Model>, bool), StoreError> {
    let mut rows = query.limit(limit.saturating_add(1)).all(connection).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((rows, more))
}

/// Inserts each record whose key is not kept yet (nor earlier in the same
/// batch); returns what became of each, in order.
async fn write_quarantine(
    txn: &sea_orm::DatabaseTransaction,
    records: Vec<NewQuarantined>,
) -> Result<Vec<Quarantined>, StoreError> {
    let mut seen = kept_quarantine_keys(txn, &records).await?;
    let received_at_us = now_us();
    let mut outcomes = Vec::with_capacity(records.len());
    let mut rows = Vec::new();
    for record in records {
        if !seen.insert(record.dedup_key.clone()) {
            outcomes.push(Quarantined::AlreadyKept);
            continue;
        }
        let id = new_id();
        outcomes.push(Quarantined::Added { id: id.clone() });
        rows.push(quarantine_row(id, record, received_at_us).into_active_model());
    }
    // A concurrent writer's copy of the same record is skipped by the
    // conflict clause rather than failing the batch.
    for chunk in chunked(rows, ROWS_PER_INSERT) {
        quarantined::Entity::insert_many(chunk)
            .on_conflict_do_nothing_on([quarantined::Column::DedupKey])
            .exec_without_returning(txn)
            .await?;
    }
    Ok(outcomes)
}

async fn kept_quarantine_keys(
    txn: &sea_orm::DatabaseTransaction,
    records: &[NewQuarantined],
) -> Result<HashSet<String>, StoreError> {
    let mut found = HashSet::new();
    for chunk in records.chunks(ROWS_PER_INSERT) {
        let keys: Vec<&str> = chunk.iter().map(|r| r.dedup_key.as_str()).collect();
        let rows: Vec<Option<String>> = quarantined::Entity::find()
            .select_only()
            .column(quarantined::Column::DedupKey)
            .filter(quarantined::Column::DedupKey.is_in(keys))
            .into_tuple()
            .all(txn)
            .await?;
        found.extend(rows.into_iter().flatten());
    }
    Ok(found)
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

fn quarantine_row(id: String, record: NewQuarantined, received_at_us: i64) -> quarantined::Model {
    quarantined::Model {
        id,
        source: storable_text(record.source),
        origin: storable_text(record.origin),
        position: storable_text(record.position),
        reason: storable_text(record.reason),
        raw: record.raw,
        format: record.format.map(storable_text),
        vehicle_id: record.vehicle_id.map(storable_text),
        received_at_us,
        replayed_at_us: None,
        record_key: record.record_key,
        dedup_key: Some(record.dedup_key),
    }
}

/// PostgreSQL text cannot hold NUL, and a reason quoting hostile input may
/// carry one: it is written as the escape `\0`, so the row is stored on
/// either database rather than failing the batch (the raw bytes, a blob,
/// keep the NUL).
fn storable_text(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "\\0")
    } else {
        text
    }
}

pub(crate) fn quarantined_record(row: quarantined::Model) -> QuarantinedRecord {
    QuarantinedRecord {
        id: row.id,
        source: row.source,
        origin: row.origin,
        position: row.position,
        reason: row.reason,
        raw_base64: STANDARD.encode(&row.raw),
        raw_size: row.raw.len() as u64,
        raw: String::from_utf8(row.raw).ok(),
        format: row.format,
        vehicle_id: row.vehicle_id,
        received_at: format_us(row.received_at_us),
        replayed_at: row.replayed_at_us.map(format_us),
    }
}
