//! Turning rows into the records they describe, checked before anything is
//! written: each row is complete, agrees with the rows before it and with
//! what the store already holds. A record given twice with the same fields
//! is one record; with different fields it is a bad row.

use std::collections::HashMap;

use keelson_core::{Marking, Tlp};
use keelson_store::Store;
use keelson_store::fleet::{SoftwareBuild, Vehicle, VehicleModel, vin_hash};
use keelson_store::installations::{Ecu, NewInstallation};

use super::rows::Row;

/// What one good row asks for.
#[derive(Debug, Clone)]
pub struct Planned {
    pub line: u64,
    pub model: Option<VehicleModel>,
    pub vehicle: Vehicle,
    pub ecu: Option<Ecu>,
    pub build: Option<SoftwareBuild>,
    pub installation: Option<NewInstallation>,
}

/// The records known so far: the store's, and those earlier rows create.
#[derive(Default)]
pub struct Known {
    models: HashMap<String, Option<VehicleModel>>,
    vehicles: HashMap<String, Option<Vehicle>>,
    ecus: HashMap<String, Option<Ecu>>,
    builds: HashMap<String, Option<SoftwareBuild>>,
}

/// Checks one row; the error is the reason it is bad.
pub async fn plan_row(
    store: &Store,
    known: &mut Known,
    vin_key: Option<&str>,
    line: u64,
    row: Row,
) -> anyhow::Result<Result<Planned, String>> {
    let marking = match row.tlp.as_deref().map(str::parse::<Tlp>).transpose() {
        Ok(tlp) => tlp.map_or_else(keelson_core::tlp::default_marking, Marking::new),
        Err(error) => return Ok(Err(format!("tlp: {error}"))),
    };
    let planned = async {
        let model = plan_model(store, known, &row, &marking).await?;
        let vehicle = plan_vehicle(store, known, vin_key, &row, &marking).await?;
        let ecu = plan_ecu(store, known, &row, &marking).await?;
        let build = plan_build(store, known, &row, &marking).await?;
        let installation = plan_installation(&row, &vehicle, &marking)?;
        Ok::<_, Problem>(Planned {
            line,
            model,
            vehicle,
            ecu,
            build,
            installation,
        })
    };
    match planned.await {
        Ok(planned) => Ok(Ok(planned)),
        Err(Problem::Bad(reason)) => Ok(Err(reason)),
        Err(Problem::Store(error)) => Err(error.into()),
    }
}

/// Why a row cannot be planned: bad data, or the store failed.
enum Problem {
    Bad(String),
    Store(keelson_store::StoreError),
}

impl From<keelson_store::StoreError> for Problem {
    fn from(error: keelson_store::StoreError) -> Self {
        Problem::Store(error)
    }
}

fn bad(reason: impl Into<String>) -> Problem {
    Problem::Bad(reason.into())
}

/// A field the row gives must equal the known record's.
fn agree(what: &str, field: &str, known: Option<&str>, given: Option<&str>) -> Result<(), Problem> {
    match given {
        Some(given) if known != Some(given) => Err(bad(format!(
            "{what} exists with {field} {}, the row says {given:?}",
            known.map_or_else(|| "unset".to_owned(), |known| format!("{known:?}"))
        ))),
        _ => Ok(()),
    }
}

async fn plan_model(
    store: &Store,
    known: &mut Known,
    row: &Row,
    marking: &Marking,
) -> Result<Option<VehicleModel>, Problem> {
    let Some(id) = row.model.clone() else {
        return Ok(None);
    };
    if !known.models.contains_key(&id) {
        known
            .models
            .insert(id.clone(), store.vehicle_model(&id).await?);
    }
    if let Some(Some(existing)) = known.models.get(&id) {
        let what = format!("model {id}");
        agree(&what, "make", Some(&existing.make), row.make.as_deref())?;
        agree(
            &what,
            "model_name",
            Some(&existing.model),
            row.model_name.as_deref(),
        )?;
        let year = existing.year.map(|year| year.to_string());
        agree(&what, "year", year.as_deref(), row.year.as_deref())?;
        return Ok(None);
    }
    let (Some(make), Some(name)) = (row.make.clone(), row.model_name.clone()) else {
        return Err(bad(format!("new model {id} needs make and model_name")));
    };
    let year = row
        .year
        .as_deref()
        .map(str::parse::<i32>)
        .transpose()
        .map_err(|error| bad(format!("year: {error}")))?;
    let model = VehicleModel {
        id: id.clone(),
        make,
        model: name,
        year,
        platform: None,
        dbc_files: Vec::new(),
        marking: marking.clone(),
    };
    known.models.insert(id, Some(model.clone()));
    Ok(Some(model))
}

