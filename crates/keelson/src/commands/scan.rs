//! `keelson scan SBOM`: the offline scanner for pipelines. Matches one
//! document against the knowledge base imported with `keelson vulndb
//! import` and prints findings with their evidence as JSON, a table or
//! SARIF 2.1.0; `--fail-on` turns findings into a failing exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use keelson_core::Severity;
use keelson_server::config::Config;
use keelson_server::findings;
use keelson_vulndb::{Finding, MatchReport};
use serde_json::{Value, json};

use super::open_store;
use super::sbom::read_sbom;

/// The `scan` command's arguments.
pub struct Request {
    pub sbom: PathBuf,
    pub format: String,
    pub fail_on: Option<String>,
}

pub async fn run(config: Config, request: Request) -> anyhow::Result<ExitCode> {
    let fail_on = request
        .fail_on
        .as_deref()
        .map(str::parse::<Severity>)
        .transpose()
        .map_err(|error| anyhow::anyhow!("--fail-on: {error}"))?;
    if !["json", "table", "sarif"].contains(&request.format.as_str()) {
        bail!("--format {:?}: use json, table or sarif", request.format);
    }
    let bytes =
        std::fs::read(&request.sbom).with_context(|| format!("{}", request.sbom.display()))?;
    let sbom = read_sbom(&request.sbom, &bytes)?;

    let store = open_store(&config).await?;
    let kb = findings::knowledge_base(&store).await?;
    store.close().await?;
    if kb.is_empty() {
        eprintln!("the knowledge base is empty: import feeds with `keelson vulndb import`");
    }
    let report = findings::scan_sbom(&kb, &sbom);

    match request.format.as_str() {
        "table" => print_table(&report),
        "sarif" => println!("{}", sarif(&report, &request.sbom.display().to_string())),
        _ => println!("{}", serde_json::to_string(&report)?),
    }
    let failing = fail_on.is_some_and(|threshold| {
        report
            .findings
            .iter()
            .any(|finding| may_reach(finding, threshold))
    });
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Whether a finding may be at least `threshold`: an unscored finding may
/// be anything, so it counts (a gate must not pass on missing data).
fn may_reach(finding: &Finding, threshold: Severity) -> bool {
    finding
        .severity
        .is_none_or(|severity| severity >= threshold)
}

fn severity_text(finding: &Finding) -> &'static str {
    finding.severity.map_or("unscored", Severity::as_str)
}

fn print_table(report: &MatchReport) {
    println!(
        "{:<20} {:<9} {:<30} {:<16} EVIDENCE",
        "VULNERABILITY", "SEVERITY", "COMPONENT", "VERSION"
    );
    for finding in &report.findings {
        println!(
            "{:<20} {:<9} {:<30} {:<16} {}",
            finding.vulnerability,
            severity_text(finding),
            finding.name,
            finding.version,
            finding.evidence.reason
        );
    }
    for warning in &report.warnings {
        eprintln!("warning: {}: {}", warning.component, warning.message);
    }
}

/// SARIF 2.1.0: one rule per vulnerability, one result per finding, located
/// at the SBOM file with the component as a logical location.
fn sarif(report: &MatchReport, sbom_path: &str) -> Value {
    let mut rule_ids: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.vulnerability.as_str())
        .collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| json!({"id": id, "name": id}))
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| sarif_result(finding, sbom_path))
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "keelson",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

fn sarif_result(finding: &Finding, sbom_path: &str) -> Value {
    let level = match finding.severity {
        Some(Severity::Critical | Severity::High) => "error",
        Some(Severity::Medium) => "warning",
        _ => "note",
    };
    let text = format!(
        "{} {} is affected by {}: {}",
        finding.name, finding.version, finding.vulnerability, finding.evidence.reason
    );
    json!({
        "ruleId": finding.vulnerability,
        "level": level,
        "message": {"text": text},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": sbom_path}},
            "logicalLocations": [{"name": finding.component, "kind": "module"}],
        }],
        "properties": {"severity": severity_text(finding), "evidence": finding.evidence},
    })
}
