//! The work behind each command: build the configuration, open what the
//! command needs, call the library, print the result.

mod admin;
mod audit;
mod baseline;
mod cases;
mod csaf;
mod cvss;
mod demo;
mod detect;
mod findings;
mod fleet;
mod incidents;
mod ingest;
mod intel;
mod playbooks;
mod report;
mod rules;
mod sbom;
mod scan;
mod serve;
mod simulate;
mod suppliers;
mod tara;
mod vex;
mod vulndb;
mod webhooks;

use std::process::ExitCode;

use anyhow::Context;
use keelson_server::config::{Config, Layer};
use keelson_store::{Store, StoreLocation};

use crate::cli::{
    Cli, Command, ConfigCommand, GlobalOptions, MqttOptions, PlaybooksCommand, RulesCommand,
};

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let (listen, mqtt) = match &cli.command {
        Command::Serve { listen, mqtt } => (listen.clone(), mqtt.clone()),
        Command::Demo { listen, .. } => (listen.clone(), MqttOptions::default()),
        _ => (None, MqttOptions::default()),
    };
    let config = effective_config(&cli.global, listen, mqtt)?;
    match cli.command {
        Command::Cvss { vectors } => Ok(cvss::run(&vectors)),
        Command::Csaf(command) => csaf::run(config, command),
        Command::Vex(command) => vex::run(config, command),
        Command::Intel(command) => intel::run(config, command),
        Command::Config(ConfigCommand::Show) => {
            print!("{}", config.to_masked_toml());
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { .. } => runtime()?.block_on(serve::run(config)),
        Command::Demo { fleet, .. } => {
            let request = demo::Request {
                fleet,
                data_dir: cli.global.data_dir.clone(),
                database: cli.global.database.clone(),
            };
            runtime()?.block_on(demo::run(config, request))
        }
        Command::Simulate {
            fleet,
            mqtt,
            topic,
            http,
            token,
            duration,
            start,
        } => {
            let target = simulate::Target::from_flags(mqtt, topic, http, token)?;
            let request = simulate::Request {
                fleet,
                target,
                duration,
                start,
            };
            runtime()?.block_on(simulate::run(request))
        }
        Command::Admin(command) => runtime()?.block_on(admin::run(config, command)),
        Command::Audit(command) => runtime()?.block_on(audit::run(config, command)),
        Command::Ingest {
            files,
            vehicle,
            format,
            json,
        } => {
            let request = ingest::Request {
                files,
                vehicle,
                format,
                json,
            };
            runtime()?.block_on(ingest::run(config, request))
        }
        Command::Detect {
            files,
            rules,
            profile,
            dbc,
            format,
        } => detect::run(&files, rules.as_deref(), profile.as_deref(), &dbc, &format),
        Command::Baseline(command) => baseline::learn(command),
        Command::Eval {
            files,
            profile,
            format,
        } => baseline::eval(&files, &profile, &format),
        Command::Rules(RulesCommand::Validate { dir }) => rules::validate(&dir),
        Command::Rules(RulesCommand::Import { dir }) => {
            runtime()?.block_on(rules::import(config, &dir))
        }
        Command::Playbooks(PlaybooksCommand::Validate { path }) => playbooks::validate(&path),
        Command::Playbooks(PlaybooksCommand::Import { path }) => {
            runtime()?.block_on(playbooks::import(config, &path))
        }
        Command::Fleet(command) => runtime()?.block_on(fleet::run(config, command)),
        Command::Sbom(command) => runtime()?.block_on(sbom::run(config, command)),
        Command::Scan {
            sbom,
            format,
            fail_on,
            suppliers,
            prohibited_countries,
            fail_on_origin,
        } => {
            let request = scan::Request {
                sbom,
                format,
                fail_on,
                suppliers,
                prohibited_countries,
                fail_on_origin,
            };
            runtime()?.block_on(scan::run(config, request))
        }
        Command::Suppliers(command) => runtime()?.block_on(suppliers::run(config, command)),
        Command::Vulndb(command) => runtime()?.block_on(vulndb::run(config, command)),
        Command::Quarantine(command) => runtime()?.block_on(ingest::quarantine(config, command)),
        Command::Retention(command) => runtime()?.block_on(ingest::retention(config, command)),
        Command::Cases(command) => runtime()?.block_on(cases::run(config, command)),
        Command::Findings(command) => runtime()?.block_on(findings::run(config, command)),
        Command::Incidents(command) => runtime()?.block_on(incidents::run(config, command)),
        Command::Evidence(command) => incidents::verify(command),
        Command::Report(command) => runtime()?.block_on(report::run(config, command)),
        Command::Tara(command) => runtime()?.block_on(tara::run(config, command)),
        Command::Webhooks(command) => runtime()?.block_on(webhooks::run(config, command)),
    }
}

/// Defaults, then the config file, then `KEELSON_*`, then flags.
fn effective_config(
    global: &GlobalOptions,
    listen: Option<String>,
    mqtt: MqttOptions,
) -> anyhow::Result<Config> {
    let mut layers = Vec::new();
    let file = global
        .config
        .clone()
        .or_else(|| std::env::var_os("KEELSON_CONFIG").map(Into::into));
    if let Some(path) = file {
        layers.push(Layer::from_file(&path)?);
    }
    layers.push(Layer::from_env(std::env::vars())?);
    let flags = Layer {
        listen: listen
            .map(|text| text.parse())
            .transpose()
            .context("--listen")?,
        data_dir: global.data_dir.clone(),
        database: global.database.clone(),
        log_level: global.log_level.clone(),
        log_format: global
            .log_format
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|error: String| anyhow::anyhow!("--log-format: {error}"))?,
        mqtt_url: mqtt.mqtt_url,
        mqtt_topic: mqtt.mqtt_topic,
        mqtt_client_id: mqtt.mqtt_client_id,
        mqtt_embedded_listen: mqtt
            .mqtt_embedded_listen
            .map(|text| text.parse())
            .transpose()
            .context("--mqtt-embedded-listen")?,
        ..Layer::default()
    };
    layers.push(flags);
    let config = Config::from_layers(layers);
    keelson_server::logging::init(config.log_format, &config.log_level);
    Ok(config)
}

pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Opens the store the configuration names.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let location = StoreLocation::from_options(config.database.as_deref(), &config.data_dir);
    Store::open(&location)
        .await
        .with_context(|| format!("cannot open the store at {}", location.describe()))
}

/// Who the audit log names for changes made from the command line.
pub fn local_actor() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "local".to_owned());
    format!("cli:{user}")
}
