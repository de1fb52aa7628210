//! `keelson tara import FILE`: a TARA checked whole, then stored; the same
//! file again changes nothing. Every bad line is printed as JSON with the
//! file, the line and the reason, and nothing is imported.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use keelson_core::tara;
use keelson_server::config::Config;
use serde_json::json;

use super::{local_actor, open_store};
use crate::cli::TaraCommand;

pub async fn run(config: Config, command: TaraCommand) -> anyhow::Result<ExitCode> {
    match command {
        TaraCommand::Import { file } => import(&config, &file).await,
    }
}

async fn import(config: &Config, file: &Path) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let document = match tara::parse(&text) {
        Ok(document) => document,
        Err(problems) => {
            let mut stdout = std::io::stdout().lock();
            for problem in &problems {
                let line = json!({"file": file, "line": problem.line, "reason": problem.reason});
                writeln!(stdout, "{line}")?;
            }
            stdout.flush()?;
            eprintln!(
                "error: {}: {} lines refused; nothing was imported",
                file.display(),
                problems.len()
            );
            return Ok(ExitCode::from(2));
        }
    };

    let store = open_store(config).await?;
    let imported = store.import_tara(&local_actor(), &document).await;
    store.close().await?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", serde_json::to_string(&imported?)?)?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
