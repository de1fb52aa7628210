//! `keelson scan SBOM`: the offline scanner for pipelines. Matches one
//! document against the knowledge base imported with `keelson vulndb
//! import` and prints findings with their evidence as JSON, a table or
//! SARIF 2.1.0; `--fail-on` turns findings into a failing exit code. When
//! countries of origin are prohibited (config or `--prohibited-countries`),
//! components whose supplier is in one are listed too (JSON `origin`, table
//! lines, SARIF results of rule `prohibited-supplier-country`), and
//! `--fail-on-origin` fails on them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use keelson_core::Severity;
use keelson_sbom::origin::{OriginPolicy, OriginViolation, SupplierRegister, origins};
use keelson_server::config::Config;
use keelson_server::findings;
use keelson_server::origin;
use keelson_vulndb::{Finding, MatchReport};
use serde::Serialize;
use serde_json::{Value, json};

use super::open_store;
use super::sbom::read_sbom;

/// The `scan` command's arguments.
pub struct Request {
    pub sbom: PathBuf,
    pub format: String,
    pub fail_on: Option<String>,
    pub suppliers: Option<PathBuf>,
    pub prohibited_countries: Option<Vec<String>>,
    pub fail_on_origin: bool,
}

/// What the origin policy flagged, when one is set.
#[derive(Serialize)]
struct OriginCheck {
    prohibited_countries: Vec<String>,
    prohibited: Vec<OriginViolation>,
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
    let policy = match &request.prohibited_countries {
        Some(given) => OriginPolicy::new(given.iter().map(String::as_str))
            .map_err(|error| anyhow::anyhow!("--prohibited-countries: {error}"))?,
        None => config.prohibited_supplier_countries.policy(),
    };
    let bytes =
        std::fs::read(&request.sbom).with_context(|| format!("{}", request.sbom.display()))?;
    let sbom = read_sbom(&request.sbom, &bytes)?;

    let store = open_store(&config).await?;
    let kb = findings::knowledge_base(&store).await?;
    let register = match &request.suppliers {
        Some(path) => read_register(path)?,
        None => origin::stored_register(&store).await?,
    };
    store.close().await?;
    if kb.is_empty() {
        eprintln!("the knowledge base is empty: import feeds with `keelson vulndb import`");
    }
    let report = findings::scan_sbom(&kb, &sbom);
    let origin_check = (!policy.is_empty()).then(|| OriginCheck {
        prohibited_countries: policy.countries().map(str::to_owned).collect(),
        prohibited: policy.violations(&origins(&sbom, &register)),
    });

    let path = request.sbom.display().to_string();
    match request.format.as_str() {
        "table" => print_table(&report, origin_check.as_ref()),
        "sarif" => println!("{}", sarif(&report, origin_check.as_ref(), &path)),
        _ => {
            let mut output = serde_json::to_value(&report)?;
            if let Some(check) = &origin_check {
                output["origin"] = serde_json::to_value(check)?;
            }
            println!("{output}");
        }
    }
    let failing_severity = fail_on.is_some_and(|threshold| {
        report
            .findings
            .iter()
            .any(|finding| may_reach(finding, threshold))
    });
    let failing_origin = request.fail_on_origin
        && origin_check
            .as_ref()
            .is_some_and(|check| !check.prohibited.is_empty());
    Ok(if failing_severity || failing_origin {
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

/// A register file, or an error naming each refused row.
fn read_register(path: &Path) -> anyhow::Result<SupplierRegister> {
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    SupplierRegister::from_csv(&bytes).map_err(|problems| {
        let lines: Vec<String> = problems
            .iter()
            .map(|p| format!("{}:{}: {}", path.display(), p.line, p.message))
            .collect();
        anyhow::anyhow!("supplier register refused:\n{}", lines.join("\n"))
    })
}

fn print_table(report: &MatchReport, origin_check: Option<&OriginCheck>) {
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
    for violation in origin_check.iter().flat_map(|check| &check.prohibited) {
        println!(
            "{:<20} {:<9} {:<30} {:<16} {}",
            ORIGIN_RULE, "policy", violation.name, "", violation.evidence
        );
    }
    for warning in &report.warnings {
        eprintln!("warning: {}: {}", warning.component, warning.message);
    }
}

/// The SARIF rule and table label of a prohibited supplier country.
const ORIGIN_RULE: &str = "prohibited-supplier-country";

/// SARIF 2.1.0: one rule per vulnerability, one result per finding, located
/// at the SBOM file with the component as a logical location.
fn sarif(report: &MatchReport, origin_check: Option<&OriginCheck>, sbom_path: &str) -> Value {
    let mut rule_ids: Vec<&str> = report
        .findings
        .iter()
        .map(|f| f.vulnerability.as_str())
        .collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let violations: Vec<&OriginViolation> = origin_check
        .iter()
        .flat_map(|check| &check.prohibited)
        .collect();
    if !violations.is_empty() {
        rule_ids.push(ORIGIN_RULE);
    }
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| json!({"id": id, "name": id}))
        .collect();
    let mut results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| sarif_result(finding, sbom_path))
        .collect();
    results.extend(violations.iter().map(|v| sarif_origin_result(v, sbom_path)));
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

fn sarif_origin_result(violation: &OriginViolation, sbom_path: &str) -> Value {
    json!({
        "ruleId": ORIGIN_RULE,
        "level": "error",
        "message": {"text": violation.evidence},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": sbom_path}},
            "logicalLocations": [{"name": violation.component, "kind": "module"}],
        }],
        "properties": {"supplier": violation.supplier, "countries": violation.countries},
    })
}
