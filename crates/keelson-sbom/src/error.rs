//! The crate's one error type: what went wrong while reading a document, and where.

/// Where in the input a problem sits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Location {
    /// Nowhere in particular (the whole document).
    Document,
    /// A JSON pointer (RFC 6901) into a JSON document; empty for the root.
    Pointer {
        /// The pointer.
        pointer: String,
    },
    /// A line and column (1-based) of a text document.
    Line {
        /// Line number.
        line: usize,
        /// Column number, 0 when unknown.
        column: usize,
    },
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Document => write!(f, "document"),
            Self::Pointer { pointer } if pointer.is_empty() => write!(f, "/"),
            Self::Pointer { pointer } => write!(f, "{pointer}"),
            Self::Line { line, column: 0 } => write!(f, "line {line}"),
            Self::Line { line, column } => write!(f, "line {line} column {column}"),
        }
    }
}

impl Location {
    /// A JSON pointer location.
    pub fn pointer(pointer: impl Into<String>) -> Self {
        Self::Pointer {
            pointer: pointer.into(),
        }
    }

    /// A line location without a column.
    pub fn line(line: usize) -> Self {
        Self::Line { line, column: 0 }
    }
}

/// Why a document could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Neither CycloneDX nor SPDX 2.x in a serialisation this crate reads.
    #[error("unrecognised document: {reason}")]
    UnknownFormat {
        /// What was seen instead.
        reason: String,
    },
    /// The bytes are not well-formed JSON, XML or UTF-8.
    #[error("syntax error at {at}: {reason}")]
    Syntax {
        /// Where.
        at: Location,
        /// Why.
        reason: String,
    },
    /// Well-formed, but a value the component graph needs is missing or of the wrong type.
    #[error("invalid document at {at}: {reason}")]
    Invalid {
        /// Where.
        at: Location,
        /// Why.
        reason: String,
    },
}

/// The broad class of an [`Error`], for callers that branch (a CLI exit code, an HTTP
/// status) without matching on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// See [`Error::UnknownFormat`].
    UnknownFormat,
    /// See [`Error::Syntax`].
    Syntax,
    /// See [`Error::Invalid`].
    Invalid,
}

impl Error {
    /// The class of the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::UnknownFormat { .. } => ErrorKind::UnknownFormat,
            Self::Syntax { .. } => ErrorKind::Syntax,
            Self::Invalid { .. } => ErrorKind::Invalid,
        }
    }

    /// Where the error sits.
    pub fn location(&self) -> Location {
        match self {
            Self::UnknownFormat { .. } => Location::Document,
            Self::Syntax { at, .. } | Self::Invalid { at, .. } => at.clone(),
        }
    }

    pub(crate) fn invalid(at: Location, reason: impl Into<String>) -> Self {
        Self::Invalid {
            at,
            reason: reason.into(),
        }
    }

    pub(crate) fn from_json(error: &serde_json::Error) -> Self {
        Self::Syntax {
            at: Location::Line {
                line: error.line(),
                column: error.column(),
            },
            reason: error.to_string(),
        }
    }

    pub(crate) fn from_xml(error: &roxmltree::Error) -> Self {
        let pos = error.pos();
        Self::Syntax {
            at: Location::Line {
                line: pos.row as usize,
                column: pos.col as usize,
            },
            reason: error.to_string(),
        }
    }
}
