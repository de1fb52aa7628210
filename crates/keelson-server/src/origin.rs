//! Supplier origin from what the store holds: the stored supplier register,
//! and the origin of every component of a build's documents (its SBOMs and
//! the HBOMs of its ECU hardware part) against the configured prohibited
//! countries. `keelson suppliers import` and the API store a register the
//! same way, so a file refused by one is refused by the other.

use keelson_sbom::origin::{
    self, Origin, OriginPolicy, OriginViolation, RegisterProblem, RegisteredSupplier,
    SupplierRegister,
};
use keelson_store::sboms::Subject;
use keelson_store::suppliers::{RegisterChange, SupplierEntry};
use keelson_store::{Store, StoreError};
use serde::Serialize;

use crate::findings::{build_subjects, read_stored};

/// The origin of one build's components and what the policy flags.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BuildOrigin {
    pub build: String,
    /// The prohibited countries the policy was read with (alpha-2).
    pub prohibited_countries: Vec<String>,
    /// Every component that names a supplier, with the countries known for it.
    #[schema(value_type = Vec<Object>)]
    pub components: Vec<Origin>,
    /// Components whose supplier country is prohibited, with evidence.
    #[schema(value_type = Vec<Object>)]
    pub prohibited: Vec<OriginViolation>,
}

/// Why a register file was not stored.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("{}", describe(.0))]
    Invalid(Vec<RegisterProblem>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn describe(problems: &[RegisterProblem]) -> String {
    let lines: Vec<String> = problems
        .iter()
        .map(|problem| format!("line {}: {}", problem.line, problem.message))
        .collect();
    lines.join("; ")
}

/// Reads a register file and makes it the stored register; nothing is
/// stored when any row is refused.
pub async fn replace_register(
    store: &Store,
    actor: &str,
    csv: &[u8],
) -> Result<RegisterChange, RegisterError> {
    let register = SupplierRegister::from_csv(csv).map_err(RegisterError::Invalid)?;
    let entries = register.suppliers().iter().map(entry).collect();
    Ok(store.replace_supplier_register(actor, entries).await?)
}

fn entry(supplier: &RegisteredSupplier) -> SupplierEntry {
    SupplierEntry {
        key: origin::supplier_key(&supplier.name),
        name: supplier.name.clone(),
        country: supplier.country.clone(),
        aliases: supplier.aliases.clone(),
        line: supplier.line,
    }
}

/// The stored register.
pub async fn stored_register(store: &Store) -> Result<SupplierRegister, StoreError> {
    let suppliers = store
        .supplier_register()
        .await?
        .into_iter()
        .map(|entry| RegisteredSupplier {
            name: entry.name,
            country: entry.country,
            aliases: entry.aliases,
            line: entry.line,
        })
        .collect();
    SupplierRegister::new(suppliers).map_err(|problems| {
        StoreError::Corrupt(format!("supplier register: {}", describe(&problems)))
    })
}

/// The origin of the components of a build's SBOMs and of its hardware
/// part's HBOMs, judged by `policy`.
pub async fn build_origin(
    store: &Store,
    policy: &OriginPolicy,
    build_id: &str,
) -> Result<BuildOrigin, StoreError> {
    let register = stored_register(store).await?;
    let mut components = Vec::new();
    for subject in build_subjects(store, build_id).await? {
        components.extend(subject_origins(store, &register, &subject).await?);
    }
    Ok(BuildOrigin {
        build: build_id.to_owned(),
        prohibited_countries: policy.countries().map(str::to_owned).collect(),
        prohibited: policy.violations(&components),
        components,
    })
}

async fn subject_origins(
    store: &Store,
    register: &SupplierRegister,
    subject: &Subject,
) -> Result<Vec<Origin>, StoreError> {
    let mut found = Vec::new();
    for (record, bytes) in store.sboms_of(subject).await? {
        let sbom = read_stored(&record, &bytes)?;
        found.extend(origin::origins(&sbom, register));
    }
    Ok(found)
}
