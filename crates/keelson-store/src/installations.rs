//! What runs on the road: the ECUs of the inventory and, per vehicle and
//! ECU slot, the history of the builds installed there.
//!
//! **Invariant:** a vehicle's ECU slot has at most one current installation
//! (one without `removed_at`). Installing a different build on the slot
//! closes the current one at the new installation's time, in the same
//! transaction and with both audit entries, so history is never rewritten
//! and never lost. Installing what the slot already runs, or recording an
//! installation that is already in its history, changes nothing: replays
//! of an import file or an OTA event are harmless.

use std::collections::BTreeSet;

use keelson_core::{Marked, Marking};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, FromQueryResult, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::audit::{self, AuditEvent};
use crate::entity::{ecu, installation, software_build, vehicle};
use crate::fleet::{VEHICLE_MARKING, VEHICLE_OBJECT};
use crate::marking::{MarkingColumns, marking_from_columns};
use crate::readable::{MarkingOf, Readable};
use crate::{Created, IN_CHUNK, Store, StoreError, format_us, new_id, now_us};

/// The audit object type of ECUs.
pub const ECU_OBJECT: &str = "ecu";
/// The audit object type of installations.
pub const INSTALLATION_OBJECT: &str = "installation";

/// One electronic control unit of the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Ecu {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub supplier: Option<String>,
    #[serde(default)]
    pub hardware_part_number: Option<String>,
    /// The vehicle model this ECU belongs to, when it is model-specific.
    #[serde(default)]
    pub model_id: Option<String>,
    #[serde(default = "keelson_core::tlp::default_marking")]
    pub marking: Marking,
}

impl Marked for Ecu {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

/// A build to install on one ECU slot of one vehicle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInstallation {
    pub vehicle_id: String,
    pub ecu_id: String,
    pub build_id: String,
    /// When the build went onto the ECU (microseconds since the epoch).
    pub installed_at_us: i64,
    /// How Keelson learned of it: `import`, `ota`, `api`.
    pub source: String,
    pub marking: Marking,
}

/// One stretch of time during which a build ran on an ECU slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Installation {
    pub id: String,
    pub vehicle_id: String,
    pub ecu_id: String,
    pub build_id: String,
    pub installed_at: String,
    /// When another build replaced it; null while it is current.
    pub removed_at: Option<String>,
    pub source: String,
    pub marking: Marking,
}

impl Marked for Installation {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

/// What installing did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase", tag = "outcome")]
pub enum Installed {
    /// A new current installation; `replaced` is the one it closed.
    New {
        installation: Installation,
        replaced: Option<Box<Installation>>,
    },
    /// The slot already runs this build, or this installation is already
    /// in the slot's history.
    Unchanged { installation: Installation },
}

impl Store {
    pub async fn create_ecu(&self, actor: &str, record: &Ecu) -> Result<(), StoreError> {
        crate::fleet::require_id(&record.id)?;
        let marking = MarkingColumns::from_marking(&record.marking);
        let row = ecu::Model {
            id: record.id.clone(),
            name: record.name.clone(),
            supplier: record.supplier.clone(),
            hardware_part_number: record.hardware_part_number.clone(),
            model_id: record.model_id.clone(),
            tlp: marking.tlp,
            shared_with_orgs: marking.shared_with_orgs,
            named_readers: marking.named_readers,
            created_at_us: now_us(),
        };
        let created = Created::new(actor, ECU_OBJECT, &record.id, record);
        self.insert_audited(created, row.into_active_model()).await
    }

    pub async fn ecu(&self, id: &str) -> Result<Option<Ecu>, StoreError> {
        let row = ecu::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?;
        row.map(ecu_from_row).transpose()
    }

