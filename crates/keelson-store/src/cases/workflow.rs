//! Moving a case along its workflow and changing its fields. Each write is
//! conditional on the version the change was computed from, so two writers
//! that read the same case cannot both win; each appends its audit entry
//! with what changed.

use keelson_core::case::Transition;
use keelson_core::{CaseState, Marking, Severity, SlaPolicy, Team, VulnerabilityId};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait,
};
use serde::Serialize;
use serde_json::{Value, json};

use super::{
    Case, case_event, check_title, insert_vulnerabilities, open_cases_tracking, require_case,
    require_user, to_value,
};
use crate::audit;
use crate::entity::{case, case_vulnerability};
use crate::marking::MarkingColumns;
use crate::{Store, StoreError, now_us};

/// Field changes to a case; `None` leaves a field as it is. For `owner`
/// and `team`, `Some(None)` clears the field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseChanges {
    pub title: Option<String>,
    pub severity: Option<Severity>,
    pub owner: Option<Option<String>>,
    pub team: Option<Option<Team>>,
    pub vulnerability_ids: Option<Vec<VulnerabilityId>>,
    pub marking: Option<Marking>,
    /// A CVSS vector the caller has checked (canonical form); `Some(None)` clears it.
    pub cvss_vector: Option<Option<String>>,
}

/// One field's old and new value, as the history shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldChange {
    pub field: String,
    pub from: Value,
    pub to: Value,
}

impl FieldChange {
    fn new(field: &str, from: &impl Serialize, to: &impl Serialize) -> Self {
        Self {
            field: field.to_owned(),
            from: to_value(from),
            to: to_value(to),
        }
    }
}

impl Store {
    /// Moves a case to another state of its workflow; a move the workflow
    /// does not have is refused naming the allowed ones. A move to
    /// `duplicate` must name an existing case that is not itself a
    /// duplicate (so duplicates never form a cycle).
    pub async fn transition_case(
        &self,
        actor: &str,
        id: &str,
        transition: &Transition,
    ) -> Result<Case, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let before = require_case(&txn, id).await?;
        before.state.check_transition(transition.to)?;
        if let Some(original) = &transition.duplicate_of {
            check_original(&txn, id, original).await?;
        }

        let to = transition.to;
        let duplicate_of = transition.duplicate_of.clone();
        let after = bump(&txn, &before, |row| {
            row.state = Set(to.as_str().to_owned());
            row.duplicate_of = Set(duplicate_of);
            if !to.is_open() {
                row.finished_at_us = Set(Some(now_us()));
            }
        })
        .await?;

        let mut detail = json!({
            "from": before.state,
            "to": to,
            "reason": transition.reason,
        });
        if let Some(original) = &transition.duplicate_of {
            detail["duplicate_of"] = json!(original);
        }
        let event = case_event(actor, "case.transition", id, detail)
            .before(to_value(&before))
            .after(to_value(&after));
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(after)
    }

    /// Changes a case's fields; a changed severity moves the due date to
    /// receipt plus the new severity's SLA days. Nothing changed: nothing
    /// written, no audit entry.
    pub async fn update_case(
        &self,
        actor: &str,
        id: &str,
        changes: &CaseChanges,
        sla: &SlaPolicy,
    ) -> Result<Case, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        audit::lock_chain_head(&txn).await?;
        let row = case::Entity::find_by_id(id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("case {id}")))?;
        let before = require_case(&txn, id).await?;
        let plan = plan_changes(&before, changes);
        if plan.is_empty() {
            return Ok(before);
        }
        check_changes(&txn, &before, changes).await?;

        if let Some(ids) = &changes.vulnerability_ids {
            replace_vulnerabilities(&txn, id, ids).await?;
        }
        let due = changes
            .severity
            .map(|severity| sla.due_at_us(row.received_at_us, severity));
        let after = bump(&txn, &before, |active| apply(active, changes, due)).await?;

        let mut plan = plan;
        if before.due_at != after.due_at {
            plan.push(FieldChange::new("due_at", &before.due_at, &after.due_at));
        }
        let event = case_event(actor, "case.update", id, json!({"changes": plan}))
            .before(to_value(&before))
            .after(to_value(&after));
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(after)
    }
}

/// The original a duplicate names: another case, itself no duplicate.
async fn check_original(
    txn: &DatabaseTransaction,
    id: &str,
    original: &str,
) -> Result<(), StoreError> {
    if original == id {
        return Err(StoreError::invalid(
            "duplicate_of",
            "a case cannot duplicate itself",
        ));
    }
    let Some(target) = super::load_case(txn, original).await? else {
        let reason = format!("no case {original}");
        return Err(StoreError::invalid("duplicate_of", reason));
    };
    if let Some(first) = target
        .duplicate_of
        .filter(|_| target.state == CaseState::Duplicate)
    {
        let reason = format!("case {original} is itself a duplicate of {first}; name that case");
        return Err(StoreError::invalid("duplicate_of", reason));
    }
    Ok(())
}

