//! Imported TARAs and the threat scenarios a case realises.
//!
//! An import is one transaction: the TARA's header and each record are
//! written only when they differ from what is stored, so importing the same
//! file again writes nothing and appends no audit entry. A re-import adds
//! and updates records; it never removes one (a case may be linked to it).
//! Every record carries the TARA's marking.

use std::collections::BTreeMap;

use keelson_core::tara::{Asset, DamageScenario, TaraDocument, ThreatScenario};
use keelson_core::{Marked, Marking};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::audit::{self, AuditEvent};
use crate::cases::{case_event, require_case};
use crate::entity::{case_threat, tara, tara_record};
use crate::marking::{MarkingColumns, marking_from_columns};
use crate::{Store, StoreError, format_us, now_us};

/// The audit object type of a TARA import.
pub const TARA_OBJECT: &str = "tara";

const ASSET: &str = "asset";
const DAMAGE_SCENARIO: &str = "damage_scenario";
const THREAT_SCENARIO: &str = "threat_scenario";

/// A stored TARA's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Tara {
    pub id: String,
    pub title: String,
    pub marking: Marking,
    pub imported_by: String,
    pub imported_at: String,
    pub updated_at: String,
}

impl Marked for Tara {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaraImported {
    pub tara: Tara,
    /// Records new to the store.
    pub created: usize,
    /// Records whose content changed.
    pub updated: usize,
    pub unchanged: usize,
}

/// A TARA's records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaraContent {
    pub assets: Vec<Asset>,
    pub damage_scenarios: Vec<DamageScenario>,
    pub threat_scenarios: Vec<ThreatScenario>,
}

/// A threat scenario a case realises, with the marking of its TARA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LinkedThreat {
    pub tara_id: String,
    pub threat: ThreatScenario,
    pub marking: Marking,
    pub linked_by: String,
    pub linked_at: String,
}

impl Marked for LinkedThreat {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

impl Store {
    /// Stores a checked TARA: header and records written where they differ.
    pub async fn import_tara(
        &self,
        actor: &str,
        document: &TaraDocument,
    ) -> Result<TaraImported, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let now = now_us();
        let (header_changed, before) = write_header(&txn, actor, document, now).await?;
        let counts = write_records(&txn, document).await?;
        let (created, updated, unchanged) = counts;

