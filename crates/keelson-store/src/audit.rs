//! The audit chain: every change of state appended, in the transaction that
//! makes the change, to a table where each entry carries the hash of the one
//! before it. Changing, inserting or deleting an entry in the middle breaks
//! the chain at that entry, which [`Store::verify_audit_chain`] names.
//!
//! Only digests of the before and after states are kept, so secrets (password
//! hashes, token hashes) never enter the log in any form that could be read.

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait,
};
use sea_orm::{ColumnTrait, Condition};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::entity::audit_entry::{self, Column, Entity as AuditLog};
use crate::{Store, StoreError, format_us, now_us};

/// The hash that stands before the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A change of state to record.
#[derive(Debug, Clone, Default)]
pub struct AuditEvent {
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// A short, non-secret note (a transition's reason, a count).
    pub detail: Option<String>,
}

impl AuditEvent {
    pub fn new(actor: &str, action: &str, object_type: &str, object_id: &str) -> Self {
        Self {
            actor: actor.to_owned(),
            action: action.to_owned(),
            object_type: object_type.to_owned(),
            object_id: object_id.to_owned(),
            ..Self::default()
        }
    }

    pub fn before(mut self, state: Value) -> Self {
        self.before = Some(state);
        self
    }

    pub fn after(mut self, state: Value) -> Self {
        self.after = Some(state);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// One stored entry of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before_digest: Option<String>,
    pub after_digest: Option<String>,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The outcome of recomputing the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChainReport {
    pub ok: bool,
    pub entries: u64,
    /// The sequence number of the first entry that does not verify.
    pub first_broken: Option<i64>,
    /// Why that entry does not verify.
    pub reason: Option<String>,
}

/// The last entry a verification of the chain found intact, and how many
/// entries up to it verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainMark {
    pub seq: i64,
    pub hash: String,
    pub entries: u64,
}

/// The sequence number the entry after `last` must carry.
fn next_seq_of(last: Option<&ChainMark>) -> i64 {
    last.map_or(1, |mark| mark.seq + 1)
}

fn intact(entries: u64) -> ChainReport {
    ChainReport {
        ok: true,
        entries,
        first_broken: None,
        reason: None,
    }
}

fn broken(entries: u64, first_broken: i64, reason: String) -> ChainReport {
    ChainReport {
        ok: false,
        entries,
        first_broken: Some(first_broken),
        reason: Some(reason),
    }
}

/// Appends one entry; the caller holds the audit lock and commits `txn`.
pub(crate) async fn append(
    txn: &DatabaseTransaction,
    event: AuditEvent,
) -> Result<AuditEntry, StoreError> {
    lock_chain_head(txn).await?;
    let head = AuditLog::find().order_by_desc(Column::Seq).one(txn).await?;
    let (seq, prev_hash) = match head {
        Some(head) => (head.seq + 1, head.hash),
        None => (1, GENESIS_HASH.to_owned()),
    };

    let mut entry = AuditEntry {
        seq,
        at: String::new(),
        actor: event.actor,
        action: event.action,
        object_type: event.object_type,
        object_id: event.object_id,
        before_digest: event.before.as_ref().map(state_digest),
        after_digest: event.after.as_ref().map(state_digest),
        detail: event.detail,
        prev_hash,
        hash: String::new(),
    };
    let at_us = now_us();
    entry.hash = entry_hash(&entry, at_us);
    entry.at = format_us(at_us);

    AuditLog::insert(active_model(&entry, at_us))
        .exec_without_returning(txn)
        .await?;
    Ok(entry)
}

/// On PostgreSQL, other processes append too: a transaction-scoped advisory
/// lock makes them take turns. SQLite serialises writers by itself.
pub(crate) async fn lock_chain_head(txn: &DatabaseTransaction) -> Result<(), StoreError> {
    if txn.get_database_backend() == DbBackend::Postgres {
        let lock = Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(7300462011)",
        );
        txn.execute_raw(lock).await?;
    }
    Ok(())
}

fn active_model(entry: &AuditEntry, at_us: i64) -> audit_entry::ActiveModel {
    audit_entry::ActiveModel {
        seq: Set(entry.seq),
        at_us: Set(at_us),
        actor: Set(entry.actor.clone()),
        action: Set(entry.action.clone()),
        object_type: Set(entry.object_type.clone()),
        object_id: Set(entry.object_id.clone()),
        before_digest: Set(entry.before_digest.clone()),
        after_digest: Set(entry.after_digest.clone()),
        detail: Set(entry.detail.clone()),
        prev_hash: Set(entry.prev_hash.clone()),
        hash: Set(entry.hash.clone()),
    }
}

