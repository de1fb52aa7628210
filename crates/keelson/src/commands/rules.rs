//! `keelson rules validate DIR` and reading a folder of Sigma rules.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use keelson_detect::{RuleReport, RuleSet, RuleStatus, load_rules};

use crate::cli::RulesCommand;

/// Prints one JSON line per rule; exit 1 when any rule is not `ok`.
pub fn run(command: RulesCommand) -> anyhow::Result<ExitCode> {
    let RulesCommand::Validate { dir } = command;
    let (_, reports) = load_rule_dir(&dir)?;
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