    pub async fn list_ecus(&self) -> Result<Vec<Ecu>, StoreError> {
        let rows = ecu::Entity::find()
            .order_by_asc(ecu::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(ecu_from_row).collect()
    }

    /// Installs a build on a vehicle's ECU slot, closing the slot's current
    /// installation (see the module's invariant). Errors: `not_found` for
    /// an unknown vehicle, ECU or build; `conflict` when the installation
    /// is older than the slot's current one (history is not rewritten).
    pub async fn install_build(
        &self,
        actor: &str,
        new: NewInstallation,
    ) -> Result<Installed, StoreError> {
        require_source(&new.source)?;
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        require_slot_parts(&txn, &new).await?;

        if let Some(known) = already_recorded(&txn, &new).await? {
            return Ok(Installed::Unchanged {
                installation: installation_from_row(known)?,
            });
        }
        let replaced = match current_on_slot(&txn, &new.vehicle_id, &new.ecu_id).await? {
            Some(current) => Some(Box::new(
                close(&txn, actor, current, new.installed_at_us).await?,
            )),
            None => None,
        };
        let installation = open(&txn, actor, new).await?;
        txn.commit().await?;
        Ok(Installed::New {
            installation,
            replaced,
        })
    }

    /// A vehicle's installations: the current ones, or with `history` every
    /// one; ordered by ECU, then installation time.
    pub async fn installations_of_vehicle(
        &self,
        vehicle_id: &str,
        history: bool,
    ) -> Result<Vec<Installation>, StoreError> {
        let mut query = installation::Entity::find()
            .filter(installation::Column::VehicleId.eq(vehicle_id))
            .order_by_asc(installation::Column::EcuId)
            .order_by_asc(installation::Column::InstalledAtUs);
        if !history {
            query = query.filter(installation::Column::RemovedAtUs.is_null());
        }
        let rows = query.all(self.connection()).await?;
        rows.into_iter().map(installation_from_row).collect()
    }

    /// The vehicles that ever ran one of `builds` (current or past installations).
    pub async fn vehicles_that_ran(
        &self,
        builds: &BTreeSet<String>,
    ) -> Result<BTreeSet<String>, StoreError> {
        self.vehicles_with(builds, false).await
    }

    /// The vehicles that currently run one of `builds`.
    pub async fn vehicles_running(
        &self,
        builds: &BTreeSet<String>,
    ) -> Result<BTreeSet<String>, StoreError> {
        self.vehicles_with(builds, true).await
    }

    async fn vehicles_with(
        &self,
        builds: &BTreeSet<String>,
        current_only: bool,
    ) -> Result<BTreeSet<String>, StoreError> {
        if builds.is_empty() {
            return Ok(BTreeSet::new());
        }
        let mut query = installation::Entity::find()
            .filter(installation::Column::BuildId.is_in(builds.iter().cloned()));
        if current_only {
            query = query.filter(installation::Column::RemovedAtUs.is_null());
        }
        let rows = query.all(self.connection()).await?;
        Ok(rows.into_iter().map(|row| row.vehicle_id).collect())
    }

    /// The current installations of `build_ids`, ordered by vehicle and ECU.
    pub async fn current_installations_of(
        &self,
        build_ids: &[String],
    ) -> Result<Vec<Installation>, StoreError> {
        let mut rows = Vec::new();
        for chunk in build_ids.chunks(IN_CHUNK) {
            let found = installation::Entity::find()
                .filter(installation::Column::BuildId.is_in(chunk.iter().map(String::as_str)))
                .filter(installation::Column::RemovedAtUs.is_null())
                .all(self.connection())
                .await?;
            rows.extend(found);
        }
        rows.sort_by(|a, b| (&a.vehicle_id, &a.ecu_id).cmp(&(&b.vehicle_id, &b.ecu_id)));
        rows.into_iter().map(installation_from_row).collect()
    }

    /// The current installations the reader may read, on vehicles the
    /// reader may read, each with its vehicle's model: of `build_ids`, or of
    /// every build. One joined read of four columns a row, for roll-ups over
    /// the whole fleet; ordered by vehicle and ECU.
    pub async fn running_installations(
        &self,
        reader: &Readable<'_>,
        build_ids: Option<&[String]>,
    ) -> Result<Vec<RunningInstallation>, StoreError> {
        let rows = match build_ids {
            None => running_rows(self.connection(), reader, None).await?,
            Some(ids) => {
                self.running_rows_chunked(reader, ids, Running::OfBuilds)
                    .await?
            }
        };
        running_readable(reader, rows)
    }

    /// [`Store::running_installations`] of some vehicles only: what a
    /// roll-up kept over the whole fleet reads again for the vehicles whose
    /// record or installations changed.
    pub async fn running_installations_on(
        &self,
        reader: &Readable<'_>,
        vehicle_ids: &[String],
    ) -> Result<Vec<RunningInstallation>, StoreError> {
        let rows = self
            .running_rows_chunked(reader, vehicle_ids, Running::OnVehicles)
            .await?;
        running_readable(reader, rows)
    }

    async fn running_rows_chunked<'a>(
        &self,
        reader: &Readable<'_>,
        ids: &'a [String],
        of: fn(&'a [String]) -> Running<'a>,
    ) -> Result<Vec<RunningRow>, StoreError> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(IN_CHUNK) {
            rows.extend(running_rows(self.connection(), reader, Some(of(chunk))).await?);
        }
        Ok(rows)
    }

