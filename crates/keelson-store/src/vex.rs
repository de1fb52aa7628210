//! VEX statements at rest: the statements of an imported document (a supplier's
//! OpenVEX, CycloneDX VEX or CSAF VEX), one row per (vulnerability, product,
//! component), with the document, who imported it, when, and its TLP marking.
//!
//! The store keeps what the document said and never widens it: a row names one
//! product (a canonical purl or `urn:keelson:build:ID`) and at most one component
//! of it. Deciding which findings a row applies to is the caller's (the rule is
//! `keelson_exchange::vex::Statement::applies_to`).
//!
//! Importing appends a `vex.import` audit entry and, on every open case that tracks
//! one of the statements' vulnerabilities, a `case.vex` entry naming them, so a
//! case's history shows the VEX that reached it.

use std::collections::{BTreeMap, BTreeSet};

use keelson_core::{Marked, Marking, VulnerabilityId};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
    TransactionTrait,
};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, AuditEvent};
use crate::cases::{case_event, open_cases_tracking};
use crate::entity::vex_statement;
use crate::marking::{MarkingColumns, marking_from_columns};
use crate::{IN_CHUNK, Store, StoreError, format_us, new_id, now_us};

/// The audit object type of an import.
pub const VEX_OBJECT: &str = "vex";

/// One statement to store, its product and component already normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVexStatement {
    pub vulnerability_id: String,
    pub aliases: Vec<String>,
    /// A canonical purl or `urn:keelson:build:ID`.
    pub product: String,
    /// A canonical purl, or `None` for the product whole.
    pub component: Option<String>,
    /// `not_affected`, `affected`, `fixed` or `under_investigation`.
    pub status: String,
    pub justification: Option<String>,
    pub impact: Option<String>,
    pub action: Option<String>,
    pub stated_at_us: Option<i64>,
}

/// A document's statements to store together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVexImport {
    pub sha256: String,
    pub document_id: String,
    pub format: String,
    pub author: String,
    pub marking: Marking,
    pub statements: Vec<NewVexStatement>,
}

/// A stored statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VexStatementRecord {
    pub id: String,
    pub import_id: String,
    pub document_id: String,
    pub format: String,
    pub author: String,
    pub vulnerability_id: String,
    pub aliases: Vec<String>,
    pub product: String,
    pub component: Option<String>,
    pub status: String,
    pub justification: Option<String>,
    pub impact_statement: Option<String>,
    pub action_statement: Option<String>,
    pub stated_at: Option<String>,
    pub imported_by: String,
    pub imported_at: String,
    pub marking: Marking,
    /// Store order: later imports supersede earlier ones.
    #[serde(skip)]
    pub imported_at_us: i64,
}

impl Marked for VexStatementRecord {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VexImported {
    pub import_id: String,
    /// Rows stored (0 when the same bytes were imported before).
    pub statements: u64,
    /// The same document (by SHA-256) was already stored.
    pub already_imported: bool,
    /// Open cases whose history now shows the statements.
    pub cases: Vec<String>,
}

impl Store {
    /// Stores a document's statements with one `vex.import` audit entry, and a
    /// `case.vex` entry on each open case tracking one of their vulnerabilities.
    /// The same bytes again store nothing.
    pub async fn import_vex(
        &self,
        actor: &str,
        import: &NewVexImport,
    ) -> Result<VexImported, StoreError> {
        check_import(import)?;
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        audit::lock_chain_head(&txn).await?;
        if let Some(known) = import_of_digest(&txn, &import.sha256).await? {
            return Ok(VexImported {
                import_id: known,
                statements: 0,
                already_imported: true,
                cases: Vec::new(),
            });
        }

        let import_id = new_id();
        let now = now_us();
        insert_statements(&txn, actor, &import_id, import, now).await?;
        let detail = json!({
            "document_id": import.document_id,
            "format": import.format,
            "author": import.author,
            "statements": import.statements.len(),
        });
        let event =
            AuditEvent::new(actor, "vex.import", VEX_OBJECT, &import_id).detail(detail.to_string());
        audit::append(&txn, event).await?;
        let cases = note_on_cases(&txn, actor, &import_id, import).await?;
        txn.commit().await?;
        Ok(VexImported {
            import_id,
            statements: import.statements.len() as u64,
            already_imported: false,
            cases,
        })
    }

