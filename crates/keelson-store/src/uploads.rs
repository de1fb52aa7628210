//! Log uploads: capture files sent for one vehicle, kept as evidence under
//! their SHA-256 (the bytes live in the data folder, not here), and the
//! state of their decoding from queued to done or failed.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde::Serialize;

use crate::audit::{self, AuditEvent};
use crate::entity::log_upload;
use crate::{Created, Store, StoreError, format_us, now_us};

/// Where an upload's decoding stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UploadStatus {
    /// Stored as evidence, waiting for the decoding worker.
    Queued,
    Decoding,
    Done,
    /// The file could not be decoded at all (unknown format, unreadable).
    Failed,
}

impl UploadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadStatus::Queued => "queued",
            UploadStatus::Decoding => "decoding",
            UploadStatus::Done => "done",
            UploadStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "queued" => Ok(UploadStatus::Queued),
            "decoding" => Ok(UploadStatus::Decoding),
            "done" => Ok(UploadStatus::Done),
            "failed" => Ok(UploadStatus::Failed),
            other => Err(StoreError::Corrupt(format!("upload status {other:?}"))),
        }
    }
}

/// An upload about to be recorded; `id` is the job ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewUpload {
    pub id: String,
    pub vehicle_id: String,
    pub sha256: String,
    pub size: u64,
    pub uploaded_by: String,
    /// The format the uploader named, or `None` to detect it.
    pub format: Option<String>,
}

/// What decoding an upload stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UploadTotals {
    pub accepted: u64,
    pub duplicates: u64,
    pub quarantined: u64,
}

/// An upload as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LogUpload {
    pub id: String,
    pub vehicle_id: String,
    pub sha256: String,
    pub size: u64,
    pub uploaded_by: String,
    pub format: Option<String>,
    pub status: UploadStatus,
    #[serde(flatten)]
    pub totals: UploadTotals,
    pub error: Option<String>,
    pub uploaded_at: String,
    pub finished_at: Option<String>,
}

impl Store {
    /// Records an upload as queued, with its `log_upload.create` entry.
    pub async fn record_upload(&self, actor: &str, new: &NewUpload) -> Result<(), StoreError> {
        let row = log_upload::Model {
            id: new.id.clone(),
            vehicle_id: new.vehicle_id.clone(),
            sha256: new.sha256.clone(),
            size: i64::try_from(new.size).unwrap_or(i64::MAX),
            uploaded_by: new.uploaded_by.clone(),
            format: new.format.clone(),
            status: UploadStatus::Queued.as_str().to_owned(),
            accepted: 0,
            duplicates: 0,
            quarantined: 0,
            error: None,
            uploaded_at_us: now_us(),
            finished_at_us: None,
        };
        let created = Created::new(actor, "log_upload", &new.id, new);
        self.insert_audited(created, row.into_active_model()).await
    }

    /// Moves an upload to `status`, with the totals and error of its
    /// decoding, audited as `log_upload.<status>`.
    pub async fn set_upload_status(
        &self,
        actor: &str,
        id: &str,
        status: UploadStatus,
        totals: UploadTotals,
        error: Option<String>,
    ) -> Result<(), StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let row = log_upload::Entity::find_by_id(id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("log upload {id}")))?;
        let before = serde_json::json!({"status": row.status});
        let mut change = row.into_active_model();
        change.status = Set(status.as_str().to_owned());
        change.accepted = Set(count(totals.accepted));
        change.duplicates = Set(count(totals.duplicates));
        change.quarantined = Set(count(totals.quarantined));
        change.error = Set(error.clone());
        let finished = matches!(status, UploadStatus::Done | UploadStatus::Failed);
        change.finished_at_us = Set(finished.then(now_us));
        log_upload::Entity::update(change).exec(&txn).await?;

        let action = format!("log_upload.{}", status.as_str());
        let after = serde_json::json!({"status": status, "totals": totals, "error": error});
        let entry = AuditEvent::new(actor, &action, "log_upload", id)
            .before(before)
            .after(after);
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(())
    }

    /// One vehicle's uploads, newest first.
    pub async fn list_uploads(&self, vehicle_id: &str) -> Result<Vec<LogUpload>, StoreError> {
        let rows = log_upload::Entity::find()
            .filter(log_upload::Column::VehicleId.eq(vehicle_id))
            .order_by_desc(log_upload::Column::UploadedAtUs)
            .all(self.connection())
            .await?;
        rows.into_iter().map(upload_from_row).collect()
    }

    /// Uploads whose decoding had not finished (queued, or interrupted by a
    /// stop), oldest first: the worker picks them up again on start.
    pub async fn unfinished_uploads(&self) -> Result<Vec<LogUpload>, StoreError> {
        let waiting = [
            UploadStatus::Queued.as_str(),
            UploadStatus::Decoding.as_str(),
        ];
        let rows = log_upload::Entity::find()
            .filter(log_upload::Column::Status.is_in(waiting))
            .order_by_asc(log_upload::Column::UploadedAtUs)
            .all(self.connection())
            .await?;
        rows.into_iter().map(upload_from_row).collect()
    }

    pub async fn upload(&self, id: &str) -> Result<Option<LogUpload>, StoreError> {
        let row = log_upload::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?;
        row.map(upload_from_row).transpose()
    }
}

fn count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn upload_from_row(row: log_upload::Model) -> Result<LogUpload, StoreError> {
    let unsigned = |value: i64| u64::try_from(value).unwrap_or_default();
    Ok(LogUpload {
        status: UploadStatus::parse(&row.status)?,
        id: row.id,
        vehicle_id: row.vehicle_id,
        sha256: row.sha256,
        size: unsigned(row.size),
        uploaded_by: row.uploaded_by,
        format: row.format,
        totals: UploadTotals {
            accepted: unsigned(row.accepted),
            duplicates: unsigned(row.duplicates),
            quarantined: unsigned(row.quarantined),
        },
        error: row.error,
        uploaded_at: format_us(row.uploaded_at_us),
        finished_at: row.finished_at_us.map(format_us),
    })
}
