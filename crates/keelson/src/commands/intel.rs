//! `keelson intel`: `import` stores STIX 2.1 bundles (one JSON line of counts per
//! file), `export` writes the bundle of what a reader or a partner organisation
//! may receive. Both go through `keelson_server::intel`, as the API does.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use keelson_core::Tlp;
use keelson_server::config::Config;
use keelson_server::intel::{self, ImportMarking, IntelError};
use keelson_store::Store;
use serde_json::json;

use super::{cases, local_actor, open_store, runtime};
use crate::cli::{IntelCommand, ReaderOptions};

pub fn run(config: Config, command: IntelCommand) -> anyhow::Result<ExitCode> {
    match command {
        IntelCommand::Import {
            files,
            tlp,
            share_with,
            named_readers,
        } => {
            let marking = ImportMarking {
                default_tlp: tlp
                    .as_deref()
                    .map(str::parse::<Tlp>)
                    .transpose()?
                    .unwrap_or(Tlp::Amber),
                shared_with_orgs: share_with,
                named_readers,
            };
            runtime()?.block_on(import(&config, &files, &marking))
        }
        IntelCommand::Export {
            format,
            partner,
            output,
            reader,
        } => {
            if format != "stix" {
                bail!("--format {format:?}: expected stix");
            }
            runtime()?.block_on(export(
                &config,
                partner.as_deref(),
                output.as_deref(),
                &reader,
            ))
        }
    }
}

/// One JSON line per file; a file that cannot be read or is no valid bundle is
/// named on stderr with the JSON pointer of the fault and makes the exit code 2,
/// after the other files are imported.
async fn import(
    config: &Config,
    files: &[PathBuf],
    marking: &ImportMarking,
) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let actor = local_actor();
    let mut failed = false;
    let mut stdout = std::io::stdout().lock();
    for file in files {
        match import_one(&store, &actor, file, marking).await {
            Ok(line) => writeln!(stdout, "{line}")?,
            Err(error) => {
                eprintln!("{}: {error:#}", file.display());
                failed = true;
            }
        }
    }
    stdout.flush()?;
    store.close().await?;
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

async fn import_one(
    store: &Store,
    actor: &str,
    file: &Path,
    marking: &ImportMarking,
) -> anyhow::Result<serde_json::Value> {
    let bytes = std::fs::read(file)?;
    let report = match intel::import(store, actor, &bytes, marking).await {
        Ok(report) => report,
        Err(IntelError::Stix(error)) => bail!("not a valid STIX 2.1 bundle: {error}"),
        Err(IntelError::Store(error)) => return Err(error.into()),
    };
    let mut line = serde_json::to_value(&report)?;
    line["file"] = json!(file.display().to_string());
    Ok(line)
}

async fn export(
    config: &Config,
    partner: Option<&str>,
    output: Option<&Path>,
    options: &ReaderOptions,
) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let reader = match partner {
        Some(organisation) => intel::partner(organisation),
        None => cases::reader(&store, options).await?,
    };
    let bundle = intel::export(&store, &reader).await?;
    let text = serde_json::to_string_pretty(&bundle)?;
    match output {
        Some(path) => std::fs::write(path, format!("{text}\n"))
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => println!("{text}"),
    }
    store.close().await?;
    Ok(ExitCode::SUCCESS)
}
