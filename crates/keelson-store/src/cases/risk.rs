//! The ISO/SAE 21434 risk determination of a case in each build it
//! concerns. The store keeps the inputs (impacts, feasibility) and the
//! matrix that was in force, and works the determination again from them on
//! every read, so a later change of the configured matrix never rewrites a
//! determination already made. Each change is audited on the case.

use keelson_core::risk::{self, Feasibility, Impacts, RiskDetermination, RiskMatrix};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde::Serialize;
use serde_json::json;

use super::work::StatusOutcome;
use super::{case_event, require_case, to_value};
use crate::audit;
use crate::entity::{case_build, case_risk};
use crate::{Store, StoreError, format_us, now_us};

/// The risk of a case's vulnerability in one build.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseRisk {
    pub build_id: String,
    pub determination: RiskDetermination,
    pub assessed_by: String,
    pub assessed_at: String,
}

impl Store {
    /// Records the risk determination of a build the case concerns,
    /// replacing the one before; the same inputs and matrix again write
    /// nothing.
    pub async fn set_case_risk(
        &self,
        actor: &str,
        case_id: &str,
        build_id: &str,
        determination: &RiskDetermination,
    ) -> Result<(StatusOutcome, CaseRisk), StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        require_case(&txn, case_id).await?;
        let key = (case_id.to_owned(), build_id.to_owned());
        if case_build::Entity::find_by_id(key.clone())
            .one(&txn)
            .await?
            .is_none()
        {
            let reason =
                format!("build {build_id:?} is not on case {case_id}; set its status first");
            return Err(StoreError::invalid("build_id", reason));
        }
        let current = case_risk::Entity::find_by_id(key).one(&txn).await?;
        let before = current.clone().map(risk_from_row).transpose()?;
        if let Some(same) = before
            .as_ref()
            .filter(|b| same_inputs(&b.determination, determination))
        {
            return Ok((StatusOutcome::Unchanged, same.clone()));
        }

        let row = case_risk::Model {
            case_id: case_id.to_owned(),
            build_id: build_id.to_owned(),
            impacts: to_value(&determination.impacts).to_string(),
            feasibility: to_value(&determination.feasibility).to_string(),
            feasibility_rating: determination.feasibility_rating.as_str().to_owned(),
            risk_value: i32::from(determination.risk_value),
            matrix: to_value(&determination.matrix).to_string(),
            assessed_by: actor.to_owned(),
            assessed_at_us: now_us(),
        };
        let outcome = match current {
            Some(current) => {
                let mut active = current.into_active_model();
                active.impacts = Set(row.impacts.clone());
                active.feasibility = Set(row.feasibility.clone());
                active.feasibility_rating = Set(row.feasibility_rating.clone());
                active.risk_value = Set(row.risk_value);
                active.matrix = Set(row.matrix.clone());
                active.assessed_by = Set(row.assessed_by.clone());
                active.assessed_at_us = Set(row.assessed_at_us);
                case_risk::Entity::update(active).exec(&txn).await?;
                StatusOutcome::Changed
            }
            None => {
                case_risk::Entity::insert(row.clone().into_active_model())
                    .exec_without_returning(&txn)
                    .await?;
                StatusOutcome::Added
            }
        };
        let after = risk_from_row(row)?;
        let detail = json!({
            "build_id": build_id,
            "from": before.as_ref().map(|b| b.determination.risk_value),
            "to": after.determination.risk_value,
            "feasibility_rating": after.determination.feasibility_rating,
        });
        let mut event = case_event(actor, "case.risk", case_id, detail).after(to_value(&after));
        if let Some(before) = &before {
            event = event.before(to_value(before));
        }
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok((outcome, after))
    }

    /// The risk determinations of a case, by build ID.
    pub async fn case_risks(&self, case_id: &str) -> Result<Vec<CaseRisk>, StoreError> {
        let rows = case_risk::Entity::find()
            .filter(case_risk::Column::CaseId.eq(case_id))
            .order_by_asc(case_risk::Column::BuildId)
            .all(self.connection())
            .await?;
        rows.into_iter().map(risk_from_row).collect()
    }
}

fn same_inputs(stored: &RiskDetermination, new: &RiskDetermination) -> bool {
    stored.impacts == new.impacts
        && stored.feasibility == new.feasibility
        && stored.matrix == new.matrix
}

fn risk_from_row(row: case_risk::Model) -> Result<CaseRisk, StoreError> {
    let corrupt = |what: &str, error: serde_json::Error| {
        StoreError::Corrupt(format!(
            "risk of case {} build {}: {what}: {error}",
            row.case_id, row.build_id
        ))
    };
    let impacts: Impacts = serde_json::from_str(&row.impacts).map_err(|e| corrupt("impacts", e))?;
    let feasibility: Feasibility =
        serde_json::from_str(&row.feasibility).map_err(|e| corrupt("feasibility", e))?;
    let matrix: RiskMatrix = serde_json::from_str(&row.matrix).map_err(|e| corrupt("matrix", e))?;
    Ok(CaseRisk {
        determination: risk::determine(impacts, feasibility, &matrix),
        build_id: row.build_id,
        assessed_by: row.assessed_by,
        assessed_at: format_us(row.assessed_at_us),
    })
}