    /// The stored statements about any of `products` (canonical purls or build
    /// URNs), oldest import first.
    pub async fn vex_statements_about(
        &self,
        products: &[String],
    ) -> Result<Vec<VexStatementRecord>, StoreError> {
        let unique: BTreeSet<&str> = products.iter().map(String::as_str).collect();
        let unique: Vec<&str> = unique.into_iter().collect();
        let mut rows = Vec::new();
        for chunk in unique.chunks(IN_CHUNK) {
            let found = vex_statement::Entity::find()
                .filter(vex_statement::Column::Product.is_in(chunk.iter().copied()))
                .all(self.connection())
                .await?;
            rows.extend(found);
        }
        rows.sort_by(|a, b| (a.imported_at_us, &a.id).cmp(&(b.imported_at_us, &b.id)));
        rows.into_iter().map(record_from_row).collect()
    }
}

fn check_import(import: &NewVexImport) -> Result<(), StoreError> {
    const STATUSES: &[&str] = &["not_affected", "affected", "fixed", "under_investigation"];
    for (i, statement) in import.statements.iter().enumerate() {
        if !STATUSES.contains(&statement.status.as_str()) {
            let reason = format!("unknown status {:?}", statement.status);
            return Err(StoreError::invalid(
                format!("statements[{i}].status"),
                reason,
            ));
        }
        if statement.product.trim().is_empty() || statement.vulnerability_id.trim().is_empty() {
            let reason = "names no product or no vulnerability";
            return Err(StoreError::invalid(format!("statements[{i}]"), reason));
        }
    }
    Ok(())
}

async fn import_of_digest(
    txn: &DatabaseTransaction,
    sha256: &str,
) -> Result<Option<String>, StoreError> {
    let row = vex_statement::Entity::find()
        .filter(vex_statement::Column::Sha256.eq(sha256))
        .limit(1)
        .one(txn)
        .await?;
    Ok(row.map(|row| row.import_id))
}

async fn insert_statements(
    txn: &DatabaseTransaction,
    actor: &str,
    import_id: &str,
    import: &NewVexImport,
    now: i64,
) -> Result<(), StoreError> {
    let marking = MarkingColumns::from_marking(&import.marking);
    for statement in &import.statements {
        let row = vex_statement::Model {
            id: new_id(),
            import_id: import_id.to_owned(),
            sha256: import.sha256.clone(),
            document_id: import.document_id.clone(),
            format: import.format.clone(),
            author: import.author.clone(),
            vulnerability_id: statement.vulnerability_id.clone(),
            aliases: serde_json::to_string(&statement.aliases).unwrap_or_else(|_| "[]".into()),
            product: statement.product.clone(),
            component: statement.component.clone(),
            status: statement.status.clone(),
            justification: statement.justification.clone(),
            impact: statement.impact.clone(),
            action: statement.action.clone(),
            stated_at_us: statement.stated_at_us,
            imported_by: actor.to_owned(),
            imported_at_us: now,
            tlp: marking.tlp.clone(),
            shared_with_orgs: marking.shared_with_orgs.clone(),
            named_readers: marking.named_readers.clone(),
        };
        vex_statement::Entity::insert(row.into_active_model())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Appends `case.vex` on every open case tracking a statement's vulnerability (by
/// its ID or an alias), naming the statements that concern it.
async fn note_on_cases(
    txn: &DatabaseTransaction,
    actor: &str,
    import_id: &str,
    import: &NewVexImport,
) -> Result<Vec<String>, StoreError> {
    let mut per_case: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for statement in &import.statements {
        let ids: Vec<VulnerabilityId> = std::iter::once(&statement.vulnerability_id)
            .chain(&statement.aliases)
            .filter_map(|id| id.parse().ok())
            .collect();
        for case in open_cases_tracking(txn, &ids, None).await? {
            per_case.entry(case.id).or_default().push(json!({
                "vulnerability": statement.vulnerability_id,
                "product": statement.product,
                "component": statement.component,
                "status": statement.status,
                "justification": statement.justification,
            }));
        }
    }
    for (case_id, statements) in &per_case {
        let detail = json!({
            "import_id": import_id,
            "document_id": import.document_id,
            "author": import.author,
            "statements": statements,
        });
        audit::append(txn, case_event(actor, "case.vex", case_id, detail)).await?;
    }
    Ok(per_case.into_keys().collect())
}

fn record_from_row(row: vex_statement::Model) -> Result<VexStatementRecord, StoreError> {
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("vex {}: {e}", row.id));
    let aliases = serde_json::from_str(&row.aliases).map_err(corrupt)?;
    Ok(VexStatementRecord {
        marking: marking_from_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)?,
        aliases,
        stated_at: row.stated_at_us.map(format_us),
        imported_at: format_us(row.imported_at_us),
        imported_at_us: row.imported_at_us,
        id: row.id,
        import_id: row.import_id,
        document_id: row.document_id,
        format: row.format,
        author: row.author,
        vulnerability_id: row.vulnerability_id,
        product: row.product,
        component: row.component,
        status: row.status,
        justification: row.justification,
        impact_statement: row.impact,
        action_statement: row.action,
        imported_by: row.imported_by,
    })
}
