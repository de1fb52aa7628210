//! What the VSOC does about an incident beyond moving it: containment
//! notes (every temporary action with who, when, scope and expiry, kept
//! for the PSIRT to see) and the escalation that hands the incident to a
//! PSIRT case. An incident is escalated at most once; the escalation row
//! links the two both ways and keeps the summary handed over.

use sea_orm::{
    ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::Serialize;

use super::{IncidentError, require, to_value};
use crate::audit::{self, AuditEvent};
use crate::entity::{incident_containment, incident_escalation};
use crate::{Store, StoreError, format_us, new_id, now_us};

/// A containment action to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContainment {
    /// What was done, such as "remote unlock disabled in the backend".
    pub action: String,
    /// Where it applies: a service, a region, a build, a set of vehicles.
    pub scope: String,
    /// When the action is to be lifted (microseconds since the epoch).
    pub expires_at_us: Option<i64>,
}

/// A recorded containment action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Containment {
    pub id: String,
    pub incident_id: String,
    pub action: String,
    pub scope: String,
    pub recorded_by: String,
    pub recorded_at: String,
    pub expires_at: Option<String>,
    /// Whether the expiry has passed when this was read.
    pub expired: bool,
}

/// An incident handed to a PSIRT case.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Escalation {
    pub incident_id: String,
    pub case_id: String,
    /// What was handed over (vehicle count, builds, log references,
    /// provisional CVSS, TLP, containment, operational context).
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
    pub escalated_by: String,
    pub escalated_at: String,
}

impl Store {
    /// Records a containment action on an incident.
    pub async fn record_containment(
        &self,
        actor: &str,
        incident_id: &str,
        new: &NewContainment,
    ) -> Result<Containment, IncidentError> {
        for (field, text) in [("action", &new.action), ("scope", &new.scope)] {
            if text.trim().is_empty() {
                return Err(IncidentError::Invalid(format!(
                    "{field}: must not be empty"
                )));
            }
        }
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        require(&txn, incident_id).await?;
        let row = incident_containment::Model {
            id: new_id(),
            incident_id: incident_id.to_owned(),
            action: new.action.trim().to_owned(),
            scope: new.scope.trim().to_owned(),
            recorded_by: actor.to_owned(),
            recorded_at_us: now_us(),
            expires_at_us: new.expires_at_us,
        };
        incident_containment::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&txn)
            .await?;
        let containment = containment_from_row(row, now_us());
        let entry = AuditEvent::new(actor, "incident.containment", "incident", incident_id)
            .after(to_value(&containment));
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(containment)
    }

    /// An incident's containment actions, oldest first.
    pub async fn incident_containments(
        &self,
        incident_id: &str,
    ) -> Result<Vec<Containment>, StoreError> {
        let rows = incident_containment::Entity::find()
            .filter(incident_containment::Column::IncidentId.eq(incident_id))
            .order_by_asc(incident_containment::Column::RecordedAtUs)
            .order_by_asc(incident_containment::Column::Id)
            .all(self.connection())
            .await?;
        let now = now_us();
        Ok(rows
            .into_iter()
            .map(|row| containment_from_row(row, now))
            .collect())
    }

    /// Links an incident to the case it was escalated to, keeping the
    /// summary handed over; an incident already escalated is refused.
    pub async fn record_escalation(
        &self,
        actor: &str,
        incident_id: &str,
        case_id: &str,
        summary: &serde_json::Value,
    ) -> Result<Escalation, IncidentError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        require(&txn, incident_id).await?;
        let earlier = incident_escalation::Entity::find_by_id(incident_id.to_owned())
            .one(&txn)
            .await?;
        if let Some(earlier) = earlier {
            return Err(IncidentError::Escalated {
                incident: incident_id.to_owned(),
                case: earlier.case_id,
            });
        }
        let row = incident_escalation::Model {
            incident_id: incident_id.to_owned(),
            case_id: case_id.to_owned(),
            summary: summary.to_string(),
            escalated_by: actor.to_owned(),
            escalated_at_us: now_us(),
        };
        incident_escalation::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&txn)
            .await?;
        let escalation = escalation_from_row(row)?;
        let entry = AuditEvent::new(actor, "incident.escalate", "incident", incident_id)
            .after(to_value(&escalation))
            .detail(format!("escalated to case {case_id}"));
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(escalation)
    }

    /// The escalation of an incident, if it was escalated.
    pub async fn escalation_of_incident(
        &self,
        incident_id: &str,
    ) -> Result<Option<Escalation>, StoreError> {
        let row = incident_escalation::Entity::find_by_id(incident_id.to_owned())
            .one(self.connection())
            .await?;
        row.map(escalation_from_row).transpose()
    }

    /// The escalations that opened or fed a case, oldest first.
    pub async fn escalations_to_case(&self, case_id: &str) -> Result<Vec<Escalation>, StoreError> {
        let rows = incident_escalation::Entity::find()
            .filter(incident_escalation::Column::CaseId.eq(case_id))
            .order_by_asc(incident_escalation::Column::EscalatedAtUs)
            .all(self.connection())
            .await?;
        rows.into_iter().map(escalation_from_row).collect()
    }
}

pub(crate) fn containment_from_row(row: incident_containment::Model, now_us: i64) -> Containment {
    Containment {
        expired: row.expires_at_us.is_some_and(|at| at <= now_us),
        expires_at: row.expires_at_us.map(format_us),
        recorded_at: format_us(row.recorded_at_us),
        id: row.id,
        incident_id: row.incident_id,
        action: row.action,
        scope: row.scope,
        recorded_by: row.recorded_by,
    }
}

pub(crate) fn escalation_from_row(
    row: incident_escalation::Model,
) -> Result<Escalation, StoreError> {
    let summary = serde_json::from_str(&row.summary).map_err(|error| {
        StoreError::Corrupt(format!("escalation of {}: {error}", row.incident_id))
    })?;
    Ok(Escalation {
        escalated_at: format_us(row.escalated_at_us),
        incident_id: row.incident_id,
        case_id: row.case_id,
        summary,
        escalated_by: row.escalated_by,
    })
}
