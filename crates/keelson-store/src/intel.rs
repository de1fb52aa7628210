//! Threat intelligence at rest: the STIX objects Keelson keeps (indicators,
//! attack patterns such as Automotive Threat Matrix techniques, vulnerabilities,
//! relationships), one row per STIX ID at its latest version, each with its TLP
//! marking and its source (the digest of the file it was imported from, or the
//! user who created it).
//!
//! An import is idempotent per STIX ID and `modified`: an object already stored
//! at the same or a later version changes nothing; a later version replaces the
//! row. An import that changes rows appends one `intel.import` audit entry naming
//! every object it stored or replaced; one that changes nothing appends none.
//! The store keeps the object's body as JSON; reading it is the caller's.

use std::collections::BTreeMap;

use keelson_core::{Marked, Marking};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, TransactionTrait,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::audit::{self, AuditEvent};
use crate::entity::intel_object;
use crate::marking::{MarkingColumns, marking_from_columns};
use crate::{Created, Store, StoreError, format_us, new_id, now_us};

/// The audit object type of an import.
pub const INTEL_IMPORT_OBJECT: &str = "intel_import";

/// The STIX types the store keeps.
pub const INTEL_KINDS: [&str; 4] = [
    "indicator",
    "attack-pattern",
    "vulnerability",
    "relationship",
];

/// One object to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIntelObject {
    /// One of [`INTEL_KINDS`].
    pub kind: String,
    pub stix_id: String,
    pub created: String,
    pub modified: String,
    pub modified_us: i64,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub tactic: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub body: Value,
    pub marking: Marking,
}

/// A stored object.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IntelRecord {
    pub id: String,
    pub kind: String,
    pub stix_id: String,
    pub created: String,
    pub modified: String,
    #[serde(skip)]
    pub modified_us: i64,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub tactic: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    #[schema(value_type = Object)]
    pub body: Value,
    pub source: String,
    pub added_by: String,
    /// When this version was stored (TAXII's `date_added`).
    pub added_at: String,
    #[serde(skip)]
    pub added_at_us: i64,
    pub marking: Marking,
}

impl Marked for IntelRecord {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

/// What an import did, per STIX type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IntelImported {
    /// Objects not stored before.
    pub stored: BTreeMap<String, u64>,
    /// Objects stored before at an earlier version, now replaced.
    pub updated: BTreeMap<String, u64>,
    /// Objects already stored at this or a later version.
    pub unchanged: BTreeMap<String, u64>,
}

/// What an import changed, for its audit entry.
enum Outcome {
    Stored,
    Updated,
    Unchanged,
}

impl Store {
    /// Stores a file's objects in one transaction; `source` names the file
    /// (`import:sha256:DIGEST`).
    pub async fn import_intel(
        &self,
        actor: &str,
        source: &str,
        objects: &[NewIntelObject],
    ) -> Result<IntelImported, StoreError> {
        objects
            .iter()
            .enumerate()
            .try_for_each(|(i, o)| check(o, i))?;
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        audit::lock_chain_head(&txn).await?;

        let mut imported = IntelImported::default();
        let mut changed = Vec::new();
        let now = now_us();
        for object in objects {
            let outcome = upsert(&txn, actor, source, object, now).await?;
            let counts = match outcome {
                Outcome::Stored => &mut imported.stored,
                Outcome::Updated => &mut imported.updated,
                Outcome::Unchanged => &mut imported.unchanged,
            };
            *counts.entry(object.kind.clone()).or_default() += 1;
            if !matches!(outcome, Outcome::Unchanged) {
                changed.push(json!({"stix_id": object.stix_id, "modified": object.modified}));
            }
        }

        if !changed.is_empty() {
            let detail = json!({"source": source, "stored": imported.stored,
                "updated": imported.updated});
            let event = AuditEvent::new(actor, "intel.import", INTEL_IMPORT_OBJECT, source)
                .after(json!(changed))
                .detail(detail.to_string());
            audit::append(&txn, event).await?;
        }
        txn.commit().await?;
        Ok(imported)
    }

    /// Stores one object a user created under the Keelson ID `id` (`source` is
    /// `user:NAME`), audited as `<kind>.create`.
    pub async fn create_intel_object(
        &self,
        actor: &str,
        id: &str,
        object: &NewIntelObject,
    ) -> Result<IntelRecord, StoreError> {
        check(object, 0)?;
        let row = new_row(
            actor,
            &format!("user:{actor}"),
            object,
            id.to_owned(),
            now_us(),
        );
        let record = record_from_row(row.clone())?;
        let kind = INTEL_KINDS
            .into_iter()
            .find(|kind| *kind == object.kind)
            .unwrap_or("indicator");
        let created = Created::new(actor, kind, &record.id, &record);
        self.insert_audited(created, row.into_active_model())
            .await?;
        Ok(record)
    }

