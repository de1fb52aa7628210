//! API tokens over the API: create (the secret is in that answer only),
//! list and revoke. Users manage their own; admins see and revoke all.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_core::Role;
use keelson_store::tokens::TokenRecord;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    pub name: String,
    /// Days until the token expires; none means it lives until revoked.
    #[serde(default)]
    pub expires_days: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    /// The secret: shown in this answer only, never again.
    pub token: String,
    pub record: TokenRecord,
}

/// The caller's tokens (an admin sees everyone's).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts", params(PageQuery),
    responses((status = 200, body = Page<TokenRecord>), (status = 401)))]
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<TokenRecord>>, ApiError> {
    let owner = (caller.user.role != Role::Admin).then_some(caller.user.id.as_str());
    Ok(Json(page.page(state.store.list_tokens(owner).await?)?))
}

/// Creates a token for the caller.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = CreateToken,
    responses((status = 201, body = CreatedToken), (status = 401), (status = 422)))]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<CreateToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let secret = auth::new_token_secret();
    let expires = match request.expires_days {
        Some(days) => Some(expiry_after_days(days).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("expires_days must be at most {MAX_TOKEN_DAYS}"),
            )
        })?),
        None => None,
    };
    let record = state
        .store
        .create_token(
            &caller.user.name,
            &caller.user.id,
            &request.name,
            &auth::secret_hash(&secret),
            expires,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: secret,
            record,
        }),
    ))
}

/// Revokes a token of the caller's (or any, for an admin).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts",
    params(("id" = String, Path, description = "token ID")),
    responses((status = 200, body = TokenRecord), (status = 404)))]
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<TokenRecord>, ApiError> {
    let token = state.store.token_by_id(&id).await?;
    let visible = token.filter(|t| caller.user.role == Role::Admin || t.user_id == caller.user.id);
    if visible.is_none() {
        return Err(ApiError::not_found(format!("token {id}")));
    }
    Ok(Json(
        state.store.revoke_token(&caller.user.name, &id).await?,
    ))
}

/// The longest token lifetime, in days (ten years).
pub const MAX_TOKEN_DAYS: u32 = 3_650;

/// The store time `days` days from now, or `None` past [`MAX_TOKEN_DAYS`].
pub fn expiry_after_days(days: u32) -> Option<i64> {
    if days > MAX_TOKEN_DAYS {
        return None;
    }
    let lifetime_us = i64::from(days).saturating_mul(86_400 * 1_000_000);
    Some(keelson_store::now_us().saturating_add(lifetime_us))
}
