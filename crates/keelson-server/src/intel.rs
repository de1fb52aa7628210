//! Threat intelligence without HTTP: a STIX 2.1 bundle read into stored objects,
//! an indicator created by a user, and the objects a reader (or a partner
//! organisation) may receive, as STIX. The API (`api/intel.rs`), the TAXII server
//! (`taxii.rs`) and the CLI (`keelson intel`) call these same functions.
//!
//! **What may leave.** An export or a TAXII collection carries a record only when
//! its reader may read it (`Principal::may_read`) and it is not TLP:RED, which
//! never leaves the instance. A relationship goes out only when its own marking
//! allows it and every end that is a stored record would go out too, so a link
//! never reveals a record the reader may not see.

use std::collections::{BTreeMap, BTreeSet};

use keelson_core::{Marking, Principal, Tlp};
use keelson_exchange::stix::{
    self, Body, ExportObject, Indicator, Meta, StixObject, deterministic_id,
};
use keelson_store::intel::{IntelImported, IntelRecord, NewIntelObject};
use keelson_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Why intelligence could not be imported or created.
#[derive(Debug, thiserror::Error)]
pub enum IntelError {
    /// The bundle (or the new object) breaks STIX 2.1; the reason names where.
    #[error(transparent)]
    Stix(#[from] keelson_exchange::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who imported objects without a TLP marking of their own go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportMarking {
    /// The label of objects that name none (default AMBER).
    pub default_tlp: Tlp,
    /// Partner organisations AMBER and AMBER+STRICT objects are shared with.
    pub shared_with_orgs: Vec<String>,
    /// Users who may read RED objects.
    pub named_readers: Vec<String>,
}

impl Default for ImportMarking {
    fn default() -> Self {
        Self {
            default_tlp: Tlp::Amber,
            shared_with_orgs: Vec::new(),
            named_readers: Vec::new(),
        }
    }
}

/// What importing one bundle did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IntelImportReport {
    /// SHA-256 of the bundle's bytes (the objects' source).
    pub sha256: String,
    /// Every object of the bundle, per type.
    pub objects: BTreeMap<String, u64>,
    /// Objects of types Keelson does not keep, per type.
    pub not_kept: BTreeMap<String, u64>,
    #[serde(flatten)]
    pub imported: IntelImported,
}

/// Reads a bundle and stores its kept objects; the same bundle again stores
/// nothing.
pub async fn import(
    store: &Store,
    actor: &str,
    bytes: &[u8],
    marking: &ImportMarking,
) -> Result<IntelImportReport, IntelError> {
    let bundle = stix::read_bundle(bytes)?;
    let sha256 = hex::encode(Sha256::digest(bytes));
    let objects: Vec<NewIntelObject> = bundle
        .objects
        .iter()
        .map(|object| new_object(object, marking_of(object.meta.tlp, marking)))
        .collect();
    let source = format!("import:sha256:{sha256}");
    let imported = store.import_intel(actor, &source, &objects).await?;
    Ok(IntelImportReport {
        sha256,
        objects: bundle.counts,
        not_kept: bundle.not_kept,
        imported,
    })
}

fn marking_of(tlp: Option<Tlp>, marking: &ImportMarking) -> Marking {
    Marking {
        tlp: tlp.unwrap_or(marking.default_tlp),
        shared_with_orgs: marking.shared_with_orgs.clone(),
        named_readers: marking.named_readers.clone(),
    }
}

/// The row of one object read from STIX.
fn new_object(object: &StixObject, marking: Marking) -> NewIntelObject {
    let (name, external_id, tactic, valid_from, valid_until) = match &object.body {
        Body::Indicator(indicator) => (
            indicator.name.clone(),
            None,
            None,
            Some(indicator.valid_from.clone()),
            indicator.valid_until.clone(),
        ),
        Body::AttackPattern(pattern) => (
            Some(pattern.name.clone()),
            pattern.external_id().map(str::to_owned),
            pattern.tactic(),
            None,
            None,
        ),
        Body::Vulnerability(vulnerability) => (
            Some(vulnerability.name.clone()),
            Some(vulnerability.name.clone()),
            None,
            None,
            None,
        ),
        Body::Relationship(relationship) => (
            Some(relationship.relationship_type.clone()),
            None,
            None,
            None,
            None,
        ),
    };
    NewIntelObject {
        kind: object.body.type_name().to_owned(),
        stix_id: object.meta.id.clone(),
        created: object.meta.created.clone(),
        modified: object.meta.modified.clone(),
        modified_us: micros(&object.meta.modified),
        name,
        external_id,
        tactic,
        valid_from,
        valid_until,
        body: serde_json::to_value(&object.body).unwrap_or(Value::Null),
        marking,
    }
}