    /// The vehicles whose record, or one of whose installations, changed
    /// in an audit entry after `vehicles_after` (vehicle entries) or
    /// `installations_after` (installation entries), the sequence numbers a
    /// roll-up kept its answer at (`None` for before the first entry).
    /// `None` when more than `limit` entries changed: reading the whole
    /// fleet again is then the cheaper way.
    pub async fn vehicles_changed_after(
        &self,
        vehicles_after: Option<i64>,
        installations_after: Option<i64>,
        limit: u64,
    ) -> Result<Option<BTreeSet<String>>, StoreError> {
        let changed = crate::audit::objects_changed_after(
            self.connection(),
            &[
                (VEHICLE_OBJECT, vehicles_after),
                (INSTALLATION_OBJECT, installations_after),
            ],
            limit,
        )
        .await?;
        let Some(changed) = changed else {
            return Ok(None);
        };

        let mut vehicles = BTreeSet::new();
        let mut installations = Vec::new();
        for (object_type, object_id) in changed {
            if object_type == VEHICLE_OBJECT {
                vehicles.insert(object_id);
            } else {
                installations.push(object_id);
            }
        }
        for chunk in installations.chunks(IN_CHUNK) {
            let ids: Vec<Option<String>> = installation::Entity::find()
                .select_only()
                .column(installation::Column::VehicleId)
                .filter(installation::Column::Id.is_in(chunk.iter().map(String::as_str)))
                .into_tuple()
                .all(self.connection())
                .await?;
            vehicles.extend(ids.into_iter().flatten());
        }
        Ok(Some(vehicles))
    }

    /// Every current installation of the fleet, ordered by vehicle and ECU.
    pub async fn current_installations(&self) -> Result<Vec<Installation>, StoreError> {
        let rows = installation::Entity::find()
            .filter(installation::Column::RemovedAtUs.is_null())
            .order_by_asc(installation::Column::VehicleId)
            .order_by_asc(installation::Column::EcuId)
            .all(self.connection())
            .await?;
        rows.into_iter().map(installation_from_row).collect()
    }
}

/// A current installation the reader may read, on a vehicle the reader may
/// read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningInstallation {
    pub vehicle_id: String,
    /// The vehicle's model.
    pub model_id: Option<String>,
    pub ecu_id: String,
    pub build_id: String,
}

/// A current installation with its marking and its vehicle's, as read.
#[derive(Debug, FromQueryResult)]
struct RunningRow {
    vehicle_id: String,
    model_id: Option<String>,
    ecu_id: String,
    build_id: String,
    tlp: String,
    shared_with_orgs: String,
    named_readers: String,
    vehicle_tlp: String,
    vehicle_orgs: String,
    vehicle_readers: String,
}

const INSTALLATION_MARKING: MarkingOf<installation::Column> = MarkingOf {
    tlp: installation::Column::Tlp,
    shared_with_orgs: installation::Column::SharedWithOrgs,
    named_readers: installation::Column::NamedReaders,
};

