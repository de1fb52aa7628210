//! `keelson suppliers import FILE` and `keelson suppliers list`: the
//! supplier register that gives components their country of origin.

use std::process::ExitCode;

use anyhow::Context;
use keelson_server::config::Config;
use keelson_server::origin::{self, RegisterError};
use serde_json::json;

use super::{local_actor, open_store};
use crate::cli::SuppliersCommand;

pub async fn run(config: Config, command: SuppliersCommand) -> anyhow::Result<ExitCode> {
    match command {
        SuppliersCommand::Import { file } => {
            let bytes = std::fs::read(&file).with_context(|| format!("{}", file.display()))?;
            let store = open_store(&config).await?;
            let replaced = origin::replace_register(&store, &local_actor(), &bytes).await;
            store.close().await?;
            match replaced {
                Ok(change) => {
                    let summary = json!({"file": file.display().to_string(), "change": change});
                    println!("{summary}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(RegisterError::Invalid(problems)) => {
                    for problem in &problems {
                        eprintln!("{}:{}: {}", file.display(), problem.line, problem.message);
                    }
                    Ok(ExitCode::from(2))
                }
                Err(RegisterError::Store(error)) => Err(error.into()),
            }
        }
        SuppliersCommand::List => {
            let store = open_store(&config).await?;
            let register = store.supplier_register().await;
            store.close().await?;
            for entry in register? {
                println!("{}", serde_json::to_string(&entry)?);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
