//! The fleet inventory: vehicle models, vehicles and software builds, each
//! carrying a TLP marking. Reads return the marking with the record; the
//! caller decides visibility with `Principal::may_read` before answering.

use keelson_core::{Marked, Marking};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::alert_tallies::{self, Change};
use crate::entity::{software_build, vehicle, vehicle_model};
use crate::marking::{MarkingColumns, marking_from_columns};
use crate::paging::{Cursor, ListPage, fill_page};
use crate::readable::{MarkingOf, Readable};
use crate::tally;
use crate::{Created, IN_CHUNK, Store, StoreError, insert_row_audited, now_us};

/// The audit object type of vehicles.
pub const VEHICLE_OBJECT: &str = "vehicle";
/// The audit object type of software builds.
pub const BUILD_OBJECT: &str = "build";

/// A make and model with the DBC files that describe its buses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VehicleModel {
    pub id: String,
    pub make: String,
    pub model: String,
    #[serde(default)]
    pub year: Option<i32>,
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub dbc_files: Vec<String>,
    #[serde(default = "keelson_core::tlp::default_marking")]
    pub marking: Marking,
}

/// One vehicle, known by a pseudonymous ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Vehicle {
    pub id: String,
    #[serde(default)]
    pub model_id: Option<String>,
    /// Keyed hash of the VIN ([`vin_hash`]: 64 lowercase hex digits); the
    /// VIN itself is never stored, and a plain VIN here is refused.
    #[serde(default, deserialize_with = "keyed_vin_hash")]
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub vin_hash: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default = "keelson_core::tlp::default_marking")]
    pub marking: Marking,
}

/// One firmware build of one ECU; its ID names ECU, version and digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SoftwareBuild {
    pub id: String,
    pub ecu: String,
    pub firmware_version: String,
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default = "keelson_core::tlp::default_marking")]
    pub marking: Marking,
}

impl Marked for VehicleModel {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

impl Marked for Vehicle {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

impl Marked for SoftwareBuild {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

/// The keyed hash under which a VIN is kept: HMAC-style SHA-256 of the key
/// and the upper-cased VIN, so equal VINs meet without the VIN being stored.
pub fn vin_hash(key: &[u8], vin: &str) -> String {
    let mut inner = Sha256::new();
    inner.update(key);
    inner.update(vin.trim().to_ascii_uppercase().as_bytes());
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(key);
    outer.update(inner);
    hex::encode(outer.finalize())
}

/// Checks that `text` has the shape [`vin_hash`] gives (64 lowercase hex
/// digits), so a VIN sent where its hash belongs is refused rather than
/// stored in the clear.
pub fn check_vin_hash(text: &str) -> Result<(), String> {
    let hashed = text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if hashed {
        return Ok(());
    }
    let looks_like_vin = text.len() == 17 && text.bytes().all(|b| b.is_ascii_alphanumeric());
    let what = if looks_like_vin {
        "this looks like a plain VIN, which Keelson never stores"
    } else {
        "this is not one"
    };
    Err(format!(
        "must be the keyed hash of a VIN (64 lowercase hex digits, as `keelson fleet import` \
         makes it with vin_hash_key); {what}"
    ))
}

fn keyed_vin_hash<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    let hash = Option::<String>::deserialize(deserializer)?;
    if let Some(hash) = &hash {
        check_vin_hash(hash)
            .map_err(|reason| serde::de::Error::custom(format!("vin_hash {reason}")))?;
    }
    Ok(hash)
}

impl Store {
    pub async fn create_vehicle_model(
        &self,
        actor: &str,
        record: &VehicleModel,
    ) -> Result<(), StoreError> {
        require_id(&record.id)?;
        let marking = MarkingColumns::from_marking(&record.marking);
        let row = vehicle_model::Model {
            id: record.id.clone(),
            make: record.make.clone(),
            model: record.model.clone(),
            year: record.year,
            platform: record.platform.clone(),
            dbc_files: serde_json::to_string(&record.dbc_files).unwrap_or_default(),
            tlp: marking.tlp,
            shared_with_orgs: marking.shared_with_orgs,
            named_readers: marking.named_readers,
            created_at_us: now_us(),
        };
        let created = Created::new(actor, "vehicle_model", &record.id, record);
        self.insert_audited(created, row.into_active_model()).await
    }

