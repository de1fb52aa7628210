//! `keelson admin`: accounts and tokens from the command line, acting as
//! the operator (audited as `cli`).

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use anyhow::{Context, bail};
use keelson_core::Role;
use keelson_server::auth;
use keelson_server::config::Config;
use keelson_store::users::NewUser;

use super::open_store;
use crate::cli::AdminCommand;

/// Who the audit log names for changes made from the command line.
const CLI_ACTOR: &str = "cli";

pub async fn run(config: Config, command: AdminCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(&config).await?;
    match command {
        AdminCommand::CreateUser { name, role, org } => {
            let role: Role = role.parse()?;
            let given = password_from_stdin()?;
            let password = given.clone().unwrap_or_else(auth::new_password);
            if password.chars().count() < 12 {
                bail!("password must have at least 12 characters");
            }
            let hash = auth::hash_password(&password).map_err(|e| anyhow::anyhow!(e.message))?;
            let new = NewUser {
                name,
                role,
                organisation: org,
                password_hash: hash,
            };
            let user = store.create_user(CLI_ACTOR, new).await?;
            let generated = given.is_none().then_some(password);
            println!(
                "{}",
                serde_json::json!({"user": user, "password": generated})
            );
        }
        AdminCommand::CreateToken {
            name,
            expires_days,
            label,
        } => {
            let user = store
                .user_by_name(&name)
                .await?
                .with_context(|| format!("no user {name:?}"))?;
            let secret = auth::new_token_secret();
            let expires = match expires_days {
                Some(days) => Some(keelson_server::api::expiry_after_days(days).with_context(
                    || {
                        format!(
                            "--expires-days must be at most {}",
                            keelson_server::api::MAX_TOKEN_DAYS
                        )
                    },
                )?),
                None => None,
            };
            store
                .create_token(
                    CLI_ACTOR,
                    &user.id,
                    &label,
                    &auth::secret_hash(&secret),
                    expires,
                )
                .await?;
            println!("{secret}");
        }
    }
    store.close().await?;
    Ok(ExitCode::SUCCESS)
}

/// The first line of stdin when something is piped in; `None` on a
/// terminal or an empty stdin (then a password is generated).
fn password_from_stdin() -> anyhow::Result<Option<String>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut text = String::new();
    stdin
        .lock()
        .take(4096)
        .read_to_string(&mut text)
        .context("cannot read the password from stdin")?;
    let line = text
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('\r')
        .to_owned();
    Ok((!line.is_empty()).then_some(line))
}
