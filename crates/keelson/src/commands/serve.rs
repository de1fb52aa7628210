//! `keelson serve`: open the store, create the first admin on an empty
//! store, and serve until told to stop.

use std::process::ExitCode;

use keelson_server::AppState;
use keelson_server::config::Config;

use super::open_store;

pub async fn run(config: Config) -> anyhow::Result<ExitCode> {
    let store = open_store(&config).await?;
    announce_first_admin(&store).await?;
    let state = AppState::with_rules(store.clone(), config).await?;
    keelson_server::serve(state).await?;
    store.close().await?;
    Ok(ExitCode::SUCCESS)
}

/// On an empty store, an admin with a generated password; printed once on
/// stdout (the only time it exists outside its hash).
pub async fn announce_first_admin(store: &keelson_store::Store) -> anyhow::Result<()> {
    let created = keelson_server::bootstrap_admin(store)
        .await
        .map_err(|error| anyhow::anyhow!("cannot create the first admin: {}", error.message))?;
    if let Some((user, password)) = created {
        let line = serde_json::json!({"user": user.name, "password": password, "role": "admin"});
        println!("{line}");
        eprintln!(
            "first start: created user {:?}; the password above is shown only once",
            user.name
        );
    }
    Ok(())
}
