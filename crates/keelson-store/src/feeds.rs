//! Vulnerability feed files at rest. The store keeps each imported file
//! whole, once per content digest, in import order; the knowledge base is
//! rebuilt from them by the vulnerability library, so what Keelson knows can
//! always be traced to the exact bytes a feed published.

use sea_orm::{ActiveValue::Set, EntityTrait, QueryOrder, QuerySelect, TransactionTrait};

use crate::audit::{self, AuditEvent};
use crate::entity::feed_file;
use crate::{Store, StoreError, now_us};

/// The audit object type of stored feed files.
pub const FEED_OBJECT: &str = "feed_file";

/// A feed file as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedFile {
    pub sha256: String,
    /// `osv`, `osv-zip`, `nvd`, `kev` or `epss`.
    pub kind: String,
    /// The file name it was imported from.
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Store {
    /// Stores a feed file unless one with the same content is stored;
    /// returns whether it was new.
    pub async fn store_feed_file(&self, actor: &str, file: FeedFile) -> Result<bool, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let existing = feed_file::Entity::find_by_id(file.sha256.clone())
            .one(&txn)
            .await?;
        if existing.is_some() {
            return Ok(false);
        }
        let last: Option<i64> = feed_file::Entity::find()
            .select_only()
            .column(feed_file::Column::Seq)
            .order_by_desc(feed_file::Column::Seq)
            .into_tuple()
            .one(&txn)
            .await?;
        let summary = serde_json::json!({
            "sha256": file.sha256, "kind": file.kind, "name": file.name, "size": file.bytes.len()
        });
        let row = feed_file::ActiveModel {
            sha256: Set(file.sha256.clone()),
            seq: Set(last.unwrap_or(0) + 1),
            kind: Set(file.kind),
            name: Set(file.name),
            bytes: Set(file.bytes),
            imported_at_us: Set(now_us()),
        };
        feed_file::Entity::insert(row)
            .exec_without_returning(&txn)
            .await?;
        let entry =
            AuditEvent::new(actor, "vulndb.import", FEED_OBJECT, &file.sha256).after(summary);
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// The SHA-256 of every stored feed file, in import order (without their
    /// bytes: a cheap check of whether anything was imported since).
    pub async fn feed_digests(&self) -> Result<Vec<String>, StoreError> {
        let digests = feed_file::Entity::find()
            .select_only()
            .column(feed_file::Column::Sha256)
            .order_by_asc(feed_file::Column::Seq)
            .into_tuple()
            .all(self.connection())
            .await?;
        Ok(digests)
    }

    /// One stored feed file.
    pub async fn feed_file(&self, sha256: &str) -> Result<Option<FeedFile>, StoreError> {
        let row = feed_file::Entity::find_by_id(sha256.to_owned())
            .one(self.connection())
            .await?;
        Ok(row.map(feed_file_from_row))
    }

    /// Every stored feed file, in import order.
    pub async fn feed_files(&self) -> Result<Vec<FeedFile>, StoreError> {
        let rows = feed_file::Entity::find()
            .order_by_asc(feed_file::Column::Seq)
            .all(self.connection())
            .await?;
        Ok(rows.into_iter().map(feed_file_from_row).collect())
    }
}

fn feed_file_from_row(row: feed_file::Model) -> FeedFile {
    FeedFile {
        sha256: row.sha256,
        kind: row.kind,
        name: row.name,
        bytes: row.bytes,
    }
}
