//! The work under a case: comments, tasks and the vulnerability's status
//! per build. Each route first reads the case through the clearance gate,
//! so a case the caller may not see hides all of it (404).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use keelson_core::BuildStatus;
use keelson_store::cases::work::{CaseBuild, Comment, StatusOutcome, Task, TaskChanges};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::cases::{CASE_WRITERS, present, readable_build, readable_builds, readable_case};
use super::{Page, PageQuery};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_comments, add_comment))
        .routes(routes!(list_tasks, add_task))
        .routes(routes!(update_task))
        .routes(routes!(list_builds))
        .routes(routes!(set_build_status))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    pub body: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    pub title: String,
    /// A user name.
    #[serde(default)]
    pub assignee: Option<String>,
}

/// Task changes; `assignee: null` unassigns.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub assignee: Option<Option<String>>,
    pub done: Option<bool>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildStatusInput {
    pub status: BuildStatus,
    /// Why (shown in the history).
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BuildStatusAnswer {
    pub outcome: StatusOutcome,
    pub build: CaseBuild,
}

/// A case's comments, oldest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/comments", tag = "psirt",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = Page<Comment>), (status = 404)))]
pub(crate) async fn list_comments(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<Comment>>, ApiError> {
    readable_case(&state, &caller, &id).await?;
    Ok(Json(page.page(state.store.case_comments(&id).await?)?))
}

/// Adds a comment.
#[utoipa::path(post, path = "/api/v1/cases/{id}/comments", tag = "psirt",
    request_body = CommentInput, params(("id" = String, Path)),
    responses((status = 201, body = Comment), (status = 404), (status = 422)))]
pub(crate) async fn add_comment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<CommentInput>,
) -> Result<(StatusCode, Json<Comment>), ApiError> {
    caller.require(CASE_WRITERS)?;
    readable_case(&state, &caller, &id).await?;
    let comment = state
        .store
        .add_comment(&caller.user.name, &id, &input.body)
        .await?;
    Ok((StatusCode::CREATED, Json(comment)))
}

/// A case's tasks, oldest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/tasks", tag = "psirt",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = Page<Task>), (status = 404)))]
pub(crate) async fn list_tasks(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<Task>>, ApiError> {
    readable_case(&state, &caller, &id).await?;
    Ok(Json(page.page(state.store.case_tasks(&id).await?)?))
}

/// Adds an open task.
#[utoipa::path(post, path = "/api/v1/cases/{id}/tasks", tag = "psirt",
    request_body = TaskInput, params(("id" = String, Path)),
    responses((status = 201, body = Task), (status = 404), (status = 422)))]
pub(crate) async fn add_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<TaskInput>,
) -> Result<(StatusCode, Json<Task>), ApiError> {
    caller.require(CASE_WRITERS)?;
    readable_case(&state, &caller, &id).await?;
    let task = state
        .store
        .add_task(
            &caller.user.name,
            &id,
            &input.title,
            input.assignee.as_deref(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(task)))
}

/// Changes a task's title, assignee or done flag.
#[utoipa::path(patch, path = "/api/v1/cases/{id}/tasks/{task_id}", tag = "psirt",
    request_body = TaskPatch, params(("id" = String, Path), ("task_id" = String, Path)),
    responses((status = 200, body = Task), (status = 404), (status = 422)))]
pub(crate) async fn update_task(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, task_id)): ApiPath<(String, String)>,
    ApiJson(patch): ApiJson<TaskPatch>,
) -> Result<Json<Task>, ApiError> {
    caller.require(CASE_WRITERS)?;
    readable_case(&state, &caller, &id).await?;
    let changes = TaskChanges {
        title: patch.title,
        assignee: patch.assignee,
        done: patch.done,
    };
    let task = state
        .store
        .update_task(&caller.user.name, &id, &task_id, &changes)
        .await?;
    Ok(Json(task))
}

/// The vulnerability's status in each build of the case the caller may see.
#[utoipa::path(get, path = "/api/v1/cases/{id}/builds", tag = "psirt",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = Page<CaseBuild>), (status = 404)))]
pub(crate) async fn list_builds(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<CaseBuild>>, ApiError> {
    readable_case(&state, &caller, &id).await?;
    let builds = state.store.case_builds(&id).await?;
    Ok(Json(
        page.page(readable_builds(&state, &caller, builds).await?)?,
    ))
}

/// Sets the status in one build (`affected`, `not_affected`, `fixed`,
/// `under_investigation`), adding the build to the case if needed.
#[utoipa::path(put, path = "/api/v1/cases/{id}/builds/{build_id}", tag = "psirt",
    request_body = BuildStatusInput,
    params(("id" = String, Path), ("build_id" = String, Path)),
    responses((status = 200, body = BuildStatusAnswer), (status = 404), (status = 422)))]
pub(crate) async fn set_build_status(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, build_id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<BuildStatusInput>,
) -> Result<Json<BuildStatusAnswer>, ApiError> {
    caller.require(CASE_WRITERS)?;
    readable_case(&state, &caller, &id).await?;
    readable_build(&state, &caller, &build_id).await?;
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let (outcome, build) = state
        .store
        .set_build_status(&caller.user.name, &id, &build_id, input.status, reason)
        .await?;
    Ok(Json(BuildStatusAnswer { outcome, build }))
}
