//! A case's remediation packages (fixes, verification per platform,
//! roll-out phases), the roll-out milestones each package reached, and
//! compensating controls (withdrawn before their expiry day, or not). A
//! package's plan is checked by `keelson-core` and each software fix must
//! name a build of the inventory; every change is audited on the case.

use keelson_core::remediation::{CompensatingControl, RemediationPlan, RolloutPhase};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, TransactionTrait,
};
use serde::Serialize;
use serde_json::json;

use super::{case_event, require_build, require_case, require_user, to_value};
use crate::audit;
use crate::entity::{compensating_control, remediation_milestone, remediation_package};
use crate::{Store, StoreError, format_us, new_id, now_us};

/// A stored remediation package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RemediationPackage {
    pub id: String,
    pub case_id: String,
    #[serde(flatten)]
    pub plan: RemediationPlan,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
}

/// A stored compensating control; `expired` is worked out on reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Control {
    pub id: String,
    #[serde(flatten)]
    pub control: CompensatingControl,
    /// The expiry day has passed (UTC).
    pub expired: bool,
    pub created_by: String,
    pub created_at: String,
    /// Set once the control was withdrawn.
    pub withdrawn: Option<Withdrawal>,
}

impl Control {
    /// Relied on: neither expired nor withdrawn.
    pub fn in_force(&self) -> bool {
        !self.expired && self.withdrawn.is_none()
    }
}

/// Who withdrew a control, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Withdrawal {
    pub by: String,
    pub at: String,
    pub reason: String,
}

/// A roll-out phase a package reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Milestone {
    pub package_id: String,
    pub case_id: String,
    pub phase: RolloutPhase,
    pub note: Option<String>,
    pub recorded_by: String,
    pub reached_at: String,
}

impl Store {
    /// Adds a remediation package to a case.
    pub async fn add_remediation(
        &self,
        actor: &str,
        case_id: &str,
        plan: &RemediationPlan,
    ) -> Result<RemediationPackage, StoreError> {
        check_plan(plan)?;
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        require_case(&txn, case_id).await?;
        require_fixed_builds(&txn, plan).await?;
        let now = now_us();
        let row = remediation_package::Model {
            id: new_id(),
            case_id: case_id.to_owned(),
            plan: to_value(plan).to_string(),
            created_by: actor.to_owned(),
            created_at_us: now,
            updated_by: actor.to_owned(),
            updated_at_us: now,
        };
        remediation_package::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&txn)
            .await?;
        let package = package_from_row(row)?;
        let detail = json!({"package_id": package.id, "title": package.plan.title});
        let event =
            case_event(actor, "case.remediation.create", case_id, detail).after(to_value(&package));
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(package)
    }

    /// Replaces a package's plan; the same plan again writes nothing.
    pub async fn update_remediation(
        &self,
        actor: &str,
        case_id: &str,
        package_id: &str,
        plan: &RemediationPlan,
    ) -> Result<RemediationPackage, StoreError> {
        check_plan(plan)?;
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let row = remediation_package::Entity::find_by_id(package_id.to_owned())
            .one(&txn)
            .await?
            .filter(|row| row.case_id == case_id)
            .ok_or_else(|| {
                StoreError::not_found(format!(
                    "remediation package {package_id} of case {case_id}"
                ))
            })?;
        let before = package_from_row(row.clone())?;
        if &before.plan == plan {
            return Ok(before);
        }
        require_fixed_builds(&txn, plan).await?;

        let mut active = row.into_active_model();
        active.plan = Set(to_value(plan).to_string());
        active.updated_by = Set(actor.to_owned());
        active.updated_at_us = Set(now_us());
        let updated = remediation_package::Entity::update(active)
            .exec(&txn)
            .await?;
        let package = package_from_row(updated)?;
        let detail = json!({"package_id": package_id});
        let event = case_event(actor, "case.remediation.update", case_id, detail)
            .before(to_value(&before))
            .after(to_value(&package));
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(package)
    }

    /// A case's remediation packages, oldest first.
    pub async fn case_remediations(
        &self,
        case_id: &str,
    ) -> Result<Vec<RemediationPackage>, StoreError> {
        let rows = remediation_package::Entity::find()
            .filter(remediation_package::Column::CaseId.eq(case_id))
            .order_by_asc(remediation_package::Column::CreatedAtUs)
            .order_by_asc(remediation_package::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(package_from_row).collect()
    }

    /// Adds a compensating control; its owner must be a user.
    pub async fn add_control(
        &self,
        actor: &str,
        case_id: &str,
        control: &CompensatingControl,
    ) -> Result<Control, StoreError> {
        control
            .check()
            .map_err(|error| StoreError::invalid(error.field, error.reason))?;
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        require_case(&txn, case_id).await?;
        require_user(&txn, "owner", Some(&control.owner)).await?;
        let row = compensating_control::Model {
            id: new_id(),
            case_id: case_id.to_owned(),
            owner: control.owner.clone(),
            description: control.description.clone(),
            expires_on: control.expires_on.clone(),
            created_by: actor.to_owned(),
            created_at_us: now_us(),
            withdrawn_at_us: None,
            withdrawn_by: None,
            withdraw_reason: None,
        };
        compensating_control::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&txn)
            .await?;
        let stored = control_from_row(row, &today());
        let detail = json!({"control_id": stored.id, "owner": control.owner,
                            "expires_on": control.expires_on});
        let event =
            case_event(actor, "case.control.create", case_id, detail).after(to_value(&stored));
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(stored)
    }

    /// A case's compensating controls, oldest first, `expired` as of `today`
    /// (`YYYY-MM-DD`; [`today`] for the current UTC date).
    pub async fn case_controls(
        &self,
        case_id: &str,
        today: &str,
    ) -> Result<Vec<Control>, StoreError> {
        let rows = compensating_control::Entity::find()
            .filter(compensating_control::Column::CaseId.eq(case_id))
            .order_by_asc(compensating_control::Column::CreatedAtUs)
            .order_by_asc(compensating_control::Column::Id)
            .all(self.connection())
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| control_from_row(row, today))
            .collect())
    }
}

