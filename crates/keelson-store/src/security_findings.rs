//! Findings of security tests (SARIF results) attached to a build. A result is
//! kept once per build and fingerprint (the SHA-256 of the tool's fingerprint,
//! so an index can hold it on either database), so importing the same report
//! again, or a later report with the same result, adds nothing. Each import
//! appends one `security_findings.import` audit entry on the build.

use keelson_core::Severity;
use sea_orm::{
    ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit::{self, AuditEvent};
use crate::cases::require_build;
use crate::entity::security_finding;
use crate::fleet::BUILD_OBJECT;
use crate::{Store, StoreError, format_us, new_id, now_us};

/// One result to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSecurityFinding {
    pub tool: String,
    pub rule_id: String,
    pub level: String,
    pub severity: Severity,
    pub message: String,
    pub location: Option<String>,
    /// The tool's fingerprint text; stored as its SHA-256.
    pub fingerprint: String,
}

/// A stored result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SecurityFinding {
    pub id: String,
    pub build_id: String,
    pub tool: String,
    pub rule_id: String,
    pub level: String,
    pub severity: Severity,
    pub message: String,
    pub location: Option<String>,
    pub fingerprint: String,
    pub imported_by: String,
    pub imported_at: String,
}

/// What an import did: the findings it stored (new ones) and how many it had seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecurityImport {
    pub stored: Vec<SecurityFinding>,
    pub duplicates: u64,
}

impl Store {
    /// Stores the results of one report on an existing build; results already
    /// kept for the build (same fingerprint) are counted as duplicates.
    pub async fn import_security_findings(
        &self,
        actor: &str,
        build_id: &str,
        findings: &[NewSecurityFinding],
    ) -> Result<SecurityImport, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        require_build(&txn, build_id).await?;
        let known: Vec<String> = security_finding::Entity::find()
            .filter(security_finding::Column::BuildId.eq(build_id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|row| row.fingerprint)
            .collect();

        let now = now_us();
        let mut seen = known;
        let mut stored = Vec::new();
        for finding in findings {
            let fingerprint = hex::encode(Sha256::digest(finding.fingerprint.as_bytes()));
            if seen.contains(&fingerprint) {
                continue;
            }
            seen.push(fingerprint.clone());
            let row = row_of(actor, build_id, finding, fingerprint, now);
            security_finding::Entity::insert(row.clone().into_active_model())
                .exec_without_returning(&txn)
                .await?;
            stored.push(finding_from_row(row)?);
        }
        let duplicates = (findings.len() - stored.len()) as u64;
        let detail = json!({ "stored": stored.len(), "duplicates": duplicates });
        let event = AuditEvent::new(actor, "security_findings.import", BUILD_OBJECT, build_id)
            .detail(detail.to_string());
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(SecurityImport { stored, duplicates })
    }

    /// The security-test findings of a build, oldest first.
    pub async fn security_findings(
        &self,
        build_id: &str,
    ) -> Result<Vec<SecurityFinding>, StoreError> {
        let rows = security_finding::Entity::find()
            .filter(security_finding::Column::BuildId.eq(build_id))
            .order_by_asc(security_finding::Column::ImportedAtUs)
            .order_by_asc(security_finding::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(finding_from_row).collect()
    }
}

fn row_of(
    actor: &str,
    build_id: &str,
    finding: &NewSecurityFinding,
    fingerprint: String,
    now: i64,
) -> security_finding::Model {
    security_finding::Model {
        id: new_id(),
        build_id: build_id.to_owned(),
        tool: finding.tool.clone(),
        rule_id: finding.rule_id.clone(),
        level: finding.level.clone(),
        severity: finding.severity.as_str().to_owned(),
        message: finding.message.clone(),
        location: finding.location.clone(),
        fingerprint,
        imported_by: actor.to_owned(),
        imported_at_us: now,
    }
}

fn finding_from_row(row: security_finding::Model) -> Result<SecurityFinding, StoreError> {
    let severity = row
        .severity
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("security finding {}: {e}", row.id)))?;
    Ok(SecurityFinding {
        severity,
        imported_at: format_us(row.imported_at_us),
        id: row.id,
        build_id: row.build_id,
        tool: row.tool,
        rule_id: row.rule_id,
        level: row.level,
        message: row.message,
        location: row.location,
        fingerprint: row.fingerprint,
        imported_by: row.imported_by,
    })
}
