//! `keelson rules validate DIR`, `keelson rules import DIR` and reading a
//! folder of Sigma rules.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use keelson_detect::{RuleReport, RuleSet, RuleStatus, load_rules};

use keelson_server::config::Config;
use keelson_server::detection::rules::{RuleInput, prepare, sigma_status, status_from_sigma};
use keelson_store::Store;
use keelson_store::rules::RuleScope;
use serde_json::json;

use super::{local_actor, open_store};

/// Prints one JSON line per rule; exit 1 when any rule is not `ok`.
pub fn validate(dir: &Path) -> anyhow::Result<ExitCode> {
    let (_, reports) = load_rule_dir(dir)?;
    let mut all_ok = true;
    for report in &reports {
        all_ok &= report.status == RuleStatus::Ok;
        println!("{}", serde_json::to_string(report)?);
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Stores every rule file under `dir`, one record per file, idempotent by
/// the record's ID and the text's digest. A new rule's status follows its
/// Sigma `status` (`stable` active, `deprecated`/`unsupported` retired,
/// else test); an updated one keeps its stored status.
pub async fn import(config: Config, dir: &Path) -> anyhow::Result<ExitCode> {
    let files =
        rule_files(dir).with_context(|| format!("cannot read rules in {}", dir.display()))?;
    let store = open_store(&config).await?;
    let actor = local_actor();
    let mut all_ok = true;
    for file in files {
        let name = file
            .strip_prefix(dir)
            .unwrap_or(&file)
            .display()
            .to_string();
        let line = match import_file(&store, &actor, &file).await {
            Ok((rule, outcome)) => json!({"file": name, "rule": rule, "outcome": outcome}),
            Err(reason) => {
                all_ok = false;
                json!({"file": name, "outcome": "error", "reason": reason})
            }
        };
        println!("{line}");
    }
    store.close().await?;
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One file into the store: the rule's ID and what happened, or why not.
async fn import_file(
    store: &Store,
    actor: &str,
    file: &Path,
) -> Result<(String, keelson_store::rules::Imported), String> {
    let sigma = std::fs::read_to_string(file).map_err(|error| error.to_string())?;
    let status = status_from_sigma(sigma_status(&sigma).as_deref());
    let input = RuleInput {
        sigma,
        title: None,
        status: Some(status),
        scope: RuleScope::default(),
        valid_until: None,
        marking: keelson_core::tlp::default_marking(),
    };
    let new = prepare(input).map_err(|rejection| rejection.to_string())?;
    let outcome = store
        .import_rule(actor, &new)
        .await
        .map_err(|error| error.to_string())?;
    Ok((new.id, outcome))
}

/// Loads every `.yml`/`.yaml` file under `dir`; a file that cannot be
/// read as UTF-8 text is reported as an error like a broken rule.
pub fn load_rule_dir(dir: &Path) -> anyhow::Result<(RuleSet, Vec<RuleReport>)> {
    let files =
        rule_files(dir).with_context(|| format!("cannot read rules in {}", dir.display()))?;
    let mut sources = Vec::with_capacity(files.len());
    let mut unreadable = Vec::new();
    for file in files {
        let name = file
            .strip_prefix(dir)
            .unwrap_or(&file)
            .display()
            .to_string();
        match std::fs::read_to_string(&file) {
            Ok(text) => sources.push((name, text)),
            Err(error) => unreadable.push((name, error.to_string())),
        }
    }
    let (rules, mut reports) = load_rules(&sources);
    for (name, reason) in unreadable {
        reports.push(RuleReport {
            source: name,
            rule: String::new(),
            status: RuleStatus::Error { reason },
            line: 0,
        });
    }
    Ok((rules, reports))
}

/// Rule files under `dir`, sorted so reports come in a stable order.
fn rule_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if is_rule_file(&path) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn is_rule_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "yml" || extension == "yaml")
}