/// The fields `changes` would really change, with old and new values.
fn plan_changes(before: &Case, changes: &CaseChanges) -> Vec<FieldChange> {
    let mut plan = Vec::new();
    if let Some(title) = changes.title.as_deref().map(str::trim)
        && title != before.title
    {
        plan.push(FieldChange::new("title", &before.title, &title));
    }
    if let Some(severity) = changes.severity.filter(|s| *s != before.severity) {
        plan.push(FieldChange::new("severity", &before.severity, &severity));
    }
    if let Some(owner) = changes.owner.as_ref().filter(|o| **o != before.owner) {
        plan.push(FieldChange::new("owner", &before.owner, owner));
    }
    if let Some(team) = changes.team.filter(|t| *t != before.team) {
        plan.push(FieldChange::new("team", &before.team, &team));
    }
    if let Some(ids) = &changes.vulnerability_ids {
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        if sorted != before.vulnerability_ids {
            plan.push(FieldChange::new(
                "vulnerability_ids",
                &before.vulnerability_ids,
                &sorted,
            ));
        }
    }
    if let Some(marking) = changes.marking.as_ref().filter(|m| **m != before.marking) {
        plan.push(FieldChange::new("marking", &before.marking, marking));
    }
    if let Some(vector) = changes
        .cvss_vector
        .as_ref()
        .filter(|v| **v != before.cvss_vector)
    {
        plan.push(FieldChange::new("cvss_vector", &before.cvss_vector, vector));
    }
    plan
}

async fn check_changes(
    txn: &DatabaseTransaction,
    before: &Case,
    changes: &CaseChanges,
) -> Result<(), StoreError> {
    if let Some(title) = &changes.title {
        check_title("title", title)?;
    }
    if let Some(Some(owner)) = &changes.owner {
        require_user(txn, "owner", Some(owner)).await?;
    }
    let Some(ids) = &changes.vulnerability_ids else {
        return Ok(());
    };
    if !before.state.is_open() {
        return Ok(());
    }
    let others = open_cases_tracking(txn, ids, Some(&before.id)).await?;
    if !others.is_empty() {
        return Err(StoreError::Refused(
            "another open case already tracks one of these vulnerability IDs; \
             close this case as its duplicate or add the builds there"
                .to_owned(),
        ));
    }
    Ok(())
}

async fn replace_vulnerabilities(
    txn: &DatabaseTransaction,
    case_id: &str,
    ids: &[VulnerabilityId],
) -> Result<(), StoreError> {
    case_vulnerability::Entity::delete_many()
        .filter(case_vulnerability::Column::CaseId.eq(case_id))
        .exec(txn)
        .await?;
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    insert_vulnerabilities(txn, case_id, &unique).await
}

fn apply(row: &mut case::ActiveModel, changes: &CaseChanges, due: Option<Option<i64>>) {
    if let Some(title) = &changes.title {
        row.title = Set(title.trim().to_owned());
    }
    if let Some(severity) = changes.severity {
        row.severity = Set(severity.as_str().to_owned());
    }
    if let Some(due) = due {
        row.due_at_us = Set(due);
    }
    if let Some(owner) = &changes.owner {
        row.owner = Set(owner.clone());
    }
    if let Some(team) = changes.team {
        row.team = Set(team.map(|team| team.as_str().to_owned()));
    }
    if let Some(vector) = &changes.cvss_vector {
        row.cvss_vector = Set(vector.clone());
    }
    if let Some(marking) = &changes.marking {
        let columns = MarkingColumns::from_marking(marking);
        row.tlp = Set(columns.tlp);
        row.shared_with_orgs = Set(columns.shared_with_orgs);
        row.named_readers = Set(columns.named_readers);
    }
}

/// Writes `change` to the case if it is still at the version `before` was
/// read at, raising the version; a case changed meanwhile is refused.
pub(crate) async fn bump(
    txn: &DatabaseTransaction,
    before: &Case,
    change: impl FnOnce(&mut case::ActiveModel),
) -> Result<Case, StoreError> {
    let mut row = case::ActiveModel::default();
    change(&mut row);
    row.version = Set(before.version + 1);
    row.updated_at_us = Set(now_us());
    let result = case::Entity::update_many()
        .set(row)
        .filter(case::Column::Id.eq(before.id.as_str()))
        .filter(case::Column::Version.eq(before.version))
        .exec(txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(StoreError::Stale {
            what: format!("case {}", before.id),
        });
    }
    require_case(txn, &before.id).await
}
