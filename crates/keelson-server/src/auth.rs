//! Who is asking: password hashing (Argon2id), API tokens (random, shown
//! once, stored as SHA-256), browser sessions (cookie plus CSRF token), and
//! the [`Caller`] extractor that every authenticated handler takes.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keelson_core::{Principal, Role};
use keelson_store::users::UserRecord;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;

/// The cookie that carries a browser session.
pub const SESSION_COOKIE: &str = "keelson_session";
/// The header a browser sends the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// What every API token starts with, so that secret scanners can find leaks.
pub const TOKEN_PREFIX: &str = "kls_";

/// Hashes a password with Argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(ApiError::internal)
}

/// Whether `password` matches a stored PHC hash; a malformed hash never does.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// `bytes` random bytes from the operating system's CSPRNG, base64url.
pub fn random_secret(bytes: usize) -> String {
    let mut buffer = vec![0_u8; bytes];
    rand::fill(buffer.as_mut_slice());
    URL_SAFE_NO_PAD.encode(buffer)
}

/// A new API token secret (shown once, never stored).
pub fn new_token_secret() -> String {
    format!("{TOKEN_PREFIX}{}", random_secret(32))
}

/// A generated password for first start and for `create-user`.
pub fn new_password() -> String {
    random_secret(18)
}

/// How a secret (token, session cookie) is stored: SHA-256, hex. The
/// secrets have 256 bits of entropy, so a fast hash is enough here.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: UserRecord,
    pub principal: Principal,
}

impl Caller {
    /// Refuses callers whose role is not among `roles` (403: the route
    /// exists and the caller knows it; only records hide behind 404).
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.user.role) {
            return Ok(());
        }
        Err(ApiError::forbidden(format!(
            "role {} may not do this",
            self.user.role
        )))
    }

    /// Refuses partners.
    pub fn require_internal(&self) -> Result<(), ApiError> {
        if self.user.role.is_internal() {
            return Ok(());
        }
        Err(ApiError::forbidden("partners may not do this"))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(token) = bearer_token(parts) {
            return caller_from_token(state, token).await;
        }
        if let Some(cookie) = session_cookie(parts) {
            return caller_from_session(parts, state, &cookie).await;
        }
        Err(ApiError::unauthorized())
    }
}

fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The value of the session cookie, if the request carries one.
pub fn session_cookie(parts: &Parts) -> Option<String> {
    let jar = axum_extra::extract::cookie::CookieJar::from_headers(&parts.headers);
    jar.get(SESSION_COOKIE)
        .map(|cookie| cookie.value().to_owned())
}

async fn caller_from_token(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let found = state.store.authenticate_token(&secret_hash(token)).await?;
    let (_, user) = found.ok_or_else(ApiError::unauthorized)?;
    Ok(Caller {
        principal: user.principal(),
        user,
    })
}

/// A session authenticates reads alone; a change of state must also carry
/// the session's CSRF token, so that another site cannot ride the cookie.
async fn caller_from_session(
    parts: &Parts,
    state: &AppState,
    cookie: &str,
) -> Result<Caller, ApiError> {
    let session = state.store.session(&secret_hash(cookie)).await?;
    let session = session.ok_or_else(ApiError::unauthorized)?;
    if !is_safe(&parts.method) {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|value| value.to_str().ok());
        if !sent.is_some_and(|sent| constant_time_eq(sent, &session.csrf_token)) {
            return Err(ApiError::forbidden("missing or wrong CSRF token"));
        }
    }
    Ok(Caller {
        principal: session.user.principal(),
        user: session.user,
    })
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Compares two secrets without an early exit that would leak their prefix.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0_u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn token_secrets_are_prefixed_and_distinct() {
        let (a, b) = (new_token_secret(), new_token_secret());
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_ne!(a, b);
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43);
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
