//! Replaying the quarantine: records read back page by page with their raw
//! bytes, then settled in one transaction per page: those that decode now
//! are stored (under the key they would have had) and marked replayed,
//! those that still fail keep their place with the new reason.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde::Serialize;

use crate::audit::{self, AuditEvent};
use crate::entity::quarantined;
use crate::telemetry::{NewEvent, QuarantinedRecord, Stored, quarantined_record, write_events};
use crate::{Store, StoreError, now_us};

/// A quarantined record waiting for a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRecord {
    pub record: QuarantinedRecord,
    pub raw: Vec<u8>,
    /// The key a file record would have been stored under.
    pub record_key: Option<String>,
}

/// What a replay made of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replayed {
    /// It decoded into these events (usually one).
    Decoded { id: String, events: Vec<NewEvent> },
    /// It still does not decode, for this reason.
    StillFailing { id: String, reason: String },
}

/// The counts a replay prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReplayCounts {
    /// Records that decoded and left the quarantine.
    pub replayed: u64,
    /// Events stored by them.
    pub accepted: u64,
    /// Events already stored under the same key.
    pub duplicates: u64,
    /// Records that still fail and stay quarantined.
    pub still_quarantined: u64,
}

impl ReplayCounts {
    pub fn add(&mut self, other: ReplayCounts) {
        self.replayed += other.replayed;
        self.accepted += other.accepted;
        self.duplicates += other.duplicates;
        self.still_quarantined += other.still_quarantined;
    }
}

impl Store {
    /// Up to `limit` records not yet replayed whose ID sorts after `after`,
    /// in ID order (time-ordered IDs, so oldest first).
    pub async fn pending_quarantine(
        &self,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<PendingRecord>, StoreError> {
        let mut filter = Condition::all().add(quarantined::Column::ReplayedAtUs.is_null());
        if let Some(after) = after {
            filter = filter.add(quarantined::Column::Id.gt(after));
        }
        let rows = quarantined::Entity::find()
            .filter(filter)
            .order_by_asc(quarantined::Column::Id)
            .limit(limit)
            .all(self.connection())
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| PendingRecord {
                raw: row.raw.clone(),
                record_key: row.record_key.clone(),
                record: quarantined_record(row),
            })
            .collect())
    }

    /// Settles one page of a replay in one transaction, audited once as
    /// `quarantine.replay` with the counts and the replayed IDs.
    pub async fn settle_replay(
        &self,
        actor: &str,
        results: Vec<Replayed>,
    ) -> Result<ReplayCounts, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.telemetry_writer().begin().await?;
        let mut counts = ReplayCounts::default();
        let mut replayed_ids = Vec::new();
        for result in results {
            match result {
                Replayed::Decoded { id, events } => {
                    let outcomes = write_events(&txn, &events).await?;
                    count_outcomes(&mut counts, &outcomes);
                    set_replayed(&txn, &id).await?;
                    replayed_ids.push(id);
                }
                Replayed::StillFailing { id, reason } => {
                    set_reason(&txn, &id, reason).await?;
                    counts.still_quarantined += 1;
                }
            }
        }
        counts.replayed = replayed_ids.len() as u64;
        let entry = AuditEvent::new(actor, "quarantine.replay", "quarantine", "batch")
            .after(serde_json::json!({"replayed": replayed_ids, "counts": counts}))
            .detail(format!(
                "{} replayed, {} still quarantined",
                counts.replayed, counts.still_quarantined
            ));
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(counts)
    }
}

fn count_outcomes(counts: &mut ReplayCounts, outcomes: &[Stored]) {
    for outcome in outcomes {
        match outcome {
            Stored::Accepted => counts.accepted += 1,
            Stored::Duplicate => counts.duplicates += 1,
        }
    }
}

async fn set_replayed(txn: &sea_orm::DatabaseTransaction, id: &str) -> Result<(), StoreError> {
    let mut change = quarantined_row(txn, id).await?.into_active_model();
    change.replayed_at_us = Set(Some(now_us()));
    quarantined::Entity::update(change).exec(txn).await?;
    Ok(())
}

async fn set_reason(
    txn: &sea_orm::DatabaseTransaction,
    id: &str,
    reason: String,
) -> Result<(), StoreError> {
    let mut change = quarantined_row(txn, id).await?.into_active_model();
    change.reason = Set(reason);
    quarantined::Entity::update(change).exec(txn).await?;
    Ok(())
}

async fn quarantined_row(
    txn: &sea_orm::DatabaseTransaction,
    id: &str,
) -> Result<quarantined::Model, StoreError> {
    quarantined::Entity::find_by_id(id.to_owned())
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("quarantined record {id}")))
}
