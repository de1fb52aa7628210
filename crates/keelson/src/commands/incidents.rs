//! `keelson incidents list` and `show`: VSOC incidents read from the store
//! through the same clearance rule as the API, as JSON on stdout.

use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;
use keelson_store::Store;
use keelson_store::incidents::IncidentFilter;
use serde_json::json;

use super::cases::reader;
use super::open_store;
use crate::cli::{IncidentsCommand, ReaderOptions};

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
