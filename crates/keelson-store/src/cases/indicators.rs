//! A case's threat indicators, each checked by `keelson-core` (the server
//! checks a behaviour's Sigma with the detection loader first) and kept as
//! JSON; adding one is audited on the case. Publishing the case's advisory
//! turns them into detection rules (see `advisory`).

use keelson_core::indicator::Indicator;
use sea_orm::{
    ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::Serialize;
use serde_json::json;

use super::{case_event, require_case, to_value};
use crate::audit;
use crate::entity::case_indicator;
use crate::{Store, StoreError, format_us, new_id, now_us};

/// A stored indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CaseIndicator {
    pub id: String,
    pub case_id: String,
    #[serde(flatten)]
    pub indicator: Indicator,
    pub created_by: String,
    pub created_at: String,
}

impl Store {
    /// Adds a threat indicator to a case (in canonical spelling).
    pub async fn add_indicator(
        &self,
        actor: &str,
        case_id: &str,
        indicator: Indicator,
    ) -> Result<CaseIndicator, StoreError> {
        let indicator = indicator
            .checked()
            .map_err(|error| StoreError::invalid(error.field, error.reason))?;
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        require_case(&txn, case_id).await?;
        let row = case_indicator::Model {
            id: new_id(),
            case_id: case_id.to_owned(),
            kind: indicator.kind().to_owned(),
            definition: to_value(&indicator).to_string(),
            created_by: actor.to_owned(),
            created_at_us: now_us(),
        };
        case_indicator::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&txn)
            .await?;
        let stored = indicator_from_row(row)?;
        let detail = json!({"indicator_id": stored.id, "kind": indicator.kind()});
        let event =
            case_event(actor, "case.indicator.create", case_id, detail).after(to_value(&stored));
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(stored)
    }

    /// A case's indicators, oldest first.
    pub async fn case_indicators(&self, case_id: &str) -> Result<Vec<CaseIndicator>, StoreError> {
        let rows = case_indicator::Entity::find()
            .filter(case_indicator::Column::CaseId.eq(case_id))
            .order_by_asc(case_indicator::Column::CreatedAtUs)
            .order_by_asc(case_indicator::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(indicator_from_row).collect()
    }
}

fn indicator_from_row(row: case_indicator::Model) -> Result<CaseIndicator, StoreError> {
    let indicator = serde_json::from_str(&row.definition)
        .map_err(|error| StoreError::Corrupt(format!("indicator {}: {error}", row.id)))?;
    Ok(CaseIndicator {
        id: row.id,
        case_id: row.case_id,
        indicator,
        created_by: row.created_by,
        created_at: format_us(row.created_at_us),
    })
}