    /// The stored objects of one kind (all kinds when `None`), oldest added first.
    pub async fn intel_objects(&self, kind: Option<&str>) -> Result<Vec<IntelRecord>, StoreError> {
        let mut query = intel_object::Entity::find();
        if let Some(kind) = kind {
            query = query.filter(intel_object::Column::Kind.eq(kind));
        }
        let rows = query
            .order_by_asc(intel_object::Column::AddedAtUs)
            .order_by_asc(intel_object::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(record_from_row).collect()
    }

    /// One stored object by its Keelson ID or its STIX ID.
    pub async fn intel_object(&self, id: &str) -> Result<Option<IntelRecord>, StoreError> {
        let column = if id.contains("--") {
            intel_object::Column::StixId
        } else {
            intel_object::Column::Id
        };
        let row = intel_object::Entity::find()
            .filter(column.eq(id))
            .one(self.connection())
            .await?;
        row.map(record_from_row).transpose()
    }

    /// The attack patterns whose technique ID is `external_id` (case as given).
    pub async fn attack_patterns_by_external_id(
        &self,
        external_id: &str,
    ) -> Result<Vec<IntelRecord>, StoreError> {
        let rows = intel_object::Entity::find()
            .filter(intel_object::Column::Kind.eq("attack-pattern"))
            .filter(intel_object::Column::ExternalId.eq(external_id))
            .order_by_asc(intel_object::Column::AddedAtUs)
            .all(self.connection())
            .await?;
        rows.into_iter().map(record_from_row).collect()
    }
}

fn check(object: &NewIntelObject, index: usize) -> Result<(), StoreError> {
    if !INTEL_KINDS.contains(&object.kind.as_str()) {
        let reason = format!("{:?} is not a kept STIX type", object.kind);
        return Err(StoreError::invalid(
            format!("objects[{index}].kind"),
            reason,
        ));
    }
    if !object.stix_id.starts_with(&format!("{}--", object.kind)) {
        let reason = format!("{:?} is not a {} ID", object.stix_id, object.kind);
        return Err(StoreError::invalid(
            format!("objects[{index}].stix_id"),
            reason,
        ));
    }
    Ok(())
}

async fn upsert(
    txn: &DatabaseTransaction,
    actor: &str,
    source: &str,
    object: &NewIntelObject,
    now: i64,
) -> Result<Outcome, StoreError> {
    let existing = intel_object::Entity::find()
        .filter(intel_object::Column::StixId.eq(&object.stix_id))
        .one(txn)
        .await?;
    match existing {
        Some(row) if row.modified_us >= object.modified_us => Ok(Outcome::Unchanged),
        Some(row) => {
            let replaced = new_row(actor, source, object, row.id, now);
            // Every column is written: a plain `into_active_model` would mark them
            // all unchanged and update nothing.
            intel_object::Entity::update(replaced.into_active_model().reset_all())
                .exec(txn)
                .await?;
            Ok(Outcome::Updated)
        }
        None => {
            let row = new_row(actor, source, object, new_id(), now);
            intel_object::Entity::insert(row.into_active_model())
                .exec_without_returning(txn)
                .await?;
            Ok(Outcome::Stored)
        }
    }
}

fn new_row(
    actor: &str,
    source: &str,
    object: &NewIntelObject,
    id: String,
    now: i64,
) -> intel_object::Model {
    let marking = MarkingColumns::from_marking(&object.marking);
    intel_object::Model {
        id,
        kind: object.kind.clone(),
        stix_id: object.stix_id.clone(),
        created: object.created.clone(),
        modified: object.modified.clone(),
        modified_us: object.modified_us,
        name: object.name.clone(),
        external_id: object.external_id.clone(),
        tactic: object.tactic.clone(),
        valid_from: object.valid_from.clone(),
        valid_until: object.valid_until.clone(),
        body: object.body.to_string(),
        source: source.to_owned(),
        added_by: actor.to_owned(),
        added_at_us: now,
        tlp: marking.tlp,
        shared_with_orgs: marking.shared_with_orgs,
        named_readers: marking.named_readers,
    }
}

fn record_from_row(row: intel_object::Model) -> Result<IntelRecord, StoreError> {
    let body = serde_json::from_str(&row.body)
        .map_err(|error| StoreError::Corrupt(format!("intel object {}: {error}", row.id)))?;
    Ok(IntelRecord {
        marking: marking_from_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)?,
        body,
        added_at: format_us(row.added_at_us),
        added_at_us: row.added_at_us,
        id: row.id,
        kind: row.kind,
        stix_id: row.stix_id,
        created: row.created,
        modified: row.modified,
        modified_us: row.modified_us,
        name: row.name,
        external_id: row.external_id,
        tactic: row.tactic,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        source: row.source,
        added_by: row.added_by,
    })
}
