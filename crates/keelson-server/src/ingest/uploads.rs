//! The log-upload worker: a bounded queue of upload job IDs and one task
//! that decodes each uploaded evidence file through the same file path as
//! `keelson ingest`, so its records get the same keys (the same file sent
//! twice, or also ingested from the command line, stores its events once).

use crate::detection::Detector;
use std::path::PathBuf;

use keelson_store::Store;
use keelson_store::uploads::{LogUpload, UploadStatus, UploadTotals};
use keelson_telemetry::Format;
use tokio::sync::mpsc;

use super::IngestTotals;
use super::file::{FileOptions, ingest_file};
use crate::evidence::EvidenceFiles;

/// The sending side of the upload queue, held by the API.
#[derive(Clone)]
pub struct UploadQueue {
    sender: mpsc::Sender<String>,
}

/// What the worker needs besides the queue.
#[derive(Clone)]
pub struct UploadWorker {
    pub store: Store,
    /// The live rule set: uploaded records are detected on like every other source's.
    pub detector: Detector,
    pub evidence: EvidenceFiles,
    pub dbc_dir: Option<PathBuf>,
}

impl UploadQueue {
    /// A queue of `capacity` jobs and its worker task (needs a Tokio runtime).
    pub fn start(worker: UploadWorker, capacity: usize) -> Self {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        tokio::spawn(worker.run(receiver));
        Self { sender }
    }

    /// A place in the queue, or `None` when it is full (the caller answers
    /// 429 before storing anything).
    pub fn reserve(&self) -> Option<mpsc::OwnedPermit<String>> {
        self.sender.clone().try_reserve_owned().ok()
    }

    /// Queues uploads a previous run left unfinished, waiting for room.
    pub async fn resume(&self, store: &Store) -> Result<usize, keelson_store::StoreError> {
        let unfinished = store.unfinished_uploads().await?;
        let count = unfinished.len();
        for upload in unfinished {
            if self.sender.send(upload.id).await.is_err() {
                break;
            }
        }
        Ok(count)
    }
}

impl UploadWorker {
    async fn run(self, mut receiver: mpsc::Receiver<String>) {
        while let Some(id) = receiver.recv().await {
            if let Err(error) = self.decode(&id).await {
                tracing::error!(upload = %id, %error, "log upload decoding could not be recorded");
            }
        }
    }

    /// Decodes one upload, recording decoding, then done or failed.
    async fn decode(&self, id: &str) -> Result<(), keelson_store::StoreError> {
        let Some(upload) = self.store.upload(id).await? else {
            return Ok(());
        };
        let actor = format!("upload:{}", upload.uploaded_by);
        let none = UploadTotals::default();
        self.store
            .set_upload_status(&actor, id, UploadStatus::Decoding, none, None)
            .await?;
        let (status, totals, error) = match self.ingest(&actor, &upload).await {
            Ok(totals) => (UploadStatus::Done, upload_totals(totals), None),
            Err(error) => (UploadStatus::Failed, none, Some(error)),
        };
        if let Some(error) = &error {
            tracing::warn!(upload = %id, %error, "log upload could not be decoded");
        } else {
            tracing::info!(upload = %id, accepted = totals.accepted, "log upload decoded");
        }
        self.store
            .set_upload_status(&actor, id, status, totals, error)
            .await
    }

    async fn ingest(&self, actor: &str, upload: &LogUpload) -> Result<IngestTotals, String> {
        let format = match upload.format.as_deref() {
            Some(name) => Some(Format::from_name(name).ok_or(format!("unknown format {name:?}"))?),
            None => None,
        };
        let options = FileOptions {
            format,
            vehicle_id: Some(upload.vehicle_id.clone()),
            dbc_dir: self.dbc_dir.clone(),
            source: Some("upload".to_owned()),
            origin: Some(format!(
                "log upload {} (sha256 {})",
                upload.id, upload.sha256
            )),
        };
        let path = self.evidence.path(&upload.sha256);
        ingest_file(
            &self.store,
            &self.detector,
            actor,
            &path,
            &options,
            &mut |_| {},
        )
        .await
        .map_err(|error| error.to_string())
    }
}

fn upload_totals(totals: IngestTotals) -> UploadTotals {
    UploadTotals {
        accepted: totals.accepted,
        duplicates: totals.duplicates,
        quarantined: totals.quarantined,
    }
}