/// Which current installations a joined read takes.
enum Running<'a> {
    OfBuilds(&'a [String]),
    OnVehicles(&'a [String]),
}

/// The rows the reader may read, decided exactly, ordered by vehicle and
/// ECU.
fn running_readable(
    reader: &Readable<'_>,
    rows: Vec<RunningRow>,
) -> Result<Vec<RunningInstallation>, StoreError> {
    let mut running = Vec::with_capacity(rows.len());
    for row in rows {
        let readable =
            reader.admits_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)?
                && reader.admits_columns(
                    &row.vehicle_tlp,
                    &row.vehicle_orgs,
                    &row.vehicle_readers,
                )?;
        if readable {
            running.push(RunningInstallation {
                vehicle_id: row.vehicle_id,
                model_id: row.model_id,
                ecu_id: row.ecu_id,
                build_id: row.build_id,
            });
        }
    }
    running.sort_by(|a, b| (&a.vehicle_id, &a.ecu_id).cmp(&(&b.vehicle_id, &b.ecu_id)));
    Ok(running)
}

/// The current installations joined to their vehicles, narrowed in SQL to
/// rows the reader may perhaps read (the caller decides each exactly).
async fn running_rows(
    db: &DatabaseConnection,
    reader: &Readable<'_>,
    only: Option<Running<'_>>,
) -> Result<Vec<RunningRow>, StoreError> {
    use installation::Column as I;
    let mut query = Query::select();
    query
        .column((installation::Entity, I::VehicleId))
        .column((vehicle::Entity, vehicle::Column::ModelId))
        .columns(
            [
                I::EcuId,
                I::BuildId,
                I::Tlp,
                I::SharedWithOrgs,
                I::NamedReaders,
            ]
            .map(|c| (installation::Entity, c)),
        )
        .expr_as(
            Expr::col((vehicle::Entity, vehicle::Column::Tlp)),
            "vehicle_tlp",
        )
        .expr_as(
            Expr::col((vehicle::Entity, vehicle::Column::SharedWithOrgs)),
            "vehicle_orgs",
        )
        .expr_as(
            Expr::col((vehicle::Entity, vehicle::Column::NamedReaders)),
            "vehicle_readers",
        )
        .from(installation::Entity)
        .inner_join(
            vehicle::Entity,
            Expr::col((vehicle::Entity, vehicle::Column::Id))
                .equals((installation::Entity, I::VehicleId)),
        )
        .and_where(I::RemovedAtUs.is_null())
        .cond_where(reader.condition(INSTALLATION_MARKING))
        .cond_where(reader.condition(VEHICLE_MARKING));
    match only {
        Some(Running::OfBuilds(builds)) => {
            query.and_where(I::BuildId.is_in(builds.iter().map(String::as_str)));
        }
        Some(Running::OnVehicles(vehicles)) => {
            query.and_where(I::VehicleId.is_in(vehicles.iter().map(String::as_str)));
        }
        None => {}
    }
    let rows = db.query_all(&query).await?;
    rows.iter()
        .map(|row| Ok(RunningRow::from_query_result(row, "")?))
        .collect()
}

fn require_source(source: &str) -> Result<(), StoreError> {
    let valid = !source.is_empty()
        && source.len() <= 32
        && source
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "source",
            "1 to 32 lowercase letters, '-' or '_'",
        ))
    }
}

async fn require_slot_parts(
    txn: &DatabaseTransaction,
    new: &NewInstallation,
) -> Result<(), StoreError> {
    if vehicle::Entity::find_by_id(new.vehicle_id.clone())
        .one(txn)
        .await?
        .is_none()
    {
        return Err(StoreError::not_found(format!("vehicle {}", new.vehicle_id)));
    }
    if ecu::Entity::find_by_id(new.ecu_id.clone())
        .one(txn)
        .await?
        .is_none()
    {
        return Err(StoreError::not_found(format!("ecu {}", new.ecu_id)));
    }
    if software_build::Entity::find_by_id(new.build_id.clone())
        .one(txn)
        .await?
        .is_none()
    {
        return Err(StoreError::not_found(format!("build {}", new.build_id)));
    }
    Ok(())
}

