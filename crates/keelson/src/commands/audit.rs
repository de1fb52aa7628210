//! `keelson audit verify`: recompute the audit chain.

use std::process::ExitCode;

use keelson_server::config::Config;

use super::open_store;
use crate::cli::AuditCommand;

/// Prints `{"ok", "entries", "first_broken", "reason"}`; exit 1 when broken.
pub async fn run(config: Config, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify = command;
    let store = open_store(&config).await?;
    let report = store.verify_audit_chain().await?;
    println!("{}", serde_json::to_string(&report)?);
    store.close().await?;
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
