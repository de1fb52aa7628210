//! Bills of materials at rest: SBOMs attached to software builds and HBOMs
//! attached to ECU hardware parts. A document is stored whole (the
//! component graph is read from it again by the SBOM library); the same
//! bytes attach to one subject once. Who may read a document is decided by
//! its subject: a build's marking, or the markings of the ECUs with that
//! hardware part number.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde::Serialize;

use crate::audit::{self, AuditEvent};
use crate::entity::{ecu, sbom_document, software_build};
use crate::{Store, StoreError, format_us, new_id, now_us};

/// The audit object type of attached SBOMs and HBOMs.
pub const SBOM_OBJECT: &str = "sbom";

/// What a document describes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub enum Subject {
    /// A software build, by build ID (an SBOM).
    #[serde(rename = "build_id")]
    Build(String),
    /// An ECU hardware part, by part number (an HBOM).
    #[serde(rename = "hardware_part")]
    HardwarePart(String),
}

impl Subject {
    fn kind(&self) -> &'static str {
        match self {
            Subject::Build(_) => "build",
            Subject::HardwarePart(_) => "hardware_part",
        }
    }

    fn id(&self) -> &str {
        match self {
            Subject::Build(id) | Subject::HardwarePart(id) => id,
        }
    }

    fn from_columns(kind: &str, id: String) -> Result<Self, StoreError> {
        match kind {
            "build" => Ok(Subject::Build(id)),
            "hardware_part" => Ok(Subject::HardwarePart(id)),
            other => Err(StoreError::Corrupt(format!(
                "sbom subject kind {other:?} of {id}"
            ))),
        }
    }

    /// `build X` or `hardware part Y`, for messages.
    pub fn describe(&self) -> String {
        match self {
            Subject::Build(id) => format!("build {id}"),
            Subject::HardwarePart(part) => format!("hardware part {part}"),
        }
    }
}

/// A document to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSbom {
    pub subject: Subject,
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
    /// `build_id` or `hardware_part`, with its ID.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub subject: Subject,
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
    /// These bytes were already attached to this subject.
    Already(SbomRecord),
}

