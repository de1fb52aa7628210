//! `keelson sbom validate` and `keelson sbom import --build|--hardware-part`
//! (which announces the critical and KEV findings the document adds to the
//! webhook subscribers, as the API does).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use keelson_sbom::{Format, Sbom};
use keelson_server::config::Config;
use keelson_server::finding_events::FindingEvents;
use keelson_server::findings::{self, FindingsCache};
use keelson_server::webhooks::Notifier;
use keelson_store::sboms::{Attached, Subject};
use keelson_store::{Store, StoreError};
use serde_json::json;

use super::open_store;
use crate::cli::SbomCommand;

pub async fn run(config: Config, command: SbomCommand) -> anyhow::Result<ExitCode> {
    match command {
        SbomCommand::Validate { files } => validate(&files),
        SbomCommand::Import {
            file,
            build,
            hardware_part,
        } => {
            let subject = match (build, hardware_part) {
                (Some(build), _) => Subject::Build(build),
                (None, Some(part)) => Subject::HardwarePart(part),
                (None, None) => anyhow::bail!("name a --build or a --hardware-part"),
            };
            import(config, &file, subject).await
        }
    }
}

/// Prints `{"file", "valid", "problems": [{"at", "message", "schema_path"}]}`
/// per file.
fn validate(files: &[std::path::PathBuf]) -> anyhow::Result<ExitCode> {
    let mut all_valid = true;
    for path in files {
        let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
        let problems = keelson_sbom::validate(&bytes);
        all_valid &= problems.is_empty();
        let line = json!({
            "file": path.display().to_string(),
            "valid": problems.is_empty(),
            "problems": problems,
        });
        println!("{line}");
    }
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Reads the document (refusing one that does not import), attaches it to
/// the build or hardware part and prints `{"build" or "hardware_part",
/// "format", "components", "dependencies", "already_attached"}`.
async fn import(config: Config, path: &Path, subject: Subject) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let sbom = read_sbom(path, &bytes)?;
    let store = open_store(&config).await?;
    let attached = attach_and_announce(&config, &store, &sbom, bytes, &subject).await;
    store.close().await?;
    let attached = attached.with_context(|| format!("cannot attach to {}", subject.describe()))?;
    let mut summary = json!({
        "format": format_name(&sbom.format),
        "components": sbom.components.len(),
        "dependencies": sbom.dependencies.len(),
        "already_attached": matches!(attached, Attached::Already(_)),
    });
    let (key, id) = match subject {
        Subject::Build(id) => ("build", id),
        Subject::HardwarePart(part) => ("hardware_part", part),
    };
    summary[key] = json!(id);
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}

/// Attaches the document and tells the webhook subscribers of the critical
/// and KEV findings it adds, as the API does; returns once every delivery,
/// retries included, has its outcome recorded.
async fn attach_and_announce(
    config: &Config,
    store: &Store,
    sbom: &Sbom,
    bytes: Vec<u8>,
    subject: &Subject,
) -> Result<Attached, StoreError> {
    let notifier = Notifier::from_config(store.clone(), config);
    let cache = FindingsCache::default();
    let events = FindingEvents {
        store,
        cache: &cache,
        notifier: &notifier,
    };
    let before = events.before_attaching(subject).await?;
    let new = findings::new_sbom(subject.clone(), sbom, bytes);
    let attached = store.attach_sbom(&super::local_actor(), new).await?;
    if matches!(attached, Attached::New(_)) {
        events.announce_new(&before).await?;
        notifier.flush().await;
    }
    Ok(attached)
}

/// The component graph of a document, or an error naming the file, the
/// place and the reason.
pub fn read_sbom(path: &Path, bytes: &[u8]) -> anyhow::Result<Sbom> {
    keelson_sbom::import(bytes).with_context(|| format!("{}", path.display()))
}

/// Such as `CycloneDX 1.6 JSON` or `SPDX 2.3 tag-value`.
pub fn format_name(format: &Format) -> String {
    findings::format_name(format)
}
