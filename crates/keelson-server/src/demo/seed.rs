//! Seeding an empty store with the demo: the rules (shipped and demo, all
//! active so their alerts open incidents), the catalogue's models, ECUs
//! and builds with their SBOMs, the simulated fleet with its factory
//! builds installed, the knowledge-base feed files, and the DBC files
//! written into the DBC folder the models name. Every write goes through
//! the store's audited domain methods as the demo's seeding actor.

use std::path::Path;

use keelson_sim::{BuildSpec, DBC_FILES, EcuSpec, Fleet, MODELS, ModelSpec};
use keelson_store::Store;
use keelson_store::feeds::FeedFile;
use keelson_store::fleet::{SoftwareBuild, Vehicle, VehicleModel};
use keelson_store::installations::{Ecu, NewInstallation};
use keelson_store::rules::{RuleScope, RuleStatus};
use keelson_store::sboms::Subject;
use sha2::{Digest, Sha256};

use super::DemoError;
use super::data::{self, DemoFile};
use crate::detection::rules::{RuleInput, prepare};

/// What the seeding wrote, for the log and the tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Seeded {
    pub rules: usize,
    pub models: usize,
    pub ecus: usize,
    pub builds: usize,
    pub sboms: usize,
    pub vehicles: usize,
    pub feed_files: usize,
}

/// Seeds `store` for `fleet`, writing the DBC files into `dbc_dir`.
pub async fn seed(
    store: &Store,
    actor: &str,
    fleet: &Fleet,
    dbc_dir: &Path,
    installed_at_us: i64,
) -> Result<Seeded, DemoError> {
    write_dbc_files(dbc_dir)?;
    let mut seeded = Seeded {
        rules: seed_rules(store, actor).await?,
        ..Seeded::default()
    };
    for model in &MODELS {
        seed_model(store, actor, model, &mut seeded).await?;
    }
    seed_vehicles(store, actor, fleet, installed_at_us).await?;
    seeded.vehicles = fleet.len();
    seeded.feed_files = seed_feeds(store, actor).await?;
    Ok(seeded)
}

fn write_dbc_files(dbc_dir: &Path) -> Result<(), DemoError> {
    std::fs::create_dir_all(dbc_dir).map_err(|error| DemoError::io(dbc_dir, error))?;
    for file in &DBC_FILES {
        let path = dbc_dir.join(file.name);
        std::fs::write(&path, file.text).map_err(|error| DemoError::io(&path, error))?;
    }
    Ok(())
}

/// Every rule active: the shipped ones are `test` by their Sigma status,
/// whose alerts open no incidents, and the demo exists to show incidents.
async fn seed_rules(store: &Store, actor: &str) -> Result<usize, DemoError> {
    let files = data::SHIPPED_RULES.iter().chain(data::DEMO_RULES);
    let mut count = 0;
    for file in files {
        let sigma = text_of(file)?;
        let input = RuleInput {
            sigma,
            title: None,
            status: Some(RuleStatus::Active),
            scope: RuleScope::default(),
            valid_until: None,
            marking: keelson_core::tlp::default_marking(),
        };
        let rule = prepare(input).map_err(|error| DemoError::data(file.name, error))?;
        store.import_rule(actor, &rule).await?;
        count += 1;
    }
    Ok(count)
}

async fn seed_model(
    store: &Store,
    actor: &str,
    model: &ModelSpec,
    seeded: &mut Seeded,
) -> Result<(), DemoError> {
    let record = VehicleModel {
        id: model.id.to_owned(),
        make: model.make.to_owned(),
        model: model.model.to_owned(),
        year: Some(model.year),
        platform: Some(model.platform.to_owned()),
        dbc_files: vec![model.dbc_file.to_owned()],
        marking: keelson_core::tlp::default_marking(),
    };
    store.create_vehicle_model(actor, &record).await?;
    seeded.models += 1;
    for ecu in model.ecus {
        seed_ecu(store, actor, model, ecu).await?;
        seeded.ecus += 1;
        let builds = std::iter::once(ecu.factory_build).chain(ecu.update);
        for build in builds {
            seed_build(store, actor, ecu, build).await?;
            seeded.builds += 1;
            seeded.sboms += 1;
        }
    }
    Ok(())
}

async fn seed_ecu(
    store: &Store,
    actor: &str,
    model: &ModelSpec,
    ecu: &EcuSpec,
) -> Result<(), DemoError> {
    let record = Ecu {
        id: ecu.id.to_owned(),
        name: ecu.name.to_owned(),
        supplier: Some(ecu.supplier.to_owned()),
        hardware_part_number: Some(ecu.hardware_part_number.to_owned()),
        model_id: Some(model.id.to_owned()),
        marking: keelson_core::tlp::default_marking(),
    };
    Ok(store.create_ecu(actor, &record).await?)
}

/// The build and its SBOM, read by the same importer as `keelson sbom import`.
async fn seed_build(
    store: &Store,
    actor: &str,
    ecu: &EcuSpec,
    build: BuildSpec,
) -> Result<(), DemoError> {
    let file = data::sbom(build.sbom)
        .ok_or_else(|| DemoError::data(build.sbom, "no such SBOM among the demo files"))?;
    let record = SoftwareBuild {
        id: build.id.to_owned(),
        ecu: ecu.id.to_owned(),
        firmware_version: build.version.to_owned(),
        digest: Some(format!("sha256:{}", sha256_hex(file.bytes))),
        marking: keelson_core::tlp::default_marking(),
    };
    store.create_build(actor, &record).await?;
    let sbom =
        keelson_sbom::import(file.bytes).map_err(|error| DemoError::data(file.name, error))?;
    let subject = Subject::Build(build.id.to_owned());
    let new = crate::findings::new_sbom(subject, &sbom, file.bytes.to_vec());
    store.attach_sbom(actor, new).await?;
    Ok(())
}

async fn seed_vehicles(
    store: &Store,
    actor: &str,
    fleet: &Fleet,
    installed_at_us: i64,
) -> Result<(), DemoError> {
    for vehicle in &fleet.vehicles {
        let record = Vehicle {
            id: vehicle.id.clone(),
            model_id: Some(vehicle.model.id.to_owned()),
            vin_hash: None,
            region: Some(vehicle.region.to_owned()),
            marking: keelson_core::tlp::default_marking(),
        };
        store.create_vehicle(actor, &record).await?;
        for ecu in vehicle.model.ecus {
            let installation = NewInstallation {
                vehicle_id: vehicle.id.clone(),
                ecu_id: ecu.id.to_owned(),
                build_id: ecu.factory_build.id.to_owned(),
                installed_at_us,
                source: "import".to_owned(),
                marking: keelson_core::tlp::default_marking(),
            };
            store.install_build(actor, installation).await?;
        }
    }
    Ok(())
}

/// The feed files, stored whole as `keelson vulndb import` stores them; the
/// findings cache builds the knowledge base from them on first use.
async fn seed_feeds(store: &Store, actor: &str) -> Result<usize, DemoError> {
    for file in data::FEEDS {
        let kind = keelson_vulndb::FeedKind::detect(file.name, file.bytes)
            .map_err(|error| DemoError::data(file.name, error))?;
        let feed = FeedFile {
            sha256: sha256_hex(file.bytes),
            kind: kind.name().to_owned(),
            name: file.name.to_owned(),
            bytes: file.bytes.to_vec(),
        };
        store.store_feed_file(actor, feed).await?;
    }
    Ok(data::FEEDS.len())
}

fn text_of(file: &DemoFile) -> Result<String, DemoError> {
    String::from_utf8(file.bytes.to_vec()).map_err(|error| DemoError::data(file.name, error))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