/// The slot's current row when it already runs this build, or the history
/// row recording exactly this installation; else `None`. A current row
/// installed later than `new` makes `new` a rewrite of history: conflict.
async fn already_recorded(
    txn: &DatabaseTransaction,
    new: &NewInstallation,
) -> Result<Option<installation::Model>, StoreError> {
    let current = current_on_slot(txn, &new.vehicle_id, &new.ecu_id).await?;
    if let Some(current) = current {
        if current.build_id == new.build_id {
            return Ok(Some(current));
        }
        let same = installation::Entity::find()
            .filter(installation::Column::VehicleId.eq(&new.vehicle_id))
            .filter(installation::Column::EcuId.eq(&new.ecu_id))
            .filter(installation::Column::BuildId.eq(&new.build_id))
            .filter(installation::Column::InstalledAtUs.eq(new.installed_at_us))
            .one(txn)
            .await?;
        if same.is_some() {
            return Ok(same);
        }
        if current.installed_at_us > new.installed_at_us {
            return Err(StoreError::Conflict {
                what: format!(
                    "a later installation on {} of vehicle {} (since {})",
                    new.ecu_id,
                    new.vehicle_id,
                    format_us(current.installed_at_us)
                ),
            });
        }
    }
    Ok(None)
}

async fn current_on_slot(
    txn: &DatabaseTransaction,
    vehicle_id: &str,
    ecu_id: &str,
) -> Result<Option<installation::Model>, StoreError> {
    Ok(installation::Entity::find()
        .filter(installation::Column::VehicleId.eq(vehicle_id))
        .filter(installation::Column::EcuId.eq(ecu_id))
        .filter(installation::Column::RemovedAtUs.is_null())
        .one(txn)
        .await?)
}

/// Ends the current installation at `removed_at_us`, audited.
async fn close(
    txn: &DatabaseTransaction,
    actor: &str,
    current: installation::Model,
    removed_at_us: i64,
) -> Result<Installation, StoreError> {
    let before = installation_from_row(current.clone())?;
    let mut row: installation::ActiveModel = current.into();
    row.removed_at_us = Set(Some(removed_at_us));
    let updated = installation::Entity::update(row).exec(txn).await?;
    let after = installation_from_row(updated)?;
    let entry = AuditEvent::new(actor, "installation.remove", INSTALLATION_OBJECT, &after.id)
        .before(serde_json::to_value(&before).unwrap_or_default())
        .after(serde_json::to_value(&after).unwrap_or_default());
    audit::append(txn, entry).await?;
    Ok(after)
}

/// Inserts the new current installation, audited.
async fn open(
    txn: &DatabaseTransaction,
    actor: &str,
    new: NewInstallation,
) -> Result<Installation, StoreError> {
    let marking = MarkingColumns::from_marking(&new.marking);
    let row = installation::Model {
        id: new_id(),
        vehicle_id: new.vehicle_id,
        ecu_id: new.ecu_id,
        build_id: new.build_id,
        installed_at_us: new.installed_at_us,
        removed_at_us: None,
        source: new.source,
        tlp: marking.tlp,
        shared_with_orgs: marking.shared_with_orgs,
        named_readers: marking.named_readers,
        recorded_at_us: now_us(),
    };
    let record = installation_from_row(row.clone())?;
    installation::Entity::insert(row.into_active_model())
        .exec_without_returning(txn)
        .await?;
    let entry = AuditEvent::new(
        actor,
        "installation.create",
        INSTALLATION_OBJECT,
        &record.id,
    )
    .after(serde_json::to_value(&record).unwrap_or_default());
    audit::append(txn, entry).await?;
    Ok(record)
}

fn ecu_from_row(row: ecu::Model) -> Result<Ecu, StoreError> {
    let marking = marking_from_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)?;
    Ok(Ecu {
        id: row.id,
        name: row.name,
        supplier: row.supplier,
        hardware_part_number: row.hardware_part_number,
        model_id: row.model_id,
        marking,
    })
}

fn installation_from_row(row: installation::Model) -> Result<Installation, StoreError> {
    let marking = marking_from_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)?;
    Ok(Installation {
        id: row.id,
        vehicle_id: row.vehicle_id,
        ecu_id: row.ecu_id,
        build_id: row.build_id,
        installed_at: format_us(row.installed_at_us),
        removed_at: row.removed_at_us.map(format_us),
        source: row.source,
        marking,
    })
}