/// SHA-256 over every field but the hash itself, as a JSON array so that no
/// choice of separator can make two different entries hash alike.
fn entry_hash(entry: &AuditEntry, at_us: i64) -> String {
    let fields = serde_json::json!([
        entry.prev_hash,
        entry.seq,
        at_us,
        entry.actor,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.before_digest,
        entry.after_digest,
        entry.detail,
    ]);
    hex::encode(Sha256::digest(fields.to_string().as_bytes()))
}

/// The digest of a state: SHA-256 of its canonical JSON (keys sorted).
pub fn state_digest(state: &Value) -> String {
    let mut canonical = String::new();
    write_canonical(state, &mut canonical);
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (index, key) in keys.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

const VERIFY_PAGE: u64 = 1_000;

impl Store {
    /// Recomputes the whole chain and names the first entry that fails.
    pub async fn verify_audit_chain(&self) -> Result<ChainReport, StoreError> {
        let (report, _) = self.verify_audit_chain_after(None).await?;
        Ok(report)
    }

    /// Recomputes the chain from the entry after `mark` (from the first entry
    /// without one) and reports on the whole chain, with the mark to carry
    /// on from next time. The entry the mark names must still hold the hash
    /// it held when verified; entries before it are not read again, so a
    /// caller that keeps a mark trusts its earlier verification for them.
    pub async fn verify_audit_chain_after(
        &self,
        mark: Option<&ChainMark>,
    ) -> Result<(ChainReport, Option<ChainMark>), StoreError> {
        if let Some(mark) = mark
            && let Some(reason) = self.mark_changed(mark).await?
        {
            let before = mark.entries.saturating_sub(1);
            return Ok((broken(before, mark.seq, reason), None));
        }
        let mut last = mark.cloned();
        loop {
            let page = AuditLog::find()
                .filter(Column::Seq.gte(next_seq_of(last.as_ref())))
                .order_by_asc(Column::Seq)
                .limit(VERIFY_PAGE)
                .all(self.connection())
                .await?;
            if page.is_empty() {
                let entries = last.as_ref().map_or(0, |mark| mark.entries);
                return Ok((intact(entries), last));
            }
            for row in page {
                let (entries, prev) = match &last {
                    Some(mark) => (mark.entries, mark.hash.as_str()),
                    None => (0, GENESIS_HASH),
                };
                if let Some(reason) = check_row(&row, next_seq_of(last.as_ref()), prev) {
                    return Ok((broken(entries, row.seq, reason), None));
                }
                last = Some(ChainMark {
                    seq: row.seq,
                    hash: row.hash,
                    entries: entries + 1,
                });
            }
        }
    }

    /// Why the entry a mark names no longer verifies as it did, if it does not.
    async fn mark_changed(&self, mark: &ChainMark) -> Result<Option<String>, StoreError> {
        let row = AuditLog::find()
            .filter(Column::Seq.eq(mark.seq))
            .one(self.connection())
            .await?;
        Ok(match row {
            None => Some("entry missing since it was verified".to_owned()),
            Some(row) if row.hash != mark.hash => {
                Some("hash changed since the entry was verified".to_owned())
            }
            Some(row) => check_row(&row, mark.seq, &row.prev_hash),
        })
    }

    /// The sequence number of the latest entry on each of `object_types`
    /// (none where there is none yet). Every change of state appends an
    /// entry in its own transaction, so a roll-up worked out from those
    /// object types is still current while these numbers are unchanged.
    pub async fn latest_audit_seqs(
        &self,
        object_types: &[&str],
    ) -> Result<Vec<Option<i64>>, StoreError> {
        let mut latest = Vec::with_capacity(object_types.len());
        for object_type in object_types {
            let seq: Option<Option<i64>> = AuditLog::find()
                .select_only()
                .column_as(Column::Seq.max(), "seq")
                .filter(object_type_literal(object_type)?)
                .into_tuple()
                .one(self.connection())
                .await?;
            latest.push(seq.flatten());
        }
        Ok(latest)
    }

    /// Entries for one object (or all), newest first.
    pub async fn audit_entries(
        &self,
        object: Option<(&str, &str)>,
        limit: u64,
        before_seq: Option<i64>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut condition = Condition::all();
        if let Some((object_type, object_id)) = object {
            condition = condition
                .add(Column::ObjectType.eq(object_type))
                .add(Column::ObjectId.eq(object_id));
        }
        if let Some(seq) = before_seq {
            condition = condition.add(Column::Seq.lt(seq));
        }
        let rows = AuditLog::find()
            .filter(condition)
            .order_by_desc(Column::Seq)
            .limit(limit)
            .all(self.connection())
            .await?;
        Ok(rows.into_iter().map(entry_from_row).collect())
    }

    /// How many entries the chain holds.
    pub async fn audit_len(&self) -> Result<u64, StoreError> {
        Ok(AuditLog::find().count(self.connection()).await?)
    }

    /// Records a change that has no other table row (a failed login, an
    /// export), in a transaction of its own.
    pub async fn record_audit(&self, event: AuditEvent) -> Result<AuditEntry, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let entry = append(&txn, event).await?;
        txn.commit().await?;
        Ok(entry)
    }
}

