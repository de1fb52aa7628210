//! Retention: events older than their source's retention period are
//! deleted, except those an alert cites as evidence. One run is one
//! transaction with one audit entry carrying the counts per source.

use sea_orm::sea_query::{Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait};
use serde::Serialize;

use crate::audit::{self, AuditEvent};
use crate::entity::{alert_event, event};
use crate::{Store, StoreError, format_us};

/// Delete the events of `source` received before `cutoff_us`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionRule {
    pub source: String,
    pub cutoff_us: i64,
}

/// What one rule removed and what it kept because an alert cites it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RetentionCount {
    pub source: String,
    /// Events received before this time were candidates.
    pub cutoff: String,
    pub deleted: u64,
    /// Candidates kept because an alert cites them.
    pub kept_cited: u64,
}

/// The dedup keys of the events any alert cites: the one query retention
/// exempts.
pub fn events_cited_by_alerts() -> SelectStatement {
    Query::select()
        .column(alert_event::Column::EventKey)
        .from(alert_event::Entity)
        .to_owned()
}

impl Store {
    /// Applies every rule in one transaction, audited once as
    /// `telemetry.retention` with the counts.
    pub async fn apply_retention(
        &self,
        actor: &str,
        rules: &[RetentionRule],
    ) -> Result<Vec<RetentionCount>, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let mut counts = Vec::with_capacity(rules.len());
        for rule in rules {
            counts.push(apply_rule(&txn, rule).await?);
        }
        let deleted: u64 = counts.iter().map(|count| count.deleted).sum();
        let entry = AuditEvent::new(actor, "telemetry.retention", "events", "retention")
            .after(serde_json::json!(counts))
            .detail(format!("{deleted} deleted"));
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(counts)
    }
}

async fn apply_rule(
    txn: &sea_orm::DatabaseTransaction,
    rule: &RetentionRule,
) -> Result<RetentionCount, StoreError> {
    let expired = Condition::all()
        .add(event::Column::Source.eq(rule.source.as_str()))
        .add(event::Column::ReceivedTimeUs.lt(rule.cutoff_us));
    let cited_rows = expired
        .clone()
        .add(event::Column::DedupKey.in_subquery(events_cited_by_alerts()));
    let kept_cited = event::Entity::find().filter(cited_rows).count(txn).await?;
    let deletable = expired.add(event::Column::DedupKey.not_in_subquery(events_cited_by_alerts()));
    let result = event::Entity::delete_many()
        .filter(deletable)
        .exec(txn)
        .await?;
    Ok(RetentionCount {
        source: rule.source.clone(),
        cutoff: format_us(rule.cutoff_us),
        deleted: result.rows_affected,
        kept_cited,
    })
}
