//! The crate's one error type.

/// Why a document could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not JSON.
    #[error("line {line} column {column}: {reason}")]
    Syntax {
        line: usize,
        column: usize,
        reason: String,
    },
    /// The JSON is not the document it claims to be (`at` is the JSON pointer of
    /// the fault, empty for the whole document).
    #[error("{}{reason}", pointer_prefix(.at))]
    Invalid { at: String, reason: String },
    /// The input model cannot be expressed in the requested format.
    #[error("cannot write {format}: {reason}")]
    Unrepresentable {
        format: &'static str,
        reason: String,
    },
}

/// `"/a/0: "` before a reason, nothing when the fault is the whole document.
fn pointer_prefix(at: &str) -> String {
    if at.is_empty() {
        String::new()
    } else {
        format!("{at}: ")
    }
}

impl Error {
    pub(crate) fn invalid(at: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            at: at.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn from_json(error: &serde_json::Error) -> Self {
        Self::Syntax {
            line: error.line(),
            column: error.column(),
            reason: error.to_string(),
        }
    }
}
