//! `keelson fleet import FILE`: an inventory (vehicle models, vehicles by
//! pseudonymous ID or VIN, ECUs, installed builds) from CSV or JSON Lines.
//!
//! Every row is checked before anything is written; when any row is bad,
//! each bad row is reported with file, line and reason and nothing is
//! imported (exit 2). Otherwise the rows are applied in order; importing
//! the same file again creates nothing and adds no history.

mod plan;
mod rows;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use keelson_server::config::Config;
use keelson_store::Store;
use keelson_store::installations::Installed;
use serde::Serialize;

use super::open_store;
use crate::cli::FleetCommand;
use plan::{Known, Planned};

/// A row that was not (or not wholly) imported.
#[derive(Debug, Serialize)]
struct BadRow {
    file: String,
    line: u64,
    reason: String,
}

/// What the import did, printed as JSON on stdout.
#[derive(Debug, Default, Serialize)]
struct Summary {
    file: String,
    rows: u64,
    /// Whether the rows were applied (false when any row was bad).
    imported: bool,
    models_created: u64,
    vehicles_created: u64,
    ecus_created: u64,
    builds_created: u64,
    installations_created: u64,
    /// Installations already recorded (the slot runs that build, or the
    /// history holds it).
    installations_unchanged: u64,
    bad_rows: Vec<BadRow>,
}

pub async fn run(config: Config, command: FleetCommand) -> anyhow::Result<ExitCode> {
    let FleetCommand::Import { file } = command;
    let bytes = std::fs::read(&file).with_context(|| format!("{}", file.display()))?;
    let read = rows::read(&file, &bytes)
        .map_err(|reason| anyhow::anyhow!("{}: {reason}", file.display()))?;
    let store = open_store(&config).await?;
    let mut summary = Summary {
        file: file.display().to_string(),
        rows: read.len() as u64,
        ..Summary::default()
    };

    let planned = plan_all(&store, &config, &file, read, &mut summary).await?;
    if summary.bad_rows.is_empty() {
        summary.imported = true;
        for row in planned {
            if let Err(error) = apply(&store, &row, &mut summary).await {
                summary
                    .bad_rows
                    .push(bad_row(&file, row.line, error.to_string()));
            }
        }
    }
    store.close().await?;

    for bad in &summary.bad_rows {
        eprintln!("{}:{}: {}", bad.file, bad.line, bad.reason);
    }
    println!("{}", serde_json::to_string(&summary)?);
    Ok(if summary.bad_rows.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn bad_row(file: &Path, line: u64, reason: String) -> BadRow {
    BadRow {
        file: file.display().to_string(),
        line,
        reason,
    }
}

/// Checks every row; bad ones go to the summary.
async fn plan_all(
    store: &Store,
    config: &Config,
    file: &Path,
    read: Vec<rows::Read>,
    summary: &mut Summary,
) -> anyhow::Result<Vec<Planned>> {
    let mut known = Known::default();
    let key = config.vin_hash_key.as_deref();
    let mut planned = Vec::with_capacity(read.len());
    for (line, row) in read {
        let outcome = match row {
            Ok(row) => plan::plan_row(store, &mut known, key, line, row).await?,
            Err(reason) => Err(reason),
        };
        match outcome {
            Ok(row) => planned.push(row),
            Err(reason) => summary.bad_rows.push(bad_row(file, line, reason)),
        }
    }
    Ok(planned)
}

/// Writes the records of one checked row that do not exist yet.
async fn apply(store: &Store, row: &Planned, summary: &mut Summary) -> anyhow::Result<()> {
    let actor = super::local_actor();
    if let Some(model) = &row.model
        && store.vehicle_model(&model.id).await?.is_none()
    {
        store.create_vehicle_model(&actor, model).await?;
        summary.models_created += 1;
    }
    if store.vehicle(&row.vehicle.id).await?.is_none() {
        store.create_vehicle(&actor, &row.vehicle).await?;
        summary.vehicles_created += 1;
    }
    if let Some(ecu) = &row.ecu
        && store.ecu(&ecu.id).await?.is_none()
    {
        store.create_ecu(&actor, ecu).await?;
        summary.ecus_created += 1;
    }
    if let Some(build) = &row.build
        && store.build(&build.id).await?.is_none()
    {
        store.create_build(&actor, build).await?;
        summary.builds_created += 1;
    }
    if let Some(installation) = &row.installation {
        match store.install_build(&actor, installation.clone()).await? {
            Installed::New { .. } => summary.installations_created += 1,
            Installed::Unchanged { .. } => summary.installations_unchanged += 1,
        }
    }
    Ok(())
}
