//! A case's history, read back from the audit log: every entry on the case
//! in chain order, with the JSON detail its writer recorded (transitions
//! with from, to and reason; field changes, CVSS vector included; build
//! statuses; comments and tasks; VEX statements that reached the case;
//! advisory revisions). Nothing else keeps it, so the history is exactly what the
//! tamper-evident chain holds.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde_json::Value;

use super::CASE_OBJECT;
use crate::entity::audit_entry;
use crate::{Store, StoreError, format_us};

/// Entries read per query while collecting a history.
const PAGE: u64 = 1_000;

/// One change of a case, as the audit log recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// The entry's place in the audit chain.
    pub seq: i64,
    pub at: String,
    pub actor: String,
    /// `case.create`, `case.intake`, `case.transition`, `case.update`,
    /// `case.build_status`, `case.comment`, `case.task.create`, `case.task.update`,
    /// `case.vex` (VEX statements imported about the case's vulnerabilities),
    /// `case.advisory` (a published advisory revision, with the rules it wrote),
    /// `case.risk`, `case.indicator.create`, `case.remediation.milestone`,
    /// `case.control.withdraw`, `case.monitoring` (a generated rule switched, with
    /// the reason); a CVSS change is a `case.update` with the field `cvss_vector`.
    pub action: String,
    /// What changed; the shape depends on the action.
    pub detail: Value,
}

impl Store {
    /// Every audit entry of the case, oldest first.
    pub async fn case_history(&self, case_id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut entries = Vec::new();
        let mut after_seq = 0_i64;
        loop {
            let page = audit_entry::Entity::find()
                .filter(audit_entry::Column::ObjectType.eq(CASE_OBJECT))
                .filter(audit_entry::Column::ObjectId.eq(case_id))
                .filter(audit_entry::Column::Seq.gt(after_seq))
                .order_by_asc(audit_entry::Column::Seq)
                .limit(PAGE)
                .all(self.connection())
                .await?;
            let Some(last) = page.last() else {
                return Ok(entries);
            };
            after_seq = last.seq;
            entries.extend(page.into_iter().map(history_entry));
        }
    }
}

/// A detail that is not JSON (none is written so) is shown as its text.
fn history_entry(row: audit_entry::Model) -> HistoryEntry {
    let detail = match row.detail {
        Some(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        None => Value::Null,
    };
    HistoryEntry {
        seq: row.seq,
        at: format_us(row.at_us),
        actor: row.actor,
        action: row.action,
        detail,
    }
}
