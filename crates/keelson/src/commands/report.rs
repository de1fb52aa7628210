//! `keelson report r155` and `keelson report metrics`: the VSOC reports,
//! made by the same server-side functions as the API routes
//! (`keelson_server::reports`), read as the `--as` user.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use keelson_server::reports::period::{Granularity, Period};
use keelson_server::reports::{ReportFormat, export_r155, metrics_report};
use serde_json::json;

use super::cases::reader;
use super::{local_actor, open_store};
use crate::cli::ReportCommand;

pub async fn run(
    config: keelson_server::config::Config,
    command: ReportCommand,
) -> anyhow::Result<ExitCode> {
    let store = open_store(&config).await?;
    let result = match command {
        ReportCommand::R155 {
            from,
            to,
            format,
            output,
            reader: options,
        } => {
            let period = Period::parse(&from, &to)?;
            let format: ReportFormat = format.parse()?;
            let reader = reader(&store, &options).await?;
            let export = export_r155(&store, &reader, &local_actor(), &period, format).await?;
            std::fs::write(&output, &export.bytes)
                .with_context(|| format!("cannot write {}", output.display()))?;
            let answer = json!({"file": output, "format": format, "tlp": export.tlp,
                                "sha256": export.sha256});
            print_line(&answer)
        }
        ReportCommand::Metrics {
            from,
            to,
            period: granularity,
            reader: options,
        } => {
            let period = Period::parse(&from, &to)?;
            let granularity: Granularity = granularity.parse()?;
            let reader = reader(&store, &options).await?;
            let report = metrics_report(&store, &reader, &period, granularity).await?;
            print_line(&serde_json::to_value(&report)?)
        }
    };
    store.close().await?;
    result
}

fn print_line(value: &serde_json::Value) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{value}")?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
