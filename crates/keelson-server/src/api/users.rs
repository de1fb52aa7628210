//! Accounts over the API: admins list and create users; anyone sees
//! themselves.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_core::Role;
use keelson_store::users::{NewUser, UserRecord};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiJson, ApiQuery};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(me))
}

/// A user to create; without a password one is generated and returned once.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub organisation: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedUser {
    pub user: UserRecord,
    /// The generated password, shown only in this answer.
    pub password: Option<String>,
}

/// Lists every account (admin only).
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", params(PageQuery),
    responses((status = 200, body = Page<UserRecord>), (status = 401), (status = 403)))]
pub(crate) async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<UserRecord>>, ApiError> {
    caller.require(&[Role::Admin])?;
    Ok(Json(page.page(state.store.list_users().await?)?))
}

/// Creates an account (admin only).
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = CreateUser,
    responses((status = 201, body = CreatedUser), (status = 409), (status = 422)))]
pub(crate) async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<CreatedUser>), ApiError> {
    caller.require(&[Role::Admin])?;
    let generated = request.password.is_none().then(auth::new_password);
    let password = request
        .password
        .or_else(|| generated.clone())
        .unwrap_or_default();
    if password.chars().count() < 12 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "password must have at least 12 characters",
        ));
    }
    let new = NewUser {
        name: request.name,
        role: request.role,
        organisation: request.organisation,
        password_hash: auth::hash_password(&password)?,
    };
    let user = state.store.create_user(&caller.user.name, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user,
            password: generated,
        }),
    ))
}

/// The caller's own account.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "accounts",
    responses((status = 200, body = UserRecord), (status = 401)))]
pub(crate) async fn me(caller: Caller) -> Json<UserRecord> {
    Json(caller.user)
}