    pub async fn vehicle_model(&self, id: &str) -> Result<Option<VehicleModel>, StoreError> {
        let row = vehicle_model::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?;
        row.map(model_from_row).transpose()
    }

    pub async fn list_vehicle_models(&self) -> Result<Vec<VehicleModel>, StoreError> {
        let rows = vehicle_model::Entity::find()
            .order_by_asc(vehicle_model::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(model_from_row).collect()
    }

    pub async fn create_vehicle(&self, actor: &str, record: &Vehicle) -> Result<(), StoreError> {
        require_id(&record.id)?;
        if let Some(hash) = &record.vin_hash {
            check_vin_hash(hash).map_err(|reason| StoreError::invalid("vin_hash", reason))?;
        }
        let marking = MarkingColumns::from_marking(&record.marking);
        let row = vehicle::Model {
            id: record.id.clone(),
            model_id: record.model_id.clone(),
            vin_hash: record.vin_hash.clone(),
            region: record.region.clone(),
            tlp: marking.tlp,
            shared_with_orgs: marking.shared_with_orgs,
            named_readers: marking.named_readers,
            created_at_us: now_us(),
        };
        let created = Created::new(actor, VEHICLE_OBJECT, &record.id, record);

        // The vehicle's alerts so far counted as an unregistered vehicle's
        // move to its region and marking.
        let its_alerts = alert_tallies::alerts_of_vehicle(&record.id);
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        alert_tallies::count(&txn, its_alerts.clone(), Change::Remove).await?;
        insert_row_audited(&txn, created, row.into_active_model()).await?;
        alert_tallies::count(&txn, its_alerts, Change::Add).await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn vehicle(&self, id: &str) -> Result<Option<Vehicle>, StoreError> {
        let row = vehicle::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?;
        row.map(vehicle_from_row).transpose()
    }

    pub async fn list_vehicles(&self) -> Result<Vec<Vehicle>, StoreError> {
        let rows = vehicle::Entity::find()
            .order_by_asc(vehicle::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(vehicle_from_row).collect()
    }

    /// The vehicles with these IDs (those that exist), ordered by ID.
    pub async fn vehicles_with_ids(&self, ids: &[&str]) -> Result<Vec<Vehicle>, StoreError> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let found = vehicle::Entity::find()
                .filter(vehicle::Column::Id.is_in(chunk.iter().copied()))
                .all(self.connection())
                .await?;
            rows.extend(found);
        }
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        rows.into_iter().map(vehicle_from_row).collect()
    }

    /// One page of the vehicles the reader may read, by ID, starting after
    /// `after`.
    pub async fn vehicle_page(
        &self,
        reader: &Readable<'_>,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<ListPage<Vehicle>, StoreError> {
        // The clearance condition is a disjunction: the page's bound must
        // be added beside it, not inside it.
        let readable = Condition::all().add(reader.condition(VEHICLE_MARKING));
        let fetch = |after: Option<Cursor>, n: u64| {
            let mut condition = readable.clone();
            if let Some(after) = &after {
                condition = condition.add(vehicle::Column::Id.gt(after.key()));
            }
            async move {
                let rows = vehicle::Entity::find()
                    .filter(condition)
                    .order_by_asc(vehicle::Column::Id)
                    .limit(n)
                    .all(self.connection())
                    .await?;
                rows.into_iter()
                    .map(|row| Ok((Cursor::new(0, &row.id), vehicle_from_row(row)?)))
                    .collect()
            }
        };
        let admits = |vehicle: &Vehicle| reader.admits(&vehicle.marking);
        fill_page(limit, after, fetch, admits).await
    }

    /// How many registered vehicles the reader may read.
    pub async fn count_vehicles(&self, reader: &Readable<'_>) -> Result<u64, StoreError> {
        let markings = vehicle::Entity::find()
            .select_only()
            .columns([
                vehicle::Column::Tlp,
                vehicle::Column::SharedWithOrgs,
                vehicle::Column::NamedReaders,
            ])
            .into_query();
        let (admitted, _) = tally::readable_rows(self.connection(), markings, reader).await?;
        Ok(admitted)
    }

    pub async fn create_build(
        &self,
        actor: &str,
        record: &SoftwareBuild,
    ) -> Result<(), StoreError> {
        require_id(&record.id)?;
        let marking = MarkingColumns::from_marking(&record.marking);
        let row = software_build::Model {
            id: record.id.clone(),
            ecu: record.ecu.clone(),
            firmware_version: record.firmware_version.clone(),
            digest: record.digest.clone(),
            tlp: marking.tlp,
            shared_with_orgs: marking.shared_with_orgs,
            named_readers: marking.named_readers,
            created_at_us: now_us(),
        };
        let created = Created::new(actor, BUILD_OBJECT, &record.id, record);
        self.insert_audited(created, row.into_active_model()).await
    }

    pub async fn build(&self, id: &str) -> Result<Option<SoftwareBuild>, StoreError> {
        let row = software_build::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?;
        row.map(build_from_row).transpose()
    }

    pub async fn list_builds(&self) -> Result<Vec<SoftwareBuild>, StoreError> {
        let rows = software_build::Entity::find()
            .order_by_asc(software_build::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(build_from_row).collect()
    }
}

pub(crate) fn require_id(id: &str) -> Result<(), StoreError> {
    let valid = !id.is_empty() && id.len() <= 128 && !id.chars().any(char::is_control);
    if valid {
        Ok(())
    } else {
        Err(StoreError::invalid("id", "1 to 128 printable characters"))
    }
}

fn model_from_row(row: vehicle_model::Model) -> Result<VehicleModel, StoreError> {
    let marking = marking_from_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)?;
    let dbc_files = serde_json::from_str(&row.dbc_files)
        .map_err(|error| StoreError::Corrupt(format!("dbc_files of {}: {error}", row.id)))?;
    Ok(VehicleModel {
        id: row.id,
        make: row.make,
        model: row.model,
        year: row.year,
        platform: row.platform,
        dbc_files,
        marking,
    })
}

pub(crate) const VEHICLE_MARKING: MarkingOf<vehicle::Column> = MarkingOf {
    tlp: vehicle::Column::Tlp,
    shared_with_orgs: vehicle::Column::SharedWithOrgs,
    named_readers: vehicle::Column::NamedReaders,
};

pub(crate) fn vehicle_from_row(row: vehicle::Model) -> Result<Vehicle, StoreError> {
    let marking = marking_from_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)?;
    Ok(Vehicle {
        id: row.id,
        model_id: row.model_id,
        vin_hash: row.vin_hash,
        region: row.region,
        marking,
    })
}

fn build_from_row(row: software_build::Model) -> Result<SoftwareBuild, StoreError> {
    let marking = marking_from_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)?;
    Ok(SoftwareBuild {
        id: row.id,
        ecu: row.ecu,
        firmware_version: row.firmware_version,
        digest: row.digest,
        marking,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_keyed_hash_shape_passes_the_vin_hash_check() {
        let vin = "1HGCM82633A004352";
        assert_eq!(check_vin_hash(&vin_hash(b"k1", vin)), Ok(()));
        let plain = check_vin_hash(vin).err().unwrap_or_default();
        assert!(plain.contains("plain VIN"), "{plain}");
        assert!(check_vin_hash(&vin_hash(b"k1", vin).to_ascii_uppercase()).is_err());
        assert!(check_vin_hash(&"a".repeat(63)).is_err());
    }

    #[test]
    fn vin_hash_is_keyed_and_case_blind() {
        let vin = "1HGCM82633A004352";
        assert_eq!(vin_hash(b"k1", vin), vin_hash(b"k1", &vin.to_lowercase()));
        assert_ne!(vin_hash(b"k1", vin), vin_hash(b"k2", vin));
        assert!(!vin_hash(b"k1", vin).contains(vin));
    }
}
