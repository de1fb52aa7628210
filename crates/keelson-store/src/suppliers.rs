//! The supplier register: the suppliers whose country of origin Keelson
//! knows, as the last import left them. An import replaces the register
//! whole (a register file is the register), in one transaction with one
//! audit entry counting what it added, changed and removed; importing the
//! same file again changes nothing.

use std::collections::BTreeMap;

use sea_orm::{ActiveValue::Set, EntityTrait, QueryOrder, TransactionTrait};
use serde::Serialize;

use crate::audit::{self, AuditEvent};
use crate::entity::supplier;
use crate::{Store, StoreError, now_us};

/// One supplier of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SupplierEntry {
    /// The normalised name the supplier is found under.
    pub key: String,
    pub name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub aliases: Vec<String>,
    /// The line of the register file it was read from.
    pub line: u64,
}

/// What replacing the register did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RegisterChange {
    pub added: u64,
    /// Suppliers whose name, country or aliases changed.
    pub updated: u64,
    pub removed: u64,
    pub unchanged: u64,
}

impl Store {
    /// Makes the register exactly `entries` (keys must be unique).
    pub async fn replace_supplier_register(
        &self,
        actor: &str,
        entries: Vec<SupplierEntry>,
    ) -> Result<RegisterChange, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let mut old: BTreeMap<String, SupplierEntry> = supplier::Entity::find()
            .all(&txn)
            .await?
            .into_iter()
            .map(entry_from_row)
            .map(|entry| entry.map(|entry| (entry.key.clone(), entry)))
            .collect::<Result<_, _>>()?;

        let mut change = RegisterChange::default();
        let imported_at_us = now_us();
        for entry in entries {
            match old.remove(&entry.key) {
                None => change.added += 1,
                Some(before) if same_supplier(&before, &entry) => change.unchanged += 1,
                Some(_) => change.updated += 1,
            }
            supplier::Entity::delete_by_id(entry.key.clone())
                .exec(&txn)
                .await?;
            supplier::Entity::insert(row(&entry, imported_at_us)?)
                .exec_without_returning(&txn)
                .await?;
        }
        for gone in old.into_keys() {
            supplier::Entity::delete_by_id(gone).exec(&txn).await?;
            change.removed += 1;
        }

        if change.added + change.updated + change.removed > 0 {
            let summary = serde_json::to_value(&change).unwrap_or_default();
            let entry = AuditEvent::new(actor, "suppliers.import", "supplier_register", "register")
                .after(summary);
            audit::append(&txn, entry).await?;
        }
        txn.commit().await?;
        Ok(change)
    }

    /// The register, in file order.
    pub async fn supplier_register(&self) -> Result<Vec<SupplierEntry>, StoreError> {
        supplier::Entity::find()
            .order_by_asc(supplier::Column::Line)
            .all(self.connection())
            .await?
            .into_iter()
            .map(entry_from_row)
            .collect()
    }
}

fn same_supplier(a: &SupplierEntry, b: &SupplierEntry) -> bool {
    (&a.name, &a.country, &a.aliases) == (&b.name, &b.country, &b.aliases)
}

fn row(entry: &SupplierEntry, imported_at_us: i64) -> Result<supplier::ActiveModel, StoreError> {
    let aliases = serde_json::to_string(&entry.aliases)
        .map_err(|error| StoreError::Corrupt(format!("aliases of {}: {error}", entry.name)))?;
    Ok(supplier::ActiveModel {
        name_key: Set(entry.key.clone()),
        name: Set(entry.name.clone()),
        country: Set(entry.country.clone()),
        aliases: Set(aliases),
        line: Set(i64::try_from(entry.line).unwrap_or(i64::MAX)),
        imported_at_us: Set(imported_at_us),
    })
}

fn entry_from_row(row: supplier::Model) -> Result<SupplierEntry, StoreError> {
    let aliases = serde_json::from_str(&row.aliases)
        .map_err(|error| StoreError::Corrupt(format!("aliases of {}: {error}", row.name)))?;
    Ok(SupplierEntry {
        key: row.name_key,
        name: row.name,
        country: row.country,
        aliases,
        line: u64::try_from(row.line).unwrap_or(0),
    })
}