fn check_row(row: &audit_entry::Model, expected_seq: i64, expected_prev: &str) -> Option<String> {
    if row.seq != expected_seq {
        return Some(format!(
            "expected entry {expected_seq}, found {}: entries missing",
            row.seq
        ));
    }
    if row.prev_hash != expected_prev {
        return Some("previous-hash link does not match the entry before".to_owned());
    }
    let entry = entry_from_row(row.clone());
    if entry_hash(&entry, row.at_us) != row.hash {
        return Some("content does not match its hash".to_owned());
    }
    None
}

fn entry_from_row(row: audit_entry::Model) -> AuditEntry {
    AuditEntry {
        seq: row.seq,
        at: format_us(row.at_us),
        actor: row.actor,
        action: row.action,
        object_type: row.object_type,
        object_id: row.object_id,
        before_digest: row.before_digest,
        after_digest: row.after_digest,
        detail: row.detail,
        prev_hash: row.prev_hash,
        hash: row.hash,
    }
}

/// `object_type = '...'` with the type written into the SQL rather than
/// bound: PostgreSQL plans a prepared statement whose type is a parameter
/// once for any type, and that plan walks the whole log backwards for a
/// type with few entries; with the type in the text, each type gets the
/// plan its own statistics call for (the `(object_type, seq)` index).
/// Refused unless the type is lower-case letters and underscores, as every
/// audit object type is.
fn object_type_literal(object_type: &str) -> Result<SimpleExpr, StoreError> {
    let plain = !object_type.is_empty()
        && object_type
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte == b'_');
    if !plain {
        return Err(StoreError::invalid(
            "object_type",
            format!("{object_type:?} is not an audit object type"),
        ));
    }
    Ok(Expr::cust(format!("object_type = '{object_type}'")))
}

/// The object type and ID of each entry after the given sequence number of
/// its type (`None`: every entry of the type), oldest first; `None` when
/// more than `limit` match. Entries are appended one transaction at a time
/// (the hash chain links each to the one before), so a later sequence
/// number is never committed before an earlier one.
pub(crate) async fn objects_changed_after(
    db: &impl ConnectionTrait,
    types_after: &[(&str, Option<i64>)],
    limit: u64,
) -> Result<Option<Vec<(String, String)>>, StoreError> {
    let mut any_type = Condition::any();
    for (object_type, after) in types_after {
        let mut of_type = Condition::all().add(Column::ObjectType.eq(*object_type));
        if let Some(after) = after {
            of_type = of_type.add(Column::Seq.gt(*after));
        }
        any_type = any_type.add(of_type);
    }
    let changed: Vec<(String, String)> = AuditLog::find()
        .select_only()
        .column(Column::ObjectType)
        .column(Column::ObjectId)
        .filter(any_type)
        .order_by_asc(Column::Seq)
        .limit(limit + 1)
        .into_tuple()
        .all(db)
        .await?;
    Ok((changed.len() as u64 <= limit).then_some(changed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_object_type_is_written_into_the_sql() {
        for refused in ["", "Vehicle", "vehicle'; DROP TABLE audit_log; --", "a b"] {
            let error = object_type_literal(refused).expect_err(refused);
            assert!(error.to_string().contains("object_type"), "{error}");
        }
        assert!(object_type_literal(crate::feeds::FEED_OBJECT).is_ok());
    }

    #[test]
    fn state_digest_ignores_key_order() {
        let a = serde_json::json!({"b": 1, "a": {"y": [1, 2], "x": null}});
        let b = serde_json::json!({"a": {"x": null, "y": [1, 2]}, "b": 1});
        assert_eq!(state_digest(&a), state_digest(&b));
        assert_ne!(state_digest(&a), state_digest(&serde_json::json!({"b": 2})));
    }
}
