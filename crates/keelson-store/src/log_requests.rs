//! Log requests: an incident asks an affected vehicle to upload its logs.
//! A request is `open` until the vehicle's next upload arrives, which
//! fulfils every open request of that vehicle in the transaction that
//! records the upload's link. A request carries its incident's marking, so
//! it is read under the same clearance as the incident.

use keelson_core::{Marked, Marking};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde::Serialize;

use crate::audit::{self, AuditEvent};
use crate::entity::log_request;
use crate::marking::{MarkingColumns, marking_from_columns};
use crate::{Store, StoreError, format_us, new_id, now_us};

const OPEN: &str = "open";
const FULFILLED: &str = "fulfilled";

/// A request to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLogRequest {
    pub vehicle_id: String,
    pub incident_id: String,
    /// The playbook run that asked, if one did.
    pub run_id: Option<String>,
    /// What to upload, in words for the vehicle's operator or TCU.
    pub note: String,
    /// The incident's marking.
    pub marking: Marking,
}

/// A recorded request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LogRequest {
    pub id: String,
    pub vehicle_id: String,
    pub incident_id: String,
    pub run_id: Option<String>,
    pub note: String,
    pub requested_by: String,
    pub requested_at: String,
    /// `open` or `fulfilled`.
    pub state: String,
    /// The upload that fulfilled it.
    pub upload_id: Option<String>,
    pub fulfilled_at: Option<String>,
    pub marking: Marking,
}

impl Marked for LogRequest {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

impl Store {
    /// Records one request per vehicle in one transaction, each audited on
    /// its incident.
    pub async fn request_logs(
        &self,
        actor: &str,
        requests: &[NewLogRequest],
    ) -> Result<Vec<LogRequest>, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let mut recorded = Vec::with_capacity(requests.len());
        for new in requests {
            let marking = MarkingColumns::from_marking(&new.marking);
            let row = log_request::Model {
                id: new_id(),
                vehicle_id: new.vehicle_id.clone(),
                incident_id: new.incident_id.clone(),
                run_id: new.run_id.clone(),
                note: new.note.clone(),
                requested_by: actor.to_owned(),
                requested_at_us: now_us(),
                state: OPEN.to_owned(),
                upload_id: None,
                fulfilled_at_us: None,
                tlp: marking.tlp,
                shared_with_orgs: marking.shared_with_orgs,
                named_readers: marking.named_readers,
            };
            log_request::Entity::insert(row.clone().into_active_model())
                .exec_without_returning(&txn)
                .await?;
            let request = request_from_row(row)?;
            let entry =
                AuditEvent::new(actor, "incident.log_request", "incident", &new.incident_id)
                    .after(serde_json::to_value(&request).unwrap_or_default())
                    .detail(format!("logs requested from vehicle {}", new.vehicle_id));
            audit::append(&txn, entry).await?;
            recorded.push(request);
        }
        txn.commit().await?;
        Ok(recorded)
    }

    /// Marks every open request of the vehicle fulfilled by the upload;
    /// returns those it fulfilled.
    pub async fn fulfil_log_requests(
        &self,
        actor: &str,
        vehicle_id: &str,
        upload_id: &str,
    ) -> Result<Vec<LogRequest>, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let open = log_request::Entity::find()
            .filter(log_request::Column::VehicleId.eq(vehicle_id))
            .filter(log_request::Column::State.eq(OPEN))
            .all(&txn)
            .await?;
        let mut fulfilled = Vec::with_capacity(open.len());
        for row in open {
            let mut change = row.into_active_model();
            change.state = Set(FULFILLED.to_owned());
            change.upload_id = Set(Some(upload_id.to_owned()));
            change.fulfilled_at_us = Set(Some(now_us()));
            let request = request_from_row(log_request::Entity::update(change).exec(&txn).await?)?;
            let entry = AuditEvent::new(
                actor,
                "incident.log_received",
                "incident",
                &request.incident_id,
            )
            .after(serde_json::to_value(&request).unwrap_or_default())
            .detail(format!("upload {upload_id} from vehicle {vehicle_id}"));
            audit::append(&txn, entry).await?;
            fulfilled.push(request);
        }
        txn.commit().await?;
        Ok(fulfilled)
    }

    /// A vehicle's requests, newest first; only the open ones when asked.
    pub async fn vehicle_log_requests(
        &self,
        vehicle_id: &str,
        open_only: bool,
    ) -> Result<Vec<LogRequest>, StoreError> {
        let mut query =
            log_request::Entity::find().filter(log_request::Column::VehicleId.eq(vehicle_id));
        if open_only {
            query = query.filter(log_request::Column::State.eq(OPEN));
        }
        let rows = query
            .order_by_desc(log_request::Column::RequestedAtUs)
            .order_by_asc(log_request::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(request_from_row).collect()
    }

    /// An incident's requests, oldest first.
    pub async fn incident_log_requests(
        &self,
        incident_id: &str,
    ) -> Result<Vec<LogRequest>, StoreError> {
        let rows = log_request::Entity::find()
            .filter(log_request::Column::IncidentId.eq(incident_id))
            .order_by_asc(log_request::Column::RequestedAtUs)
            .order_by_asc(log_request::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(request_from_row).collect()
    }
}

fn request_from_row(row: log_request::Model) -> Result<LogRequest, StoreError> {
    let marking = marking_from_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)?;
    Ok(LogRequest {
        requested_at: format_us(row.requested_at_us),
        fulfilled_at: row.fulfilled_at_us.map(format_us),
        id: row.id,
        vehicle_id: row.vehicle_id,
        incident_id: row.incident_id,
        run_id: row.run_id,
        note: row.note,
        requested_by: row.requested_by,
        state: row.state,
        upload_id: row.upload_id,
        marking,
    })
}
