//! Security-test findings (SARIF 2.1.0) without HTTP: a report read into
//! findings of a build, stored once per fingerprint, and a case opened from a
//! stored finding (intake `security_test`). The API and `keelson findings
//! import` call these same functions.

use keelson_core::{BuildStatus, Principal, Severity, SlaPolicy, VulnerabilityId};
use keelson_exchange::sarif::{self, SarifResult};
use keelson_store::cases::{BuildAssessment, Intake, NewCase, Opened};
use keelson_store::security_findings::{NewSecurityFinding, SecurityFinding, SecurityImport};
use keelson_store::{Store, StoreError};

/// Why a report could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Not a SARIF 2.1.0 report Keelson can read; the reason names where.
    #[error(transparent)]
    Report(#[from] keelson_exchange::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads a SARIF report and stores its results on the build.
pub async fn import_sarif(
    store: &Store,
    actor: &str,
    build_id: &str,
    bytes: &[u8],
) -> Result<SecurityImport, ReportError> {
    let results = sarif::parse_sarif(bytes)?;
    let findings: Vec<NewSecurityFinding> = results.iter().map(new_finding).collect();
    Ok(store
        .import_security_findings(actor, build_id, &findings)
        .await?)
}

fn new_finding(result: &SarifResult) -> NewSecurityFinding {
    NewSecurityFinding {
        tool: result.tool.clone(),
        rule_id: result.rule_id.clone(),
        level: result.level.clone(),
        severity: severity(result),
        message: result.message.clone(),
        location: result.location.clone(),
        fingerprint: result.fingerprint.clone(),
    }
}

/// The rule's `security-severity` rated as CVSS rates a score; without one the
/// SARIF level (error high, warning medium, note low, none none).
pub fn severity(result: &SarifResult) -> Severity {
    match result.security_severity {
        Some(score) if score >= 9.0 => Severity::Critical,
        Some(score) if score >= 7.0 => Severity::High,
        Some(score) if score >= 4.0 => Severity::Medium,
        Some(score) if score > 0.0 => Severity::Low,
        Some(_) => Severity::None,
        None => match result.level.as_str() {
            "error" => Severity::High,
            "warning" => Severity::Medium,
            "note" => Severity::Low,
            _ => Severity::None,
        },
    }
}

/// Opens the case of a stored finding, or adds it to the open case that tracks its
/// vulnerability (a rule ID that is a CVE, GHSA or other `PREFIX-ID` names one).
/// The build is `under_investigation` on the case until someone decides.
pub async fn open_case(
    store: &Store,
    actor: &str,
    reader: &Principal,
    finding: &SecurityFinding,
    sla: &SlaPolicy,
) -> Result<Opened, StoreError> {
    let vulnerability_ids: Vec<VulnerabilityId> = finding.rule_id.parse().into_iter().collect();
    let first_line = finding.message.lines().next().unwrap_or_default();
    let mut title: String = format!("{}: {} {first_line}", finding.tool, finding.rule_id);
    title = title.trim().chars().take(300).collect();
    let new = NewCase {
        title,
        intake: Intake {
            kind: keelson_core::IntakeKind::SecurityTest,
            source: Some(format!("security-finding:{}", finding.id)),
        },
        vulnerability_ids,
        severity: finding.severity,
        owner: None,
        team: None,
        marking: keelson_core::Marking::new(keelson_core::Tlp::Amber),
        builds: vec![BuildAssessment {
            build_id: finding.build_id.clone(),
            status: BuildStatus::UnderInvestigation,
        }],
    };
    store.open_case(actor, reader, &new, sla).await
}
