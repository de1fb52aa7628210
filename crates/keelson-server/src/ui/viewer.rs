//! Who is looking at a page: the browser session behind the cookie, as the
//! same [`Caller`] the API's handlers take, with the session's CSRF token
//! that every form carries and every form post is checked against.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use super::UiError;
use crate::AppState;
use crate::auth::{Caller, constant_time_eq, secret_hash, session_cookie};
use crate::error::ApiError;

/// A signed-in reader of the UI.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub caller: Caller,
    csrf_token: String,
}

impl Viewer {
    /// The token a form must send back in `csrf_token`.
    pub fn csrf_token(&self) -> &str {
        &self.csrf_token
    }

    pub fn name(&self) -> &str {
        &self.caller.user.name
    }

    /// Refuses a form post whose token is not the session's, so that
    /// another site cannot post a form through the reader's cookie.
    pub fn check_csrf(&self, sent: &str) -> Result<(), UiError> {
        if constant_time_eq(sent, &self.csrf_token) {
            return Ok(());
        }
        let refusal = ApiError::forbidden("missing or wrong CSRF token; reload the page");
        Err(UiError::from(refusal).for_viewer(self))
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let sign_in = || Redirect::to("/login").into_response();
        let cookie = session_cookie(parts).ok_or_else(sign_in)?;
        let session = state
            .store
            .session(&secret_hash(&cookie))
            .await
            .map_err(|error| UiError::from(error).into_response())?;
        let session = session.ok_or_else(sign_in)?;
        if session.user.disabled {
            return Err(sign_in());
        }
        Ok(Viewer {
            caller: Caller {
                principal: session.user.principal(),
                user: session.user,
            },
            csrf_token: session.csrf_token,
        })
    }
}