/// A checked STIX timestamp in microseconds since the epoch.
fn micros(timestamp: &str) -> i64 {
    OffsetDateTime::parse(timestamp, &Rfc3339)
        .map(|at| i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// An indicator as a user writes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIndicator {
    pub name: String,
    pub description: Option<String>,
    /// A STIX pattern (or another language's, with `pattern_type`).
    pub pattern: String,
    /// Default `stix`.
    pub pattern_type: Option<String>,
    /// RFC 3339 in UTC (`Z`); default now.
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
    /// Default AMBER shared with no partner.
    pub marking: Option<Marking>,
}

/// Stores an indicator under a new ID and its deterministic STIX ID, after
/// checking it as STIX 2.1 (the same reader imports use).
pub async fn create_indicator(
    store: &Store,
    actor: &str,
    new: NewIndicator,
) -> Result<IntelRecord, IntelError> {
    let id = keelson_store::new_id();
    let now = stix_now();
    let marking = new
        .marking
        .unwrap_or_else(keelson_core::tlp::default_marking);
    let body = Body::Indicator(Indicator {
        name: Some(new.name),
        description: new.description,
        pattern: new.pattern,
        pattern_type: new.pattern_type.unwrap_or_else(|| "stix".to_owned()),
        valid_from: new.valid_from.unwrap_or_else(|| now.clone()),
        valid_until: new.valid_until,
        labels: new.labels,
    });
    let meta = Meta {
        id: deterministic_id("indicator", &id),
        created: now.clone(),
        modified: now,
        tlp: Some(marking.tlp),
    };
    let checked = checked_object(meta, marking.tlp, body)?;
    let object = new_object(&checked, marking);
    Ok(store.create_intel_object(actor, &id, &object).await?)
}

/// The object written as STIX and read back: what a user creates passes the
/// same checks as what a bundle brings. A fault names the field (`/pattern`).
fn checked_object(meta: Meta, tlp: Tlp, body: Body) -> Result<StixObject, IntelError> {
    let written = stix::object(&ExportObject::new(meta, tlp, body));
    let read = stix::read_bundle(written.to_string().as_bytes()).map_err(|error| match error {
        keelson_exchange::Error::Invalid { at, reason } => keelson_exchange::Error::Invalid {
            at: at.trim_start_matches("/objects/0").to_owned(),
            reason,
        },
        other => other,
    })?;
    let object = read.objects.into_iter().next();
    object.ok_or_else(|| {
        keelson_exchange::Error::Invalid {
            at: String::new(),
            reason: "not a STIX indicator".to_owned(),
        }
        .into()
    })
}

/// Now as a STIX timestamp (UTC, milliseconds).
fn stix_now() -> String {
    let now = OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond()
    )
}

/// Whether `reader` may receive the record outside the instance.
fn may_leave(reader: &Principal, record: &IntelRecord) -> bool {
    record.marking.tlp != Tlp::Red && reader.may_read(&record.marking)
}

/// The records `reader` may receive, in store order, relationships only when
/// each stored end may go too.
pub fn shareable(reader: &Principal, records: Vec<IntelRecord>) -> Vec<IntelRecord> {
    let withheld: BTreeSet<String> = records
        .iter()
        .filter(|record| !may_leave(reader, record))
        .map(|record| record.stix_id.clone())
        .collect();
    records
        .into_iter()
        .filter(|record| may_leave(reader, record))
        .filter(
            |record| match export_object(record).map(|object| object.body) {
                Some(Body::Relationship(link)) => {
                    !withheld.contains(&link.source_ref) && !withheld.contains(&link.target_ref)
                }
                _ => true,
            },
        )
        .collect()
}

/// A stored record as the object to write; `None` for a body that no longer reads.
pub fn export_object(record: &IntelRecord) -> Option<ExportObject> {
    let body: Body = serde_json::from_value(record.body.clone()).ok()?;
    Some(ExportObject {
        id: record.stix_id.clone(),
        created: record.created.clone(),
        modified: record.modified.clone(),
        tlp: record.marking.tlp,
        body,
    })
}

/// The bundle of everything `reader` may receive.
pub async fn export(store: &Store, reader: &Principal) -> Result<Value, StoreError> {
    let records = store.intel_objects(None).await?;
    let objects: Vec<ExportObject> = shareable(reader, records)
        .iter()
        .filter_map(export_object)
        .collect();
    Ok(stix::bundle(&objects))
}

/// The principal a partner organisation's exports and collection are cut for.
pub fn partner(organisation: &str) -> Principal {
    Principal::new(
        format!("partner:{organisation}"),
        keelson_core::Role::Partner,
        Some(organisation.to_owned()),
    )
}
