//! The audit log over the API: entries and a chain verification (admin).
//! An entry on a case the admin may not read (TLP:RED without their name)
//! is listed with its `detail` withheld, since a case's details (reasons,
//! field values) live there; the entry's place in the chain stays visible.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use keelson_core::Role;
use keelson_store::cases::CASE_OBJECT;
use keelson_store::{AuditEntry, ChainReport};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiQuery};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_entries))
        .routes(routes!(verify_chain))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// Entries before this sequence number (for paging back).
    pub before: Option<i64>,
    pub limit: Option<u64>,
}

/// Audit entries, newest first, optionally for one object.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Vec<AuditEntry>), (status = 403)))]
pub(crate) async fn list_entries(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    caller.require(&[Role::Admin])?;
    let object = match (&query.object_type, &query.object_id) {
        (Some(kind), Some(id)) => Some((kind.as_str(), id.as_str())),
        (None, None) => None,
        _ => {
            return Err(ApiError::bad_request(
                "give object_type and object_id together",
            ));
        }
    };
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let entries = state
        .store
        .audit_entries(object, limit, query.before)
        .await?;
    Ok(Json(
        withhold_unreadable_case_details(&state, &caller, entries).await?,
    ))
}

pub(crate) async fn withhold_unreadable_case_details(
    state: &AppState,
    caller: &Caller,
    mut entries: Vec<AuditEntry>,
) -> Result<Vec<AuditEntry>, ApiError> {
    let mut readable: HashMap<String, bool> = HashMap::new();
    for entry in &mut entries {
        if entry.object_type != CASE_OBJECT || entry.detail.is_none() {
            continue;
        }
        let may_read = match readable.get(&entry.object_id) {
            Some(known) => *known,
            None => {
                let case = state.store.case(&entry.object_id).await?;
                let may_read = case.is_some_and(|case| caller.principal.may_read(&case.marking));
                readable.insert(entry.object_id.clone(), may_read);
                may_read
            }
        };
        if !may_read {
            entry.detail = None;
        }
    }
    Ok(entries)
}

/// Recomputes the hash chain and names the first broken entry.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = ChainReport), (status = 403)))]
pub(crate) async fn verify_chain(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ChainReport>, ApiError> {
    caller.require(&[Role::Admin])?;
    Ok(Json(state.store.verify_audit_chain().await?))
}