        if header_changed || created + updated > 0 {
            touch(&txn, &document.header.id, now).await?;
            let detail = json!({"created": created, "updated": updated, "unchanged": unchanged});
            let mut event = AuditEvent::new(actor, "tara.import", TARA_OBJECT, &document.header.id)
                .detail(detail.to_string());
            if let Some(before) = &before {
                event = event.before(serde_json::to_value(before).unwrap_or_default());
            }
            audit::append(&txn, event).await?;
        }
        let tara = load_tara(&txn, &document.header.id)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("tara {}", document.header.id)))?;
        txn.commit().await?;
        Ok(TaraImported {
            tara,
            created,
            updated,
            unchanged,
        })
    }

    pub async fn tara(&self, id: &str) -> Result<Option<Tara>, StoreError> {
        load_tara(self.connection(), id).await
    }

    /// Every TARA, by ID.
    pub async fn list_taras(&self) -> Result<Vec<Tara>, StoreError> {
        let rows = tara::Entity::find()
            .order_by_asc(tara::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(tara_from_row).collect()
    }

    /// A TARA's records, each kind by ID.
    pub async fn tara_content(&self, id: &str) -> Result<TaraContent, StoreError> {
        let rows = tara_record::Entity::find()
            .filter(tara_record::Column::TaraId.eq(id))
            .order_by_asc(tara_record::Column::RecordId)
            .all(self.connection())
            .await?;
        Ok(TaraContent {
            assets: records_of(&rows, ASSET)?,
            damage_scenarios: records_of(&rows, DAMAGE_SCENARIO)?,
            threat_scenarios: records_of(&rows, THREAT_SCENARIO)?,
        })
    }

    /// Records that the case realises a threat scenario; `false` when it
    /// was linked already (nothing written).
    pub async fn link_threat(
        &self,
        actor: &str,
        case_id: &str,
        tara_id: &str,
        threat_id: &str,
    ) -> Result<bool, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        require_case(&txn, case_id).await?;
        require_threat(&txn, tara_id, threat_id).await?;
        let key = (case_id.to_owned(), tara_id.to_owned(), threat_id.to_owned());
        if case_threat::Entity::find_by_id(key)
            .one(&txn)
            .await?
            .is_some()
        {
            return Ok(false);
        }
        let row = case_threat::Model {
            case_id: case_id.to_owned(),
            tara_id: tara_id.to_owned(),
            threat_id: threat_id.to_owned(),
            linked_by: actor.to_owned(),
            linked_at_us: now_us(),
        };
        case_threat::Entity::insert(row.into_active_model())
            .exec_without_returning(&txn)
            .await?;
        let detail = json!({"tara_id": tara_id, "threat_id": threat_id});
        audit::append(&txn, case_event(actor, "case.threat.link", case_id, detail)).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Removes a link; `NotFound` when the case does not realise it.
    pub async fn unlink_threat(
        &self,
        actor: &str,
        case_id: &str,
        tara_id: &str,
        threat_id: &str,
    ) -> Result<(), StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        require_case(&txn, case_id).await?;
        let key = (case_id.to_owned(), tara_id.to_owned(), threat_id.to_owned());
        let deleted = case_threat::Entity::delete_by_id(key).exec(&txn).await?;
        if deleted.rows_affected == 0 {
            let what = format!("threat scenario {tara_id}/{threat_id} of case {case_id}");
            return Err(StoreError::not_found(what));
        }
        let detail = json!({"tara_id": tara_id, "threat_id": threat_id});
        audit::append(
            &txn,
            case_event(actor, "case.threat.unlink", case_id, detail),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The threat scenarios a case realises, by TARA and threat ID.
    pub async fn case_threats(&self, case_id: &str) -> Result<Vec<LinkedThreat>, StoreError> {
        let db = self.connection();
        let links = case_threat::Entity::find()
            .filter(case_threat::Column::CaseId.eq(case_id))
            .order_by_asc(case_threat::Column::TaraId)
            .order_by_asc(case_threat::Column::ThreatId)
            .all(db)
            .await?;
        let mut linked = Vec::with_capacity(links.len());
        for link in links {
            let tara = load_tara(db, &link.tara_id).await?;
            let record = threat_row(db, &link.tara_id, &link.threat_id).await?;
            let (Some(tara), Some(record)) = (tara, record) else {
                let what = format!(
                    "link of case {case_id} to {}/{}",
                    link.tara_id, link.threat_id
                );
                return Err(StoreError::Corrupt(format!(
                    "{what}: the threat scenario is gone"
                )));
            };
            linked.push(LinkedThreat {
                tara_id: link.tara_id,
                threat: record_from_row(&record)?,
                marking: tara.marking,
                linked_by: link.linked_by,
                linked_at: format_us(link.linked_at_us),
            });
        }
        Ok(linked)
    }
}

/// Inserts or updates the header; whether it changed, and the header before.
async fn write_header(
    txn: &DatabaseTransaction,
    actor: &str,
    document: &TaraDocument,
    now: i64,
) -> Result<(bool, Option<Tara>), StoreError> {
    let header = &document.header;
    let marking = MarkingColumns::from_marking(&header.marking);
    let Some(current) = tara::Entity::find_by_id(header.id.clone()).one(txn).await? else {
        let row = tara::Model {
            id: header.id.clone(),
            title: header.title.clone(),
            tlp: marking.tlp,
            shared_with_orgs: marking.shared_with_orgs,
            named_readers: marking.named_readers,
            imported_by: actor.to_owned(),
            imported_at_us: now,
            updated_at_us: now,
        };
        tara::Entity::insert(row.into_active_model())
            .exec_without_returning(txn)
            .await?;
        return Ok((true, None));
    };
    let before = tara_from_row(current.clone())?;
    if before.title == header.title && before.marking == header.marking {
        return Ok((false, Some(before)));
    }
    let mut active = current.into_active_model();
    active.title = Set(header.title.clone());
    active.tlp = Set(marking.tlp);
    active.shared_with_orgs = Set(marking.shared_with_orgs);
    active.named_readers = Set(marking.named_readers);
    tara::Entity::update(active).exec(txn).await?;
    Ok((true, Some(before)))
}

async fn touch(txn: &DatabaseTransaction, id: &str, now: i64) -> Result<(), StoreError> {
    let row = tara::Entity::find_by_id(id.to_owned()).one(txn).await?;
    let Some(row) = row else { return Ok(()) };
    let mut active = row.into_active_model();
    active.updated_at_us = Set(now);
    tara::Entity::update(active).exec(txn).await?;
    Ok(())
}

/// Writes the records that are new or changed: (created, updated, unchanged).
async fn write_records(
    txn: &DatabaseTransaction,
    document: &TaraDocument,
) -> Result<(usize, usize, usize), StoreError> {
    let tara_id = &document.header.id;
    let stored: BTreeMap<(String, String), tara_record::Model> = tara_record::Entity::find()
        .filter(tara_record::Column::TaraId.eq(tara_id.as_str()))
        .all(txn)
        .await?
        .into_iter()
        .map(|row| ((row.kind.clone(), row.record_id.clone()), row))
        .collect();

    let mut counts = (0, 0, 0);
    for (kind, id, body) in bodies(document) {
        let row = tara_record::Model {
            tara_id: tara_id.clone(),
            kind: kind.to_owned(),
            record_id: id.to_owned(),
            body,
        };
        match stored.get(&(kind.to_owned(), id.to_owned())) {
            Some(current) if current.body == row.body => counts.2 += 1,
            Some(current) => {
                let mut active = current.clone().into_active_model();
                active.body = Set(row.body);
                tara_record::Entity::update(active).exec(txn).await?;
                counts.1 += 1;
            }
            None => {
                tara_record::Entity::insert(row.into_active_model())
                    .exec_without_returning(txn)
                    .await?;
                counts.0 += 1;
            }
        }
    }
    Ok(counts)
}

/// Each record of the document as (kind, ID, JSON body).
fn bodies(document: &TaraDocument) -> Vec<(&'static str, &str, String)> {
    let mut all = Vec::new();
    for asset in &document.assets {
        all.push((ASSET, asset.id.as_str(), body(asset)));
    }
    for scenario in &document.damage_scenarios {
        all.push((DAMAGE_SCENARIO, scenario.id.as_str(), body(scenario)));
    }
    for threat in &document.threat_scenarios {
        all.push((THREAT_SCENARIO, threat.id.as_str(), body(threat)));
    }
    all
}

/// A record's stored JSON: its fields in declaration order, so equal
/// records always give equal text.
fn body(record: &impl Serialize) -> String {
    serde_json::to_string(record).unwrap_or_default()
}

async fn load_tara(db: &impl ConnectionTrait, id: &str) -> Result<Option<Tara>, StoreError> {
    let row = tara::Entity::find_by_id(id.to_owned()).one(db).await?;
    row.map(tara_from_row).transpose()
}

async fn threat_row(
    db: &impl ConnectionTrait,
    tara_id: &str,
    threat_id: &str,
) -> Result<Option<tara_record::Model>, StoreError> {
    let key = (
        tara_id.to_owned(),
        THREAT_SCENARIO.to_owned(),
        threat_id.to_owned(),
    );
    Ok(tara_record::Entity::find_by_id(key).one(db).await?)
}

async fn require_threat(
    db: &impl ConnectionTrait,
    tara_id: &str,
    threat_id: &str,
) -> Result<(), StoreError> {
    match threat_row(db, tara_id, threat_id).await? {
        Some(_) => Ok(()),
        None => Err(StoreError::invalid(
            "threat_id",
            format!("no threat scenario {threat_id:?} in tara {tara_id:?}"),
        )),
    }
}

fn tara_from_row(row: tara::Model) -> Result<Tara, StoreError> {
    Ok(Tara {
        marking: marking_from_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)?,
        id: row.id,
        title: row.title,
        imported_by: row.imported_by,
        imported_at: format_us(row.imported_at_us),
        updated_at: format_us(row.updated_at_us),
    })
}

fn records_of<T: DeserializeOwned>(
    rows: &[tara_record::Model],
    kind: &str,
) -> Result<Vec<T>, StoreError> {
    rows.iter()
        .filter(|row| row.kind == kind)
        .map(record_from_row)
        .collect()
}

fn record_from_row<T: DeserializeOwned>(row: &tara_record::Model) -> Result<T, StoreError> {
    serde_json::from_str(&row.body).map_err(|error| {
        StoreError::Corrupt(format!(
            "tara {} {} {}: {error}",
            row.tara_id, row.kind, row.record_id
        ))
    })
}
