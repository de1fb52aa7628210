//! Quarantine replay for admins: the same replay as
//! `keelson quarantine replay`, answered with its counts.

use axum::Json;
use axum::extract::State;
use keelson_core::Role;
use keelson_store::replay::ReplayCounts;
use keelson_telemetry::Format;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiQuery};
use crate::ingest::file::FileError;
use crate::ingest::replay::{ReplayOptions, replay_quarantine};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(replay))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReplayQuery {
    /// Decode every record with this format instead of the one it names.
    pub format: Option<String>,
}

/// Decodes quarantined records again; those that decode now are stored.
#[utoipa::path(post, path = "/api/v1/quarantine/replay", tag = "telemetry",
    params(ReplayQuery), responses((status = 200, body = ReplayCounts), (status = 403)))]
async fn replay(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ReplayQuery>,
) -> Result<Json<ReplayCounts>, ApiError> {
    caller.require(&[Role::Admin])?;
    let format = match query.format.as_deref() {
        Some(name) => Some(
            Format::from_name(name)
                .ok_or_else(|| ApiError::bad_request(format!("unknown format {name:?}")))?,
        ),
        None => None,
    };
    let options = ReplayOptions {
        format,
        dbc_dir: state.config.dbc_dir.clone(),
    };
    match replay_quarantine(&state.store, &caller.user.name, &options).await {
        Ok(counts) => Ok(Json(counts)),
        Err(FileError::Store(error)) => Err(error.into()),
        Err(error) => Err(ApiError::internal(error)),
    }
}
