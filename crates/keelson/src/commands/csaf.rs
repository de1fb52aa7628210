//! `keelson csaf validate`: the CSAF 2.0 schema and mandatory tests, one JSON line
//! per file. `keelson csaf export`: a case's security advisory, previewed, as
//! published, or published anew through `keelson_server::advisory` (as the API).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use keelson_server::advisory;
use keelson_server::config::Config;
use keelson_server::vex::Publisher;
use keelson_server::webhooks::Notifier;
use keelson_store::Store;
use keelson_store::cases::Case;
use serde_json::{Value, json};

use super::{cases, local_actor, open_store, runtime};
use crate::cli::{CsafCommand, ReaderOptions};

pub fn run(config: Config, command: CsafCommand) -> anyhow::Result<ExitCode> {
    match command {
        CsafCommand::Validate { files } => Ok(validate(&files)),
        CsafCommand::Export {
            case,
            output,
            revision,
            publish,
            summary,
            reader,
        } => {
            let wanted = match (publish, summary) {
                (true, Some(summary)) => Wanted::Publish(summary),
                _ => revision.map_or(Wanted::Preview, Wanted::Revision),
            };
            let document = runtime()?.block_on(export(&config, &case, wanted, &reader))?;
            write_out(&document, output.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Which document `export` answers.
enum Wanted {
    Preview,
    Revision(i64),
    Publish(String),
}

async fn export(
    config: &Config,
    case_id: &str,
    wanted: Wanted,
    options: &ReaderOptions,
) -> anyhow::Result<Value> {
    let store = open_store(config).await?;
    let reader = cases::reader(&store, options).await?;
    let Some(case) = store
        .case(case_id)
        .await?
        .filter(|case| reader.may_read(&case.marking))
    else {
        bail!("case {case_id} not found");
    };
    let publisher = Publisher {
        name: config.csaf_publisher.clone(),
        namespace: config.csaf_namespace.clone(),
    };
    let document = match wanted {
        Wanted::Preview => {
            let weaknesses = weaknesses(&store, &case).await?;
            advisory::preview_case_advisory(&store, &reader, &publisher, &case, &weaknesses).await?
        }
        Wanted::Revision(number) => {
            let revisions = store.case_advisories(case_id).await?;
            let found = revisions.into_iter().find(|r| r.revision == number);
            found
                .with_context(|| format!("case {case_id} has no revision {number}"))?
                .document
        }
        Wanted::Publish(summary) => {
            let actor = local_actor();
            let notifier = Notifier::from_config(store.clone(), config);
            let detector = keelson_server::detection::Detector::for_command(config);
            let weaknesses = weaknesses(&store, &case).await?;
            let revision = advisory::publish_case_advisory(
                &store,
                &notifier,
                &detector,
                &actor,
                &reader,
                &publisher,
                &case,
                &weaknesses,
                &summary,
            )
            .await?;
            // The command ends once every webhook delivery, retries included,
            // has its outcome recorded.
            notifier.flush().await;
            revision.document
        }
    };
    store.close().await?;
    Ok(document)
}

/// The CWEs of the case's vulnerabilities, from the stored feeds.
async fn weaknesses(store: &Store, case: &Case) -> anyhow::Result<advisory::Weaknesses> {
    let knowledge = keelson_server::findings::knowledge_base(store).await?;
    Ok(advisory::Weaknesses::of(&knowledge, case))
}

fn write_out(document: &Value, output: Option<&Path>) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(document)?;
    match output {
        Some(path) => std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display())),
        None => {
            println!("{text}");
            Ok(())
        }
    }
}

/// Prints `{"file", "valid", "errors": [{"test", "path", "message"}]}` per file.
/// Exit 2 when a file cannot be read (the others are still checked), else 1 when
/// any document is invalid (bytes that are not JSON count as invalid).
fn validate(files: &[PathBuf]) -> ExitCode {
    let mut unreadable = false;
    let mut all_valid = true;
    for path in files {
        let file = path.display().to_string();
        let line = match std::fs::read(path) {
            Ok(bytes) => {
                let verdict = keelson_exchange::csaf::validate(&bytes);
                all_valid &= verdict.valid;
                json!({ "file": file, "valid": verdict.valid, "errors": verdict.errors })
            }
            Err(error) => {
                unreadable = true;
                let reason = format!("cannot read: {error}");
                let errors = [json!({ "test": "input", "path": "", "message": reason })];
                json!({ "file": file, "valid": false, "errors": errors })
            }
        };
        println!("{line}");
    }
    if unreadable {
        ExitCode::from(2)
    } else if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
