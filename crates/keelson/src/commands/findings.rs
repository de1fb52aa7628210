//! `keelson findings import`: a SARIF 2.1.0 report's results stored on a build
//! through `keelson_server::security_tests` (as the API does), and optionally a
//! case opened for each new finding at a severity or above.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use keelson_core::{Principal, Severity};
use keelson_server::config::Config;
use keelson_server::security_tests;
use keelson_store::cases::Opened;
use serde_json::json;

use super::{local_actor, open_store};
use crate::cli::FindingsCommand;

pub async fn run(config: Config, command: FindingsCommand) -> anyhow::Result<ExitCode> {
    let FindingsCommand::Import {
        file,
        build,
        open_cases,
    } = command;
    let threshold = open_cases
        .as_deref()
        .map(str::parse::<Severity>)
        .transpose()
        .context("--open-cases")?;
    import(&config, &file, &build, threshold).await
}

async fn import(
    config: &Config,
    file: &Path,
    build: &str,
    threshold: Option<Severity>,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("{}", file.display()))?;
    let store = open_store(config).await?;
    let actor = local_actor();
    let imported = security_tests::import_sarif(&store, &actor, build, &bytes)
        .await
        .with_context(|| format!("{}", file.display()))?;

    let mut cases: Vec<String> = Vec::new();
    if let Some(threshold) = threshold {
        let reader = Principal::system();
        for finding in imported.stored.iter().filter(|f| f.severity >= threshold) {
            let sla = &config.case_sla_days;
            let opened = security_tests::open_case(&store, &actor, &reader, finding, sla).await?;
            let (Opened::Created(case) | Opened::Merged(case)) = opened;
            if !cases.contains(&case.id) {
                cases.push(case.id);
            }
        }
    }
    let line = json!({
        "build": build,
        "stored": imported.stored.len(),
        "duplicates": imported.duplicates,
        "cases": cases,
    });
    println!("{line}");
    store.close().await?;
    Ok(ExitCode::SUCCESS)
}
