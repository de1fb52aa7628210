//! The published revisions of a case's CSAF security advisory. Each publication
//! is a new revision (1, 2, ...) kept whole as published, with a `case.advisory`
//! entry in the case's history. A revision computed from an older history (another
//! publication came first) is refused, so revision numbers never repeat or skip.
//!
//! The detection rules the caller generated from the case's indicators for the
//! revision are created (or updated under their IDs, never duplicated) in the same
//! transaction: a revision is never published without its rules, nor the reverse.

use sea_orm::{
    ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::Serialize;
use serde_json::{Value, json};

use super::{case_event, require_case};
use crate::audit;
use crate::entity::case_advisory;
use crate::rules::{NewRule, put_generated_rule};
use crate::{Store, StoreError, format_us};

/// A revision about to be published, its document already written for it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRevision {
    /// One more than the revisions published so far.
    pub revision: i64,
    pub tracking_id: String,
    /// What changed, as the revision history says.
    pub summary: String,
    pub document: Value,
    /// The time the document gives as this revision's date.
    pub published_at_us: i64,
    /// The detection rules generated for the revision (the caller sets each
    /// rule's case, status and scope).
    pub rules: Vec<NewRule>,
}

/// A published revision.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AdvisoryRevision {
    pub case_id: String,
    pub revision: i64,
    pub tracking_id: String,
    pub summary: String,
    pub published_by: String,
    pub published_at: String,
    /// The CSAF document as published.
    #[schema(value_type = Object)]
    pub document: Value,
}

impl Store {
    /// The published revisions of a case's advisory, oldest first.
    pub async fn case_advisories(
        &self,
        case_id: &str,
    ) -> Result<Vec<AdvisoryRevision>, StoreError> {
        let rows = case_advisory::Entity::find()
            .filter(case_advisory::Column::CaseId.eq(case_id))
            .order_by_asc(case_advisory::Column::Revision)
            .all(self.connection())
            .await?;
        rows.into_iter().map(revision_from_row).collect()
    }

    /// Stores a new revision of the case's advisory with its `case.advisory`
    /// history entry. A revision number other than the next one is refused as
    /// stale: the document was written from an older revision history.
    pub async fn publish_case_advisory(
        &self,
        actor: &str,
        case_id: &str,
        new: NewRevision,
    ) -> Result<AdvisoryRevision, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        audit::lock_chain_head(&txn).await?;
        require_case(&txn, case_id).await?;
        let published = case_advisory::Entity::find()
            .filter(case_advisory::Column::CaseId.eq(case_id))
            .all(&txn)
            .await?
            .len() as i64;
        if new.revision != published + 1 {
            return Err(StoreError::Stale {
                what: format!("the advisory of case {case_id}"),
            });
        }

        let row = case_advisory::Model {
            case_id: case_id.to_owned(),
            revision: new.revision,
            tracking_id: new.tracking_id.clone(),
            summary: new.summary.clone(),
            document: new.document.to_string(),
            published_by: actor.to_owned(),
            published_at_us: new.published_at_us,
        };
        case_advisory::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&txn)
            .await
            .map_err(|error| StoreError::from_insert(error, "advisory revision"))?;
        let reason = format!("advisory {} revision {}", new.tracking_id, new.revision);
        let mut rules = Vec::new();
        for rule in &new.rules {
            let (outcome, stored) = put_generated_rule(&txn, actor, rule, &reason).await?;
            rules.push(json!({"rule_id": stored.id, "outcome": outcome}));
        }
        let detail = json!({
            "revision": new.revision,
            "tracking_id": new.tracking_id,
            "summary": new.summary,
            "rules": rules,
        });
        audit::append(&txn, case_event(actor, "case.advisory", case_id, detail)).await?;
        txn.commit().await?;
        revision_from_row(row)
    }
}

fn revision_from_row(row: case_advisory::Model) -> Result<AdvisoryRevision, StoreError> {
    let document = serde_json::from_str(&row.document).map_err(|error| {
        StoreError::Corrupt(format!("advisory of case {}: {error}", row.case_id))
    })?;
    Ok(AdvisoryRevision {
        published_at: format_us(row.published_at_us),
        case_id: row.case_id,
        revision: row.revision,
        tracking_id: row.tracking_id,
        summary: row.summary,
        published_by: row.published_by,
        document,
    })
}