async fn plan_vehicle(
    store: &Store,
    known: &mut Known,
    vin_key: Option<&str>,
    row: &Row,
    marking: &Marking,
) -> Result<Vehicle, Problem> {
    let hashed = match (&row.vin, vin_key) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(bad(
                "a VIN needs the hash key: set vin_hash_key (KEELSON_VIN_HASH_KEY)",
            ));
        }
        (Some(vin), Some(key)) => Some(valid_vin(vin).map(|vin| vin_hash(key.as_bytes(), vin))?),
    };
    let id = match (&row.vehicle, &hashed) {
        (Some(id), _) => id.clone(),
        (None, Some(hash)) => format!("vin-{}", &hash[..24]),
        (None, None) => return Err(bad("a row needs vehicle or vin")),
    };
    if !known.vehicles.contains_key(&id) {
        known.vehicles.insert(id.clone(), store.vehicle(&id).await?);
    }
    let vehicle = Vehicle {
        id: id.clone(),
        model_id: row.model.clone(),
        vin_hash: hashed,
        region: row.region.clone(),
        marking: marking.clone(),
    };
    if let Some(Some(existing)) = known.vehicles.get(&id) {
        let what = format!("vehicle {id}");
        agree(
            &what,
            "model",
            existing.model_id.as_deref(),
            row.model.as_deref(),
        )?;
        agree(
            &what,
            "region",
            existing.region.as_deref(),
            row.region.as_deref(),
        )?;
        let known_vin = existing.vin_hash.as_deref();
        agree(&what, "vin", known_vin, vehicle.vin_hash.as_deref())
            .map_err(|_| bad(format!("vehicle {id} exists with another VIN (or none)")))?;
        return Ok(existing.clone());
    }
    known.vehicles.insert(id, Some(vehicle.clone()));
    Ok(vehicle)
}

/// A VIN is 17 letters and digits (ISO 3779), without I, O and Q.
fn valid_vin(vin: &str) -> Result<&str, Problem> {
    let valid = vin.len() == 17
        && vin
            .chars()
            .all(|c| c.is_ascii_alphanumeric() && !"IOQioq".contains(c));
    if valid {
        Ok(vin)
    } else {
        Err(bad("vin: 17 letters and digits without I, O or Q"))
    }
}

async fn plan_ecu(
    store: &Store,
    known: &mut Known,
    row: &Row,
    marking: &Marking,
) -> Result<Option<Ecu>, Problem> {
    let Some(id) = row.ecu.clone() else {
        return Ok(None);
    };
    if !known.ecus.contains_key(&id) {
        known.ecus.insert(id.clone(), store.ecu(&id).await?);
    }
    if let Some(Some(existing)) = known.ecus.get(&id) {
        let what = format!("ecu {id}");
        agree(
            &what,
            "ecu_name",
            Some(&existing.name),
            row.ecu_name.as_deref(),
        )?;
        agree(
            &what,
            "supplier",
            existing.supplier.as_deref(),
            row.supplier.as_deref(),
        )?;
        let part = existing.hardware_part_number.as_deref();
        agree(
            &what,
            "hardware_part_number",
            part,
            row.hardware_part_number.as_deref(),
        )?;
        return Ok(Some(existing.clone()));
    }
    let ecu = Ecu {
        id: id.clone(),
        name: row.ecu_name.clone().unwrap_or_else(|| id.clone()),
        supplier: row.supplier.clone(),
        hardware_part_number: row.hardware_part_number.clone(),
        model_id: row.model.clone(),
        marking: marking.clone(),
    };
    known.ecus.insert(id, Some(ecu.clone()));
    Ok(Some(ecu))
}

async fn plan_build(
    store: &Store,
    known: &mut Known,
    row: &Row,
    marking: &Marking,
) -> Result<Option<SoftwareBuild>, Problem> {
    let Some(id) = row.build.clone() else {
        return Ok(None);
    };
    let Some(ecu) = row.ecu.clone() else {
        return Err(bad(format!("build {id} needs the ecu it is installed on")));
    };
    if !known.builds.contains_key(&id) {
        known.builds.insert(id.clone(), store.build(&id).await?);
    }
    if let Some(Some(existing)) = known.builds.get(&id) {
        let what = format!("build {id}");
        agree(&what, "ecu", Some(&existing.ecu), Some(&ecu))?;
        let version = Some(existing.firmware_version.as_str());
        agree(
            &what,
            "firmware_version",
            version,
            row.firmware_version.as_deref(),
        )?;
        agree(
            &what,
            "digest",
            existing.digest.as_deref(),
            row.digest.as_deref(),
        )?;
        return Ok(Some(existing.clone()));
    }
    let Some(firmware_version) = row.firmware_version.clone() else {
        return Err(bad(format!("new build {id} needs firmware_version")));
    };
    let build = SoftwareBuild {
        id: id.clone(),
        ecu,
        firmware_version,
        digest: row.digest.clone(),
        marking: marking.clone(),
    };
    known.builds.insert(id, Some(build.clone()));
    Ok(Some(build))
}

fn plan_installation(
    row: &Row,
    vehicle: &Vehicle,
    marking: &Marking,
) -> Result<Option<NewInstallation>, Problem> {
    let (Some(ecu), Some(build)) = (&row.ecu, &row.build) else {
        return Ok(None);
    };
    let Some(text) = &row.installed_at else {
        return Err(bad(format!("build {build} needs installed_at (RFC 3339)")));
    };
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|error| bad(format!("installed_at {text:?}: {error}")))?;
    Ok(Some(NewInstallation {
        vehicle_id: vehicle.id.clone(),
        ecu_id: ecu.clone(),
        build_id: build.clone(),
        installed_at_us: i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX),
        source: "import".to_owned(),
        marking: marking.clone(),
    }))
}
