//! The store's error type and the kinds callers branch on.

use std::path::PathBuf;

/// What went wrong, for callers that map errors to answers (HTTP status,
/// exit code) without matching on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    NotFound,
    Conflict,
    Invalid,
    Unavailable,
}

/// An error from the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("{what} already exists")]
    Conflict { what: String },
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("cannot create data folder {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
    /// A case move the workflow does not have.
    #[error(transparent)]
    Transition(#[from] keelson_core::case::TransitionRefused),
    /// The record changed between this request's read and its write.
    #[error("{what} changed while this request was handled; read it again")]
    Stale { what: String },
    /// A change the current records do not allow, with the reason.
    #[error("{0}")]
    Refused(String),
}

impl StoreError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            StoreError::NotFound { .. } => ErrorKind::NotFound,
            StoreError::Conflict { .. }
            | StoreError::Transition(_)
            | StoreError::Stale { .. }
            | StoreError::Refused(_) => ErrorKind::Conflict,
            StoreError::Invalid { .. } => ErrorKind::Invalid,
            StoreError::DataDir { .. } | StoreError::Database(_) | StoreError::Corrupt(_) => {
                ErrorKind::Unavailable
            }
        }
    }

    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        StoreError::NotFound { what: what.into() }
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        StoreError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Turns a unique-constraint violation into a `Conflict` naming `what`.
    pub(crate) fn from_insert(error: sea_orm::DbErr, what: impl Into<String>) -> Self {
        let text = error.to_string().to_ascii_lowercase();
        if text.contains("unique") || text.contains("duplicate key") {
            StoreError::Conflict { what: what.into() }
        } else {
            StoreError::Database(error)
        }
    }
}
