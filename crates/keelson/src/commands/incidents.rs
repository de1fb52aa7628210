//! `keelson incidents list` and `show`: VSOC incidents read from the store
//! through the same clearance rule as the API, as JSON on stdout;
//! `keelson incident export` writes an incident's signed evidence package
//! and `keelson evidence verify` checks one.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use keelson_store::Store;
use keelson_store::incidents::IncidentFilter;
use serde_json::json;

use keelson_server::evidence::EvidenceFiles;
use keelson_server::forensics::{self, InstanceKey, PackageError};

use super::cases::reader;
use super::{local_actor, open_store};
use crate::cli::{EvidenceCommand, IncidentsCommand, ReaderOptions};

pub async fn run(
    config: keelson_server::config::Config,
    command: IncidentsCommand,
) -> anyhow::Result<ExitCode> {
    let store = open_store(&config).await?;
    let result = match command {
        IncidentsCommand::List {
            state,
            severity,
            reader,
        } => {
            let filter = IncidentFilter {
                state: state.as_deref().map(str::parse).transpose()?,
                severity: severity.as_deref().map(str::parse).transpose()?,
                ..IncidentFilter::default()
            };
            list(&store, &filter, &reader).await
        }
        IncidentsCommand::Show { id, reader } => show(&store, &id, &reader).await,
        IncidentsCommand::Export { id, output, reader } => {
            export(&store, &config.data_dir, &id, &output, &reader).await
        }
    };
    store.close().await?;
    result
}

async fn list(
    store: &Store,
    filter: &IncidentFilter,
    options: &ReaderOptions,
) -> anyhow::Result<ExitCode> {
    let reader = reader(store, options).await?;
    let incidents = store.list_incidents(filter).await?;
    let mut stdout = std::io::stdout().lock();
    for incident in incidents.iter().filter(|i| reader.may_read(&i.marking)) {
        writeln!(stdout, "{}", serde_json::to_string(incident)?)?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn show(store: &Store, id: &str, options: &ReaderOptions) -> anyhow::Result<ExitCode> {
    let reader = reader(store, options).await?;
    let Some(incident) = store
        .incident(id)
        .await?
        .filter(|incident| reader.may_read(&incident.marking))
    else {
        bail!("incident {id} not found");
    };
    let mut alerts = Vec::new();
    for alert_id in store.incident_alert_ids(id).await? {
        let alert = store.alert(&alert_id).await?;
        alerts.extend(alert.filter(|alert| reader.may_read(&alert.marking)));
    }
    let scope = store.incident_scope(id).await?;
    let mut detail = serde_json::to_value(&incident)?;
    detail["vehicles_affected"] = json!(scope.vehicles_affected);
    detail["vehicle_ids"] = json!(scope.vehicle_ids);
    detail["build_ids"] = json!(scope.build_ids);
    detail["regions"] = json!(scope.regions);
    detail["alerts"] = json!(alerts);
    detail["comments"] = json!(store.incident_comments(id).await?);
    detail["allowed_transitions"] = json!(incident.state.allowed());
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{detail}")?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn export(
    store: &Store,
    data_dir: &Path,
    id: &str,
    output: &Path,
    options: &ReaderOptions,
) -> anyhow::Result<ExitCode> {
    let reader = reader(store, options).await?;
    let key = InstanceKey::load_or_create(data_dir)
        .with_context(|| format!("the instance key in {}", data_dir.display()))?;
    let evidence = EvidenceFiles::in_data_dir(data_dir);
    let package =
        match forensics::export_incident(store, &reader, &local_actor(), id, &key, &evidence).await
        {
            Ok(package) => package,
            Err(PackageError::NotFound(id)) => bail!("incident {id} not found"),
            Err(error) => return Err(error.into()),
        };
    std::fs::write(output, &package.bytes)
        .with_context(|| format!("cannot write {}", output.display()))?;
    let answer = json!({"file": output, "sha256": package.sha256,
                        "files": package.manifest.files.len(),
                        "signing_key": package.manifest.signing_key});
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{answer}")?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `keelson evidence verify`: exit 0 when the package is intact, 1 when
/// anything is wrong (each problem names its file).
pub fn verify(command: EvidenceCommand) -> anyhow::Result<ExitCode> {
    let EvidenceCommand::Verify { file, key } = command;
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let verification = forensics::verify_package(&bytes, key.as_deref());
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", serde_json::to_string(&verification)?)?;
    stdout.flush()?;
    for problem in &verification.problems {
        eprintln!("{}: {}: {}", file.display(), problem.file, problem.reason);
    }
    Ok(if verification.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