impl Store {
    /// Withdraws a control before its expiry day, with the reason; a control
    /// already withdrawn is a conflict.
    pub async fn withdraw_control(
        &self,
        actor: &str,
        case_id: &str,
        control_id: &str,
        reason: &str,
    ) -> Result<Control, StoreError> {
        if reason.trim().is_empty() {
            return Err(StoreError::invalid("reason", "must not be empty"));
        }
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let row = compensating_control::Entity::find_by_id(control_id.to_owned())
            .one(&txn)
            .await?
            .filter(|row| row.case_id == case_id)
            .ok_or_else(|| {
                StoreError::not_found(format!(
                    "compensating control {control_id} of case {case_id}"
                ))
            })?;
        if row.withdrawn_at_us.is_some() {
            let why = format!("compensating control {control_id} is already withdrawn");
            return Err(StoreError::Refused(why));
        }
        let before = control_from_row(row.clone(), &today());
        let mut change = row.into_active_model();
        change.withdrawn_at_us = Set(Some(now_us()));
        change.withdrawn_by = Set(Some(actor.to_owned()));
        change.withdraw_reason = Set(Some(reason.to_owned()));
        let row = compensating_control::Entity::update(change)
            .exec(&txn)
            .await?;
        let stored = control_from_row(row, &today());
        let detail = json!({"control_id": control_id, "reason": reason});
        let event = case_event(actor, "case.control.withdraw", case_id, detail)
            .before(to_value(&before))
            .after(to_value(&stored));
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(stored)
    }

