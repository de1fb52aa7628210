//! `keelson vex`: `convert` writes an OpenVEX file as OpenVEX, CycloneDX VEX or CSAF
//! VEX; `import` stores supplier VEX documents; `export` writes the VEX of one build.
//! Import and export go through `keelson_server::vex`, as the API does.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use keelson_core::{Marking, Tlp};
use keelson_exchange::vex::{self, CycloneDxVersion};
use keelson_server::config::Config;
use keelson_server::vex::{self as psirt, Publisher};
use keelson_store::Store;
use serde_json::json;

use super::{cases, local_actor, open_store, runtime};
use crate::cli::{ReaderOptions, VexCommand};

pub fn run(config: Config, command: VexCommand) -> anyhow::Result<ExitCode> {
    match command {
        VexCommand::Convert {
            file,
            to,
            namespace,
            tlp,
        } => convert(&file, &to, namespace, tlp.as_deref()),
        VexCommand::Import { files, tlp } => {
            let tlp = tlp.as_deref().map(str::parse::<Tlp>).transpose()?;
            runtime()?.block_on(import(&config, &files, tlp))
        }
        VexCommand::Export {
            build,
            format,
            reader,
        } => runtime()?.block_on(export(&config, &build, &format, &reader)),
    }
}

fn convert(
    path: &Path,
    to: &str,
    namespace: Option<String>,
    tlp: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let mut document = vex::parse_openvex(&bytes).with_context(|| format!("{}", path.display()))?;
    let output = match to {
        "openvex" => vex::to_openvex(&document),
        "cyclonedx" | "cyclonedx-1.6" => vex::to_cyclonedx(&document, CycloneDxVersion::V1_6),
        "cyclonedx-1.5" => vex::to_cyclonedx(&document, CycloneDxVersion::V1_5),
        "csaf" => {
            let Some(label) = tlp else {
                bail!("--to csaf needs --tlp: OpenVEX carries no TLP label to take it from");
            };
            document.tlp = label.parse::<Tlp>()?;
            document.author_namespace = namespace;
            vex::to_csaf(&document)?
        }
        other => bail!("--to {other:?}: expected openvex, cyclonedx, cyclonedx-1.5 or csaf"),
    };
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(ExitCode::SUCCESS)
}

/// One JSON line per file imported; a file that cannot be read or is not VEX is
/// named on stderr and makes the exit code 2, after the other files.
async fn import(config: &Config, files: &[PathBuf], tlp: Option<Tlp>) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let actor = local_actor();
    let mut failed = false;
    let mut stdout = std::io::stdout().lock();
    for file in files {
        match import_one(&store, &actor, file, tlp).await {
            Ok(line) => writeln!(stdout, "{line}")?,
            Err(error) => {
                eprintln!("{}: {error:#}", file.display());
                failed = true;
            }
        }
    }
    stdout.flush()?;
    store.close().await?;
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

async fn import_one(
    store: &Store,
    actor: &str,
    file: &Path,
    tlp: Option<Tlp>,
) -> anyhow::Result<serde_json::Value> {
    let bytes = std::fs::read(file)?;
    let imported = psirt::import(store, actor, &bytes, tlp.map(Marking::new)).await?;
    let mut line = serde_json::to_value(&imported)?;
    line["file"] = json!(file.display().to_string());
    Ok(line)
}

async fn export(
    config: &Config,
    build_id: &str,
    format: &str,
    options: &ReaderOptions,
) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let reader = cases::reader(&store, options).await?;
    let Some(build) = store
        .build(build_id)
        .await?
        .filter(|build| reader.may_read(&build.marking))
    else {
        bail!("build {build_id} not found");
    };
    let publisher = Publisher {
        name: config.csaf_publisher.clone(),
        namespace: config.csaf_namespace.clone(),
    };
    let kb = keelson_server::findings::knowledge_base(&store).await?;
    let (_, report) = keelson_server::findings::scan_build(&store, &kb, build_id).await?;
    let tlp = build.marking.tlp;
    let document =
        psirt::build_vex(&store, &reader, &publisher, build_id, tlp, &report.findings).await?;
    let output = psirt::write(&document, format)?;
    println!("{}", serde_json::to_string_pretty(&output)?);
    store.close().await?;
    Ok(ExitCode::SUCCESS)
}
