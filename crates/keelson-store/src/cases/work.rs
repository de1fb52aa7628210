//! The work on a case: comments, tasks and the vulnerability's status in
//! each build. Each change is audited on the case, so the case's history
//! shows it; a comment's text stays in its table (the entry names it).

use std::collections::BTreeMap;

use keelson_core::BuildStatus;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, TransactionTrait,
};
use serde::Serialize;
use serde_json::json;

use super::workflow::FieldChange;
use super::{
    Case, case_event, cases_from_rows, check_title, require_build, require_case, require_user,
    to_value,
};
use crate::audit;
use crate::entity::{case, case_build, case_comment, case_task};
use crate::{IN_CHUNK, Store, StoreError, format_us, new_id, now_us};

/// The status of a case's vulnerability in one build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CaseBuild {
    pub build_id: String,
    pub status: BuildStatus,
    pub updated_by: String,
    pub updated_at: String,
}

/// A comment on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Comment {
    pub id: String,
    pub author: String,
    pub body: String,
    pub created_at: String,
}

/// A task of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Task {
    pub id: String,
    pub title: String,
    /// A user name.
    pub assignee: Option<String>,
    pub done: bool,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Changes to a task; `None` leaves a field, `assignee: Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskChanges {
    pub title: Option<String>,
    pub assignee: Option<Option<String>>,
    pub done: Option<bool>,
}

/// What setting a build's status did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusOutcome {
    /// The build was not on the case before.
    Added,
    Changed,
    /// The build already had this status; nothing was written.
    Unchanged,
}

impl Store {
    /// Sets the vulnerability's status in one build of the inventory,
    /// adding the build to the case if it is not there yet.
    pub async fn set_build_status(
        &self,
        actor: &str,
        case_id: &str,
        build_id: &str,
        status: BuildStatus,
        reason: Option<&str>,
    ) -> Result<(StatusOutcome, CaseBuild), StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        require_case(&txn, case_id).await?;
        require_build(&txn, build_id).await?;
        let key = (case_id.to_owned(), build_id.to_owned());
        let current = case_build::Entity::find_by_id(key).one(&txn).await?;
        if let Some(same) = current.as_ref().filter(|row| row.status == status.as_str()) {
            return Ok((StatusOutcome::Unchanged, build_from_row(same.clone())?));
        }
        let before = current.as_ref().map(|row| row.status.clone());

        let row = case_build::Model {
            case_id: case_id.to_owned(),
            build_id: build_id.to_owned(),
            status: status.as_str().to_owned(),
            updated_by: actor.to_owned(),
            updated_at_us: now_us(),
        };
        let outcome = match current {
            Some(current) => {
                let mut active = current.into_active_model();
                active.status = Set(row.status.clone());
                active.updated_by = Set(row.updated_by.clone());
                active.updated_at_us = Set(row.updated_at_us);
                case_build::Entity::update(active).exec(&txn).await?;
                StatusOutcome::Changed
            }
            None => {
                case_build::Entity::insert(row.clone().into_active_model())
                    .exec_without_returning(&txn)
                    .await?;
                StatusOutcome::Added
            }
        };
        let detail = json!({"build_id": build_id, "from": before, "to": status, "reason": reason});
        let event = case_event(actor, "case.build_status", case_id, detail);
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok((outcome, build_from_row(row)?))
    }

    /// The builds a case concerns, by build ID.
    pub async fn case_builds(&self, case_id: &str) -> Result<Vec<CaseBuild>, StoreError> {
        builds_of(self.connection(), case_id).await
    }

    /// Every case that gives one of `build_ids` a status, with the statuses
    /// it gives them (by build ID): what a portfolio of many builds needs,
    /// read in a few queries rather than two per build.
    pub async fn cases_concerning_builds(
        &self,
        build_ids: &[String],
    ) -> Result<Vec<(Case, Vec<CaseBuild>)>, StoreError> {
        let db = self.connection();
        let mut statuses: BTreeMap<String, Vec<CaseBuild>> = BTreeMap::new();
        for chunk in build_ids.chunks(IN_CHUNK) {
            let rows = case_build::Entity::find()
                .filter(case_build::Column::BuildId.is_in(chunk.iter().map(String::as_str)))
                .order_by_asc(case_build::Column::BuildId)
                .all(db)
                .await?;
            for row in rows {
                let case_id = row.case_id.clone();
                statuses
                    .entry(case_id)
                    .or_default()
                    .push(build_from_row(row)?);
            }
        }

        let case_ids: Vec<&str> = statuses.keys().map(String::as_str).collect();
        let mut rows = Vec::with_capacity(case_ids.len());
        for chunk in case_ids.chunks(IN_CHUNK) {
            let found = case::Entity::find()
                .filter(case::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?;
            rows.extend(found);
        }
        let cases = cases_from_rows(db, rows).await?;
        Ok(cases
            .into_iter()
            .map(|case| {
                let builds = statuses.remove(&case.id).unwrap_or_default();
                (case, builds)
            })
            .collect())
    }

    /// Adds a comment; its text must not be blank.
    pub async fn add_comment(
        &self,
        actor: &str,
        case_id: &str,
        body: &str,
    ) -> Result<Comment, StoreError> {
        if body.trim().is_empty() {
            return Err(StoreError::invalid("body", "must not be empty"));
        }
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        require_case(&txn, case_id).await?;
        let row = case_comment::Model {
            id: new_id(),
            case_id: case_id.to_owned(),
            author: actor.to_owned(),
            body: body.to_owned(),
            created_at_us: now_us(),
        };
        case_comment::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&txn)
            .await?;
        let comment = comment_from_row(row);
        let detail = json!({"comment_id": comment.id});
        let event = case_event(actor, "case.comment", case_id, detail).after(to_value(&comment));
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(comment)
    }

    /// A case's comments, oldest first.
    pub async fn case_comments(&self, case_id: &str) -> Result<Vec<Comment>, StoreError> {
        let rows = case_comment::Entity::find()
            .filter(case_comment::Column::CaseId.eq(case_id))
            .order_by_asc(case_comment::Column::CreatedAtUs)
            .order_by_asc(case_comment::Column::Id)
            .all(self.connection())
            .await?;
        Ok(rows.into_iter().map(comment_from_row).collect())
    }

    /// Adds a task, open, optionally assigned to a user.
    pub async fn add_task(
        &self,
        actor: &str,
        case_id: &str,
        title: &str,
        assignee: Option<&str>,
    ) -> Result<Task, StoreError> {
        check_title("title", title)?;
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        require_case(&txn, case_id).await?;
        require_user(&txn, "assignee", assignee).await?;
        let now = now_us();
        let row = case_task::Model {
            id: new_id(),
            case_id: case_id.to_owned(),
            title: title.trim().to_owned(),
            assignee: assignee.map(str::to_owned),
            done: false,
            created_by: actor.to_owned(),
            created_at_us: now,
            updated_at_us: now,
        };
        case_task::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&txn)
            .await?;
        let task = task_from_row(row);
        let detail = json!({"task_id": task.id, "title": task.title, "assignee": task.assignee});
        let event = case_event(actor, "case.task.create", case_id, detail).after(to_value(&task));
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(task)
    }

    /// Changes a task's title, assignee or done flag.
    pub async fn update_task(
        &self,
        actor: &str,
        case_id: &str,
        task_id: &str,
        changes: &TaskChanges,
    ) -> Result<Task, StoreError> {
        if let Some(title) = &changes.title {
            check_title("title", title)?;
        }
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let row = case_task::Entity::find_by_id(task_id.to_owned())
            .one(&txn)
            .await?
            .filter(|row| row.case_id == case_id)
            .ok_or_else(|| StoreError::not_found(format!("task {task_id} of case {case_id}")))?;
        if let Some(Some(assignee)) = &changes.assignee {
            require_user(&txn, "assignee", Some(assignee)).await?;
        }
        let before = task_from_row(row.clone());
        let plan = plan_task(&before, changes);
        if plan.is_empty() {
            return Ok(before);
        }

        let mut active = row.into_active_model();
        if let Some(title) = &changes.title {
            active.title = Set(title.trim().to_owned());
        }
        if let Some(assignee) = &changes.assignee {
            active.assignee = Set(assignee.clone());
        }
        if let Some(done) = changes.done {
            active.done = Set(done);
        }
        active.updated_at_us = Set(now_us());
        let task = task_from_row(case_task::Entity::update(active).exec(&txn).await?);
        let detail = json!({"task_id": task_id, "changes": plan});
        let event = case_event(actor, "case.task.update", case_id, detail)
            .before(to_value(&before))
            .after(to_value(&task));
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(task)
    }

    /// A case's tasks, oldest first.
    pub async fn case_tasks(&self, case_id: &str) -> Result<Vec<Task>, StoreError> {
        let rows = case_task::Entity::find()
            .filter(case_task::Column::CaseId.eq(case_id))
            .order_by_asc(case_task::Column::CreatedAtUs)
            .order_by_asc(case_task::Column::Id)
            .all(self.connection())
            .await?;
        Ok(rows.into_iter().map(task_from_row).collect())
    }
}

fn plan_task(before: &Task, changes: &TaskChanges) -> Vec<FieldChange> {
    let mut plan = Vec::new();
    if let Some(title) = changes.title.as_deref().map(str::trim)
        && title != before.title
    {
        plan.push(FieldChange {
            field: "title".to_owned(),
            from: to_value(&before.title),
            to: to_value(&title),
        });
    }
    if let Some(assignee) = changes.assignee.as_ref().filter(|a| **a != before.assignee) {
        plan.push(FieldChange {
            field: "assignee".to_owned(),
            from: to_value(&before.assignee),
            to: to_value(assignee),
        });
    }
    if let Some(done) = changes.done.filter(|done| *done != before.done) {
        plan.push(FieldChange {
            field: "done".to_owned(),
            from: to_value(&before.done),
            to: to_value(&done),
        });
    }
    plan
}

pub(crate) async fn builds_of(
    db: &impl ConnectionTrait,
    case_id: &str,
) -> Result<Vec<CaseBuild>, StoreError> {
    let rows = case_build::Entity::find()
        .filter(case_build::Column::CaseId.eq(case_id))
        .order_by_asc(case_build::Column::BuildId)
        .all(db)
        .await?;
    rows.into_iter().map(build_from_row).collect()
}

fn build_from_row(row: case_build::Model) -> Result<CaseBuild, StoreError> {
    let status = row.status.parse().map_err(|error| {
        StoreError::Corrupt(format!(
            "case {} build {}: {error}",
            row.case_id, row.build_id
        ))
    })?;
    Ok(CaseBuild {
        build_id: row.build_id,
        status,
        updated_by: row.updated_by,
        updated_at: format_us(row.updated_at_us),
    })
}

fn comment_from_row(row: case_comment::Model) -> Comment {
    Comment {
        id: row.id,
        author: row.author,
        body: row.body,
        created_at: format_us(row.created_at_us),
    }
}

fn task_from_row(row: case_task::Model) -> Task {
    Task {
        id: row.id,
        title: row.title,
        assignee: row.assignee,
        done: row.done,
        created_by: row.created_by,
        created_at: format_us(row.created_at_us),
        updated_at: format_us(row.updated_at_us),
    }
}