    /// Records that a package reached a roll-out phase; each phase once per
    /// package (again is a conflict).
    pub async fn record_milestone(
        &self,
        actor: &str,
        case_id: &str,
        package_id: &str,
        phase: RolloutPhase,
        note: Option<&str>,
    ) -> Result<Milestone, StoreError> {
        if note.is_some_and(|text| text.chars().count() > 2_000) {
            return Err(StoreError::invalid("note", "longer than 2000 characters"));
        }
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        remediation_package::Entity::find_by_id(package_id.to_owned())
            .one(&txn)
            .await?
            .filter(|row| row.case_id == case_id)
            .ok_or_else(|| {
                StoreError::not_found(format!(
                    "remediation package {package_id} of case {case_id}"
                ))
            })?;
        let row = remediation_milestone::Model {
            package_id: package_id.to_owned(),
            phase: phase.as_str().to_owned(),
            case_id: case_id.to_owned(),
            note: note.map(str::to_owned),
            recorded_by: actor.to_owned(),
            reached_at_us: now_us(),
        };
        remediation_milestone::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&txn)
            .await
            .map_err(|error| {
                let what = format!("milestone {phase} of remediation package {package_id}");
                StoreError::from_insert(error, what)
            })?;
        let milestone = milestone_from_row(row)?;
        let detail = json!({"package_id": package_id, "phase": phase, "note": note});
        let event = case_event(actor, "case.remediation.milestone", case_id, detail)
            .after(to_value(&milestone));
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(milestone)
    }

    /// The milestones of a case's packages, in the order they were reached.
    pub async fn case_milestones(&self, case_id: &str) -> Result<Vec<Milestone>, StoreError> {
        let rows = remediation_milestone::Entity::find()
            .filter(remediation_milestone::Column::CaseId.eq(case_id))
            .order_by_asc(remediation_milestone::Column::ReachedAtUs)
            .order_by_asc(remediation_milestone::Column::PackageId)
            .all(self.connection())
            .await?;
        rows.into_iter().map(milestone_from_row).collect()
    }
}

fn milestone_from_row(row: remediation_milestone::Model) -> Result<Milestone, StoreError> {
    let phase = row.phase.parse().map_err(|_| {
        StoreError::Corrupt(format!(
            "milestone of package {}: phase {:?}",
            row.package_id, row.phase
        ))
    })?;
    Ok(Milestone {
        package_id: row.package_id,
        case_id: row.case_id,
        phase,
        note: row.note,
        recorded_by: row.recorded_by,
        reached_at: format_us(row.reached_at_us),
    })
}

/// The current UTC date, `YYYY-MM-DD`.
pub fn today() -> String {
    format_us(now_us()).chars().take(10).collect()
}

fn check_plan(plan: &RemediationPlan) -> Result<(), StoreError> {
    plan.check()
        .map_err(|error| StoreError::invalid(error.field, error.reason))
}

async fn require_fixed_builds(
    db: &impl ConnectionTrait,
    plan: &RemediationPlan,
) -> Result<(), StoreError> {
    for build in plan.fixed_builds() {
        require_build(db, build).await?;
    }
    Ok(())
}

fn package_from_row(row: remediation_package::Model) -> Result<RemediationPackage, StoreError> {
    let plan = serde_json::from_str(&row.plan)
        .map_err(|error| StoreError::Corrupt(format!("remediation package {}: {error}", row.id)))?;
    Ok(RemediationPackage {
        id: row.id,
        case_id: row.case_id,
        plan,
        created_by: row.created_by,
        created_at: format_us(row.created_at_us),
        updated_by: row.updated_by,
        updated_at: format_us(row.updated_at_us),
    })
}

fn control_from_row(row: compensating_control::Model, today: &str) -> Control {
    let control = CompensatingControl {
        owner: row.owner,
        description: row.description,
        expires_on: row.expires_on,
    };
    let withdrawn = row.withdrawn_at_us.map(|at_us| Withdrawal {
        by: row.withdrawn_by.clone().unwrap_or_default(),
        at: format_us(at_us),
        reason: row.withdraw_reason.clone().unwrap_or_default(),
    });
    Control {
        expired: control.is_expired(today),
        id: row.id,
        control,
        created_by: row.created_by,
        created_at: format_us(row.created_at_us),
        withdrawn,
    }
}
