//! Forensic evidence analysts attach to an incident (logs, telemetry
//! extracts, memory images): one row per incident and SHA-256, the bytes
//! kept content-addressed in the data folder by the server. Each item's
//! chain of custody is its audit entries (object type `evidence`): the
//! upload, then every listing, view, download and export, each recorded
//! with who and when before the bytes or the metadata leave. The custody
//! log is read back from the chain, so it is as tamper-evident as the
//! chain is.

use sea_orm::TransactionTrait;
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::audit::{self, AuditEvent};
use crate::entity::{audit_entry, incident, incident_evidence};
use crate::{Store, StoreError, format_us, new_id, now_us};

/// The object type of evidence items in the audit chain.
pub const EVIDENCE_OBJECT: &str = "evidence";

/// The kinds of evidence an analyst may attach.
pub const EVIDENCE_KINDS: [&str; 4] = ["log", "telemetry", "memory_image", "other"];

/// Entries read per query while collecting a custody log.
const PAGE: u64 = 1_000;

/// Evidence to attach; the bytes are already stored under `sha256`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvidence {
    pub incident_id: String,
    pub sha256: String,
    pub size: u64,
    /// One of [`EVIDENCE_KINDS`].
    pub kind: String,
    /// The file name the analyst gave.
    pub name: String,
    pub description: Option<String>,
}

/// An evidence item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct EvidenceItem {
    pub id: String,
    pub incident_id: String,
    pub sha256: String,
    pub size: u64,
    pub kind: String,
    pub name: String,
    pub description: Option<String>,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

/// One entry of an item's chain of custody.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CustodyEntry {
    /// The entry's place in the audit chain.
    pub seq: i64,
    pub at: String,
    pub actor: String,
    /// `evidence.upload`, `evidence.list`, `evidence.view`,
    /// `evidence.download` or `evidence.export`.
    pub action: String,
    pub detail: Option<String>,
}

/// What attaching did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attached {
    Created(EvidenceItem),
    /// The same bytes were already attached to the incident.
    Existing(EvidenceItem),
}

impl Store {
    /// Attaches stored bytes to an incident, audited as the first entry of
    /// the item's custody; the same bytes again on the same incident give
    /// the existing item.
    pub async fn attach_evidence(
        &self,
        actor: &str,
        new: &NewEvidence,
    ) -> Result<Attached, StoreError> {
        check_new(new)?;
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        incident::Entity::find_by_id(new.incident_id.clone())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("incident {}", new.incident_id)))?;
        let earlier = incident_evidence::Entity::find()
            .filter(incident_evidence::Column::IncidentId.eq(new.incident_id.as_str()))
            .filter(incident_evidence::Column::Sha256.eq(new.sha256.as_str()))
            .one(&txn)
            .await?;
        if let Some(row) = earlier {
            return Ok(Attached::Existing(item_from_row(row)));
        }
        let row = incident_evidence::Model {
            id: new_id(),
            incident_id: new.incident_id.clone(),
            sha256: new.sha256.clone(),
            size: i64::try_from(new.size).unwrap_or(i64::MAX),
            kind: new.kind.clone(),
            name: new.name.trim().to_owned(),
            description: new.description.clone(),
            uploaded_by: actor.to_owned(),
            uploaded_at_us: now_us(),
        };
        incident_evidence::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&txn)
            .await?;
        let item = item_from_row(row);
        let entry = AuditEvent::new(actor, "evidence.upload", EVIDENCE_OBJECT, &item.id)
            .after(serde_json::to_value(&item).unwrap_or_default())
            .detail(format!(
                "incident {}, sha256 {}, {} bytes",
                item.incident_id, item.sha256, item.size
            ));
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(Attached::Created(item))
    }

    /// An incident's evidence, oldest first.
    pub async fn incident_evidence(
        &self,
        incident_id: &str,
    ) -> Result<Vec<EvidenceItem>, StoreError> {
        let rows = incident_evidence::Entity::find()
            .filter(incident_evidence::Column::IncidentId.eq(incident_id))
            .order_by_asc(incident_evidence::Column::UploadedAtUs)
            .order_by_asc(incident_evidence::Column::Id)
            .all(self.connection())
            .await?;
        Ok(rows.into_iter().map(item_from_row).collect())
    }

    pub async fn evidence_item(&self, id: &str) -> Result<Option<EvidenceItem>, StoreError> {
        let row = incident_evidence::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?;
        Ok(row.map(item_from_row))
    }

    /// Every item holding these bytes, on whatever incident.
    pub async fn evidence_with_digest(
        &self,
        sha256: &str,
    ) -> Result<Vec<EvidenceItem>, StoreError> {
        let rows = incident_evidence::Entity::find()
            .filter(incident_evidence::Column::Sha256.eq(sha256))
            .order_by_asc(incident_evidence::Column::UploadedAtUs)
            .all(self.connection())
            .await?;
        Ok(rows.into_iter().map(item_from_row).collect())
    }

    /// Records an access (`list`, `view`, `download`, `export`) of each
    /// item in its custody log, all in one transaction; the caller lets
    /// the data leave only after this returned.
    pub async fn record_evidence_access(
        &self,
        actor: &str,
        access: &str,
        items: &[EvidenceItem],
        detail: &str,
    ) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        for item in items {
            let action = format!("evidence.{access}");
            let entry = AuditEvent::new(actor, &action, EVIDENCE_OBJECT, &item.id).detail(format!(
                "incident {}, sha256 {}: {detail}",
                item.incident_id, item.sha256
            ));
            audit::append(&txn, entry).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// An item's chain of custody: its audit entries in chain order.
    pub async fn evidence_custody(&self, item_id: &str) -> Result<Vec<CustodyEntry>, StoreError> {
        let mut entries = Vec::new();
        let mut after_seq = 0_i64;
        loop {
            let page = audit_entry::Entity::find()
                .filter(audit_entry::Column::ObjectType.eq(EVIDENCE_OBJECT))
                .filter(audit_entry::Column::ObjectId.eq(item_id))
                .filter(audit_entry::Column::Seq.gt(after_seq))
                .order_by_asc(audit_entry::Column::Seq)
                .limit(PAGE)
                .all(self.connection())
                .await?;
            let Some(last) = page.last() else {
                return Ok(entries);
            };
            after_seq = last.seq;
            entries.extend(page.into_iter().map(|row| CustodyEntry {
                seq: row.seq,
                at: format_us(row.at_us),
                actor: row.actor,
                action: row.action,
                detail: row.detail,
            }));
        }
    }
}

fn check_new(new: &NewEvidence) -> Result<(), StoreError> {
    if !EVIDENCE_KINDS.contains(&new.kind.as_str()) {
        return Err(StoreError::invalid(
            "kind",
            format!("{:?} is none of {}", new.kind, EVIDENCE_KINDS.join(", ")),
        ));
    }
    let name = new.name.trim();
    if name.is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
        return Err(StoreError::invalid("name", "1 to 255 printable characters"));
    }
    let hex_digest = new.sha256.len() == 64
        && new
            .sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !hex_digest {
        return Err(StoreError::invalid("sha256", "64 lowercase hex digits"));
    }
    Ok(())
}

fn item_from_row(row: incident_evidence::Model) -> EvidenceItem {
    EvidenceItem {
        uploaded_at: format_us(row.uploaded_at_us),
        size: u64::try_from(row.size).unwrap_or(0),
        id: row.id,
        incident_id: row.incident_id,
        sha256: row.sha256,
        kind: row.kind,
        name: row.name,
        description: row.description,
        uploaded_by: row.uploaded_by,
    }
}
