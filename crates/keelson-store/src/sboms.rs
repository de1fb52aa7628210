//! SBOM and HBOM documents attached to software builds. A document is
//! stored whole (the component graph is read from it again by the SBOM
//! library); the same bytes attach to one build once. Who may read a
//! document is decided by its build's marking.

use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::Serialize;

use crate::audit::{self, AuditEvent};
use crate::entity::{sbom_document, software_build};
use crate::{Store, StoreError, format_us, new_id, now_us};

/// A document to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSbom {
    pub build_id: String,
    pub sha256: String,
    /// Such as `CycloneDX 1.6 JSON`.
    pub format: String,
    pub components: u64,
    pub bytes: Vec<u8>,
}

/// An attached document, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SbomRecord {
    pub id: String,
    pub build_id: String,
    pub sha256: String,
    pub format: String,
    pub components: u64,
    pub imported_at: String,
}

/// What attaching did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Attached {
    New(SbomRecord),
    /// These bytes were already attached to this build.
    Already(SbomRecord),
}

impl Store {
    /// Attaches a document to an existing build (error `not_found` when the
    /// build does not exist).
    pub async fn attach_sbom(&self, actor: &str, sbom: NewSbom) -> Result<Attached, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let build = software_build::Entity::find_by_id(sbom.build_id.clone())
            .one(&txn)
            .await?;
        if build.is_none() {
            return Err(StoreError::not_found(format!("build {}", sbom.build_id)));
        }
        let existing = sbom_document::Entity::find()
            .filter(sbom_document::Column::BuildId.eq(&sbom.build_id))
            .filter(sbom_document::Column::Sha256.eq(&sbom.sha256))
            .one(&txn)
            .await?;
        if let Some(row) = existing {
            return Ok(Attached::Already(sbom_record(row)));
        }
        let row = sbom_document::Model {
            id: new_id(),
            build_id: sbom.build_id,
            sha256: sbom.sha256,
            format: sbom.format,
            components: i64::try_from(sbom.components).unwrap_or(i64::MAX),
            bytes: sbom.bytes,
            imported_at_us: now_us(),
        };
        let record = sbom_record(row.clone());
        sbom_document::Entity::insert(sbom_document::ActiveModel::from(row))
            .exec_without_returning(&txn)
            .await?;
        let after = serde_json::to_value(&record).unwrap_or_default();
        let entry = AuditEvent::new(actor, "sbom.attach", "sbom", &record.id).after(after);
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(Attached::New(record))
    }

    /// The documents attached to a build, without their bytes, oldest first.
    pub async fn sbom_records_of_build(
        &self,
        build_id: &str,
    ) -> Result<Vec<SbomRecord>, StoreError> {
        let rows = sbom_document::Entity::find()
            .select_only()
            .columns([
                sbom_document::Column::Id,
                sbom_document::Column::BuildId,
                sbom_document::Column::Sha256,
                sbom_document::Column::Format,
                sbom_document::Column::Components,
                sbom_document::Column::ImportedAtUs,
            ])
            .filter(sbom_document::Column::BuildId.eq(build_id))
            .order_by_asc(sbom_document::Column::ImportedAtUs)
            .into_model::<RecordRow>()
            .all(self.connection())
            .await?;
        Ok(rows.into_iter().map(RecordRow::into_record).collect())
    }

    /// The documents attached to a build with their bytes, oldest first.
    pub async fn sboms_of_build(
        &self,
        build_id: &str,
    ) -> Result<Vec<(SbomRecord, Vec<u8>)>, StoreError> {
        let rows = sbom_document::Entity::find()
            .filter(sbom_document::Column::BuildId.eq(build_id))
            .order_by_asc(sbom_document::Column::ImportedAtUs)
            .all(self.connection())
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let bytes = row.bytes.clone();
                (sbom_record(row), bytes)
            })
            .collect())
    }
}

/// The columns of a document but its bytes.
#[derive(FromQueryResult)]
struct RecordRow {
    id: String,
    build_id: String,
    sha256: String,
    format: String,
    components: i64,
    imported_at_us: i64,
}

impl RecordRow {
    fn into_record(self) -> SbomRecord {
        SbomRecord {
            id: self.id,
            build_id: self.build_id,
            sha256: self.sha256,
            format: self.format,
            components: u64::try_from(self.components).unwrap_or(0),
            imported_at: format_us(self.imported_at_us),
        }
    }
}

fn sbom_record(row: sbom_document::Model) -> SbomRecord {
    let columns = RecordRow {
        id: row.id,
        build_id: row.build_id,
        sha256: row.sha256,
        format: row.format,
        components: row.components,
        imported_at_us: row.imported_at_us,
    };
    columns.into_record()
}
