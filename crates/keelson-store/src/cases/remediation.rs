//! A case's remediation packages (fixes, verification per platform,
//! roll-out phases) and compensating controls. A package's plan is checked
//! by `keelson-core` and each software fix must name a build of the
//! inventory; every change is audited on the case.

use keelson_core::remediation::{CompensatingControl, RemediationPlan};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, TransactionTrait,
};
use serde::Serialize;
use serde_json::json;

use super::{case_event, require_build, require_case, require_user, to_value};
use crate::audit;
use crate::entity::{compensating_control, remediation_package};
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
    Control {
        expired: control.is_expired(today),
        id: row.id,
        control,
        created_by: row.created_by,
        created_at: format_us(row.created_at_us),
    }
}
