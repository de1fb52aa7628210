//! `keelson ingest`, `keelson quarantine` and `keelson retention`: files
//! into the store with a progress bar on stderr, totals on stdout; the
//! quarantine as NDJSON and its replay; retention runs.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use keelson_server::config::Config;
use keelson_server::ingest::IngestTotals;
use keelson_server::ingest::file::{FileOptions, detect, ingest_file};
use keelson_server::ingest::replay::{ReplayOptions, replay_quarantine};
use keelson_telemetry::Format;
use serde::Serialize;

use super::open_store;
use crate::cli::{QuarantineCommand, RetentionCommand};

/// The `ingest` command's arguments.
pub struct Request {
    pub files: Vec<PathBuf>,
    pub vehicle: Option<String>,
    pub format: String,
    pub json: bool,
}

/// What `ingest --json` prints.
#[derive(Debug, Default, Serialize)]
struct Summary {
    files: u64,
    #[serde(flatten)]
    totals: IngestTotals,
}

/// Ingests every file; a file that cannot be read stops the run with its
/// name (files before it stay ingested; running again stores nothing twice).
pub async fn run(config: Config, request: Request) -> anyhow::Result<ExitCode> {
    let store = open_store(&config).await?;
    let state = keelson_server::AppState::with_rules(store.clone(), config).await?;
    let actor = super::local_actor();
    let mut summary = Summary::default();
    for path in &request.files {
        let options = FileOptions {
            format: chosen_format(&request.format, path)?,
            vehicle_id: request.vehicle.clone(),
            dbc_dir: state.config.dbc_dir.clone(),
            ..FileOptions::default()
        };
        let bar = progress_bar(path)?;
        let totals = ingest_file(
            &store,
            &state.detector,
            &actor,
            path,
            &options,
            &mut |read| bar.set_position(read),
        )
        .await;
        bar.finish_and_clear();
        summary.totals.add(totals?);
        summary.files += 1;
    }
    store.close().await?;
    print_summary(&summary, request.json)?;
    Ok(ExitCode::SUCCESS)
}

/// The format named on the command line; `auto` detects per file and `csv`
/// detects which CSV layout.
fn chosen_format(name: &str, path: &std::path::Path) -> anyhow::Result<Option<Format>> {
    match name {
        "auto" => Ok(None),
        "csv" => match detect(path) {
            Some(format @ Format::Csv(_)) => Ok(Some(format)),
            _ => bail!(
                "{}: not a known CSV layout; name it: csv-hcrl, csv-daga, csv-road, csv-j1939",
                path.display()
            ),
        },
        other => Format::from_name(other)
            .map(Some)
            .with_context(|| format!("unknown --format {other:?}")),
    }
}

fn progress_bar(path: &std::path::Path) -> anyhow::Result<ProgressBar> {
    let length = std::fs::metadata(path)
        .with_context(|| format!("{}", path.display()))?
        .len();
    let bar = ProgressBar::new(length);
    let style = ProgressStyle::with_template("{msg} {wide_bar} {bytes}/{total_bytes} {eta}")
        .context("progress template")?;
    bar.set_style(style);
    bar.set_message(path.display().to_string());
    Ok(bar)
}

fn print_summary(summary: &Summary, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(summary)?);
    } else {
        let IngestTotals {
            accepted,
            duplicates,
            quarantined,
        } = summary.totals;
        println!(
            "{} files: {accepted} accepted, {duplicates} duplicates, {quarantined} quarantined",
            summary.files
        );
    }
    Ok(())
}

/// `keelson quarantine list` and `keelson quarantine replay`.
pub async fn quarantine(config: Config, command: QuarantineCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(&config).await?;
    match command {
        QuarantineCommand::List { all, limit } => {
            let page = store.list_quarantine(all, None, limit).await?;
            for record in page.items {
                writeln!(
                    std::io::stdout().lock(),
                    "{}",
                    serde_json::to_string(&record)?
                )?;
            }
        }
        QuarantineCommand::Replay { format } => {
            let format = match format.as_deref() {
                Some(name) => Some(
                    Format::from_name(name)
                        .with_context(|| format!("unknown --format {name:?}"))?,
                ),
                None => None,
            };
            let options = ReplayOptions {
                format,
                dbc_dir: config.dbc_dir.clone(),
            };
            let counts = replay_quarantine(&store, &super::local_actor(), &options).await?;
            println!("{}", serde_json::to_string(&counts)?);
        }
    }
    store.close().await?;
    Ok(ExitCode::SUCCESS)
}

/// `keelson retention run`.
pub async fn retention(config: Config, command: RetentionCommand) -> anyhow::Result<ExitCode> {
    let RetentionCommand::Run = command;
    let store = open_store(&config).await?;
    let counts =
        keelson_server::retention::run_once(&store, &super::local_actor(), &config.retention)
            .await?;
    store.close().await?;
    println!("{}", serde_json::json!({"sources": counts}));
    Ok(ExitCode::SUCCESS)
}