impl Store {
    /// Attaches a document to an existing build or hardware part (error
    /// `not_found` when no build has that ID, or no ECU that part number).
    pub async fn attach_sbom(&self, actor: &str, sbom: NewSbom) -> Result<Attached, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        if !subject_exists(&txn, &sbom.subject).await? {
            return Err(StoreError::not_found(sbom.subject.describe()));
        }
        let existing = sbom_document::Entity::find()
            .filter(sbom_document::Column::SubjectKind.eq(sbom.subject.kind()))
            .filter(sbom_document::Column::SubjectId.eq(sbom.subject.id()))
            .filter(sbom_document::Column::Sha256.eq(&sbom.sha256))
            .one(&txn)
            .await?;
        if let Some(row) = existing {
            return Ok(Attached::Already(sbom_record(row)?));
        }
        let row = sbom_document::Model {
            id: new_id(),
            subject_kind: sbom.subject.kind().to_owned(),
            subject_id: sbom.subject.id().to_owned(),
            sha256: sbom.sha256,
            format: sbom.format,
            components: i64::try_from(sbom.components).unwrap_or(i64::MAX),
            bytes: sbom.bytes,
            imported_at_us: now_us(),
        };
        let record = sbom_record(row.clone())?;
        sbom_document::Entity::insert(sbom_document::ActiveModel::from(row))
            .exec_without_returning(&txn)
            .await?;
        let after = serde_json::to_value(&record).unwrap_or_default();
        let entry = AuditEvent::new(actor, "sbom.attach", SBOM_OBJECT, &record.id).after(after);
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(Attached::New(record))
    }

    /// The documents attached to a subject, without their bytes, oldest first.
    pub async fn sbom_records_of(&self, subject: &Subject) -> Result<Vec<SbomRecord>, StoreError> {
        let rows = sbom_document::Entity::find()
            .select_only()
            .columns([
                sbom_document::Column::Id,
                sbom_document::Column::SubjectKind,
                sbom_document::Column::SubjectId,
                sbom_document::Column::Sha256,
                sbom_document::Column::Format,
                sbom_document::Column::Components,
                sbom_document::Column::ImportedAtUs,
            ])
            .filter(sbom_document::Column::SubjectKind.eq(subject.kind()))
            .filter(sbom_document::Column::SubjectId.eq(subject.id()))
            .order_by_asc(sbom_document::Column::ImportedAtUs)
            .into_model::<RecordRow>()
            .all(self.connection())
            .await?;
        rows.into_iter().map(RecordRow::into_record).collect()
    }

    /// The documents attached to a subject with their bytes, oldest first.
    pub async fn sboms_of(
        &self,
        subject: &Subject,
    ) -> Result<Vec<(SbomRecord, Vec<u8>)>, StoreError> {
        let rows = sbom_document::Entity::find()
            .filter(sbom_document::Column::SubjectKind.eq(subject.kind()))
            .filter(sbom_document::Column::SubjectId.eq(subject.id()))
            .order_by_asc(sbom_document::Column::ImportedAtUs)
            .all(self.connection())
            .await?;
        rows.into_iter()
            .map(|row| {
                let bytes = row.bytes.clone();
                Ok((sbom_record(row)?, bytes))
            })
            .collect()
    }

    /// The IDs of every attached document, per subject, oldest first: one
    /// read that tells a cache of findings which subjects' documents changed.
    pub async fn sbom_ids_by_subject(&self) -> Result<HashMap<Subject, Vec<String>>, StoreError> {
        let rows: Vec<(String, String, String)> = sbom_document::Entity::find()
            .select_only()
            .columns([
                sbom_document::Column::SubjectKind,
                sbom_document::Column::SubjectId,
                sbom_document::Column::Id,
            ])
            .order_by_asc(sbom_document::Column::ImportedAtUs)
            .into_tuple()
            .all(self.connection())
            .await?;
        let mut by_subject: HashMap<Subject, Vec<String>> = HashMap::new();
        for (kind, subject_id, id) in rows {
            let subject = Subject::from_columns(&kind, subject_id)?;
            by_subject.entry(subject).or_default().push(id);
        }
        Ok(by_subject)
    }

    /// The SBOMs attached to a build with their bytes, oldest first.
    pub async fn sboms_of_build(
        &self,
        build_id: &str,
    ) -> Result<Vec<(SbomRecord, Vec<u8>)>, StoreError> {
        self.sboms_of(&Subject::Build(build_id.to_owned())).await
    }
}

async fn subject_exists(db: &impl ConnectionTrait, subject: &Subject) -> Result<bool, StoreError> {
    let count = match subject {
        Subject::Build(id) => {
            software_build::Entity::find_by_id(id.clone())
                .count(db)
                .await?
        }
        Subject::HardwarePart(part) => {
            ecu::Entity::find()
                .filter(ecu::Column::HardwarePartNumber.eq(part))
                .count(db)
                .await?
        }
    };
    Ok(count > 0)
}

/// The columns of a document but its bytes.
#[derive(FromQueryResult)]
struct RecordRow {
    id: String,
    subject_kind: String,
    subject_id: String,
    sha256: String,
    format: String,
    components: i64,
    imported_at_us: i64,
}

impl RecordRow {
    fn into_record(self) -> Result<SbomRecord, StoreError> {
        Ok(SbomRecord {
            id: self.id,
            subject: Subject::from_columns(&self.subject_kind, self.subject_id)?,
            sha256: self.sha256,
            format: self.format,
            components: u64::try_from(self.components).unwrap_or(0),
            imported_at: format_us(self.imported_at_us),
        })
    }
}

fn sbom_record(row: sbom_document::Model) -> Result<SbomRecord, StoreError> {
    let columns = RecordRow {
        id: row.id,
        subject_kind: row.subject_kind,
        subject_id: row.subject_id,
        sha256: row.sha256,
        format: row.format,
        components: row.components,
        imported_at_us: row.imported_at_us,
    };
    columns.into_record()
}
