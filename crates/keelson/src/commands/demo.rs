//! `keelson demo`: the server of `keelson serve` on a fresh embedded store
//! seeded by `keelson_server::demo`, with the simulated fleet stepped once
//! a second by the wall clock. Prints one JSON line on stdout (the URL, the
//! one-time admin credentials, the data folder) once the socket listens.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use keelson_server::AppState;
use keelson_server::config::Config;
use keelson_server::demo::Simulation;
use keelson_sim::Settings;
use time::OffsetDateTime;

use super::open_store;
use crate::cli::FleetOptions;

/// What `keelson demo` was asked for.
pub struct Request {
    pub fleet: FleetOptions,
    /// `--data-dir`, which must be empty or absent.
    pub data_dir: Option<PathBuf>,
    pub database: Option<String>,
}

pub async fn run(mut config: Config, request: Request) -> anyhow::Result<ExitCode> {
    request.fleet.check()?;
    if request.database.is_some() {
        anyhow::bail!("--database: the demo runs on a fresh embedded store; leave it out");
    }
    let data_dir = fresh_data_dir(request.data_dir.as_deref())?;
    config.database = None;
    config.dbc_dir = Some(data_dir.join("dbc"));
    config.data_dir = data_dir.clone();

    let store = open_store(&config).await?;
    let (admin, password) = keelson_server::bootstrap_admin(&store)
        .await
        .map_err(|error| anyhow::anyhow!("cannot create the admin: {}", error.message))?
        .context("the demo store already has accounts")?;
    let state = AppState::with_rules(store.clone(), config).await?;
    let settings = Settings {
        seed: request.fleet.seed,
        vehicles: request.fleet.vehicles,
        rate: request.fleet.rate,
        start: OffsetDateTime::now_utc(),
        attacks: true,
    };
    let (simulation, seeded) = Simulation::seed(state.clone(), settings).await?;
    tracing::info!(?seeded, "demo store seeded");

    let listener = keelson_server::bind(&state.config).await?;
    let address = listener.local_addr()?;
    let line = serde_json::json!({
        "url": format!("http://{address}/"),
        "user": admin.name,
        "password": password,
        "data_dir": data_dir.display().to_string(),
        "vehicles": request.fleet.vehicles,
    });
    println!("{line}");
    eprintln!("demo: sign in at http://{address}/login; the password above is shown only once");

    let fleet = tokio::spawn(run_fleet(simulation));
    keelson_server::serve_on(listener, state).await?;
    fleet.abort();
    store.close().await?;
    Ok(ExitCode::SUCCESS)
}

/// The named folder when it is empty or absent, else a new one under the
/// system's temporary folder; created either way.
fn fresh_data_dir(asked: Option<&Path>) -> anyhow::Result<PathBuf> {
    let folder = match asked {
        Some(folder) => {
            let occupied =
                std::fs::read_dir(folder).is_ok_and(|mut entries| entries.next().is_some());
            if occupied {
                anyhow::bail!(
                    "--data-dir {}: not empty; the demo seeds a fresh store (name a new folder)",
                    folder.display()
                );
            }
            folder.to_path_buf()
        }
        None => {
            let stamp = OffsetDateTime::now_utc().unix_timestamp();
            std::env::temp_dir().join(format!("keelson-demo-{stamp}-{}", std::process::id()))
        }
    };
    std::fs::create_dir_all(&folder).with_context(|| format!("{}", folder.display()))?;
    Ok(folder)
}

/// Steps the simulation to the wall clock once a second until the server
/// stops; a failed step is logged and the next one tried.
async fn run_fleet(mut simulation: Simulation) {
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reported = simulation.progress().clone();
    loop {
        ticks.tick().await;
        match simulation.step(OffsetDateTime::now_utc()).await {
            Ok(step) => tracing::debug!(
                events = step.events,
                accepted = step.totals.accepted,
                "demo step"
            ),
            Err(error) => tracing::warn!(%error, "demo step failed"),
        }
        let progress = simulation.progress();
        if *progress != reported {
            tracing::info!(case = ?progress.escalated_case, advisory = ?progress.advisory, "demo response moved on");
            reported = progress.clone();
        }
    }
}
