//! `keelson webhooks deliveries`: every webhook delivery with its attempts
//! and outcome, one JSON line each, newest first.

use std::io::Write;
use std::process::ExitCode;

use keelson_server::config::Config;

use super::open_store;
use crate::cli::WebhooksCommand;

pub async fn run(config: Config, command: WebhooksCommand) -> anyhow::Result<ExitCode> {
    let WebhooksCommand::Deliveries { status } = command;
    let store = open_store(&config).await?;
    let deliveries = store.list_deliveries(status.as_deref()).await;
    store.close().await?;
    let mut stdout = std::io::stdout().lock();
    for delivery in deliveries? {
        writeln!(stdout, "{}", serde_json::to_string(&delivery)?)?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
