//! Browser sign-in: a login form protected by a double-submit CSRF cookie,
//! the session cookie (Secure, HttpOnly, SameSite=Strict) and sign-out.
//! The pages themselves are drawn by `crate::ui`.

use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{self, SESSION_COOKIE, constant_time_eq, random_secret, secret_hash};
use crate::error::ApiError;

/// The cookie that pairs with the login form's hidden CSRF field.
const LOGIN_CSRF_COOKIE: &str = "keelson_login_csrf";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

async fn login_form(State(state): State<AppState>, jar: CookieJar) -> impl IntoResponse {
    let token = random_secret(24);
    let cookie = secure_cookie(&state, LOGIN_CSRF_COOKIE, token.clone(), "/login");
    (jar.add(cookie), Html(login_page(&token, None)))
}

fn login_page(csrf: &str, problem: Option<&str>) -> String {
    crate::ui::login::page(csrf, problem)
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf_token: String,
}

async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, ApiError> {
    let expected = jar
        .get(LOGIN_CSRF_COOKIE)
        .map(|cookie| cookie.value().to_owned());
    if !expected.is_some_and(|expected| constant_time_eq(&expected, &form.csrf_token)) {
        return Err(ApiError::forbidden(
            "missing or wrong CSRF token; reload the sign-in page",
        ));
    }
    let Some(user) = check_password(&state, &form.username, form.password).await? else {
        let token = random_secret(24);
        let cookie = secure_cookie(&state, LOGIN_CSRF_COOKIE, token.clone(), "/login");
        let page = Html(login_page(&token, Some("Unknown user or wrong password.")));
        return Ok((StatusCode::UNAUTHORIZED, jar.add(cookie), page).into_response());
    };

    let secret = random_secret(32);
    let ttl_us = i64::from(state.config.session_ttl_hours).saturating_mul(3_600 * 1_000_000);
    let expires = keelson_store::now_us().saturating_add(ttl_us);
    state
        .store
        .create_session(&user, &secret_hash(&secret), &random_secret(24), expires)
        .await?;
    let jar = jar
        .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/login"))
        .add(secure_cookie(&state, SESSION_COOKIE, secret, "/"));
    Ok((jar, Redirect::to("/")).into_response())
}

/// The user if the password is right; Argon2 runs off the async threads.
async fn check_password(
    state: &AppState,
    name: &str,
    password: String,
) -> Result<Option<keelson_store::users::UserRecord>, ApiError> {
    let Some((user, hash)) = state.store.user_credentials(name).await? else {
        return Ok(None);
    };
    let matches = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(ApiError::internal)?;
    Ok((matches && !user.disabled).then_some(user))
}

#[derive(Debug, Deserialize)]
struct LogoutForm {
    csrf_token: String,
}

async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<LogoutForm>,
) -> Result<Response, ApiError> {
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        let id_hash = secret_hash(cookie.value());
        let session = state.store.session(&id_hash).await?;
        let csrf_ok = session.is_some_and(|s| constant_time_eq(&s.csrf_token, &form.csrf_token));
        if !csrf_ok {
            return Err(ApiError::forbidden("missing or wrong CSRF token"));
        }
        state.store.end_session(&id_hash).await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}

fn secure_cookie(
    state: &AppState,
    name: &'static str,
    value: String,
    path: &'static str,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path(path)
        .http_only(true)
        .secure(state.config.cookie_secure)
        .same_site(SameSite::Strict)
        .build()
}
