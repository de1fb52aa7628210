//! `keelson serve`: open the store, create the first admin on an empty
//! store, start the MQTT source (and the embedded broker) when configured,
//! and serve until told to stop.

use std::process::ExitCode;

use keelson_server::AppState;
use keelson_server::config::Config;
use keelson_server::ingest::mqtt::{self, MqttSettings};

use super::open_store;

pub async fn run(config: Config) -> anyhow::Result<ExitCode> {
    let mqtt_settings = MqttSettings::from_config(&config)?;
    let store = open_store(&config).await?;
    announce_first_admin(&store).await?;
    start_embedded_broker(&config)?;
    let state = AppState::with_rules(store.clone(), config).await?;

    let source = mqtt_settings.map(|settings| mqtt::start(&state, settings));
    keelson_server::serve(state).await?;
    // Messages not yet acknowledged stay with the broker for the next start.
    drop(source);
    store.close().await?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "mqtt-embedded")]
fn start_embedded_broker(config: &Config) -> anyhow::Result<()> {
    if let Some(listen) = config.mqtt_embedded_listen {
        mqtt::embedded::start(listen)?;
        tracing::info!(%listen, "embedded mqtt broker listening");
    }
    Ok(())
}

#[cfg(not(feature = "mqtt-embedded"))]
fn start_embedded_broker(config: &Config) -> anyhow::Result<()> {
    match config.mqtt_embedded_listen {
        Some(listen) => anyhow::bail!(
            "mqtt_embedded_listen {listen}: this keelson was built without the embedded \
             broker; rebuild with --features mqtt-embedded or point mqtt_url at a broker"
        ),
        None => Ok(()),
    }
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
