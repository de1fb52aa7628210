//! `keelson playbooks validate FILE|DIR` and `keelson playbooks import
//! FILE|DIR`: incident playbooks checked with the server's own reader
//! (`keelson_server::playbooks::parse`), one JSON line per file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use keelson_server::config::Config;
use keelson_server::playbooks::{parse, to_new_playbook};
use keelson_store::Store;
use keelson_store::playbooks::Saved;
use serde_json::{Value, json};

use super::{local_actor, open_store};

/// Prints one JSON line per file (`ok` with the playbook's ID, or `error`
/// with every problem and its line); exit 1 when any file has a problem.
pub fn validate(path: &Path) -> anyhow::Result<ExitCode> {
    let mut all_ok = true;
    for (name, file) in playbook_files(path)? {
        let line = match read(&file) {
            Ok((playbook, _)) => json!({"file": name, "status": "ok", "playbook": playbook.id,
                                       "version": playbook.version,
                                       "steps": playbook.steps.len()}),
            Err(problems) => {
                all_ok = false;
                json!({"file": name, "status": "error", "problems": problems})
            }
        };
        println!("{line}");
    }
    Ok(exit(all_ok))
}

/// Stores every playbook file: `created`, `replaced` or `unchanged`, or
/// `error` with the problems; running it again changes nothing.
pub async fn import(config: Config, path: &Path) -> anyhow::Result<ExitCode> {
    let files = playbook_files(path)?;
    let store = open_store(&config).await?;
    let actor = local_actor();
    let mut all_ok = true;
    for (name, file) in files {
        let line = match import_file(&store, &actor, &file).await {
            Ok((id, outcome)) => json!({"file": name, "playbook": id, "outcome": outcome}),
            Err(problems) => {
                all_ok = false;
                json!({"file": name, "outcome": "error", "problems": problems})
            }
        };
        println!("{line}");
    }
    store.close().await?;
    Ok(exit(all_ok))
}

async fn import_file(
    store: &Store,
    actor: &str,
    file: &Path,
) -> Result<(String, &'static str), Value> {
    let (playbook, source) = read(file)?;
    let saved = store
        .save_playbook(actor, &to_new_playbook(&playbook, &source))
        .await
        .map_err(|error| json!([{"line": 0, "reason": error.to_string()}]))?;
    let outcome = match saved {
        Saved::Created(_) => "created",
        Saved::Replaced(_) => "replaced",
        Saved::Unchanged(_) => "unchanged",
    };
    Ok((playbook.id, outcome))
}

/// The checked playbook and its text, or the problems as JSON.
fn read(file: &Path) -> Result<(keelson_server::playbooks::Playbook, String), Value> {
    let text = std::fs::read_to_string(file).map_err(
        |error| json!([{"line": 0, "reason": format!("cannot read the file: {error}")}]),
    )?;
    let playbook = parse(&text).map_err(|problems| json!(problems))?;
    Ok((playbook, text))
}

fn exit(all_ok: bool) -> ExitCode {
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The file itself, or every `.yml`/`.yaml` file under the folder (sorted),
/// each with the name reports give it.
fn playbook_files(path: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    if path.is_file() {
        return Ok(vec![(path.display().to_string(), path.to_path_buf())]);
    }
    let mut found = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder)
            .with_context(|| format!("cannot read playbooks in {}", folder.display()))?;
        for entry in entries {
            let file = entry?.path();
            if file.is_dir() {
                pending.push(file);
            } else if file
                .extension()
                .is_some_and(|extension| extension == "yml" || extension == "yaml")
            {
                let name = file
                    .strip_prefix(path)
                    .unwrap_or(&file)
                    .display()
                    .to_string();
                found.push((name, file));
            }
        }
    }
    found.sort();
    Ok(found)
}
