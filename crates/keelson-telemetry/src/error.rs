//! The crate's one error type: every failure says where (line or byte offset) and why.

use std::fmt;

/// Where in an input a problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// A 1-based line number in a text input.
    Line(u64),
    /// A 0-based byte offset in a binary input.
    Offset(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(line) => write!(f, "line {line}"),
            Position::Offset(offset) => write!(f, "byte offset {offset}"),
        }
    }
}

/// The broad class of an error, so callers can branch without matching text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// One record is malformed; the stream goes on after it.
    Record,
    /// The input could not be read; the stream ends.
    Io,
    /// A DBC database could not be parsed or merged.
    Dbc,
    /// An event does not satisfy the normalized event's rules.
    Event,
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// One record (line or binary message) could not be decoded.
    #[error("{position}: {reason}")]
    Record {
        /// Where the record starts.
        position: Position,
        /// Why it was rejected.
        reason: String,
    },
    /// Reading the input failed.
    #[error("{position}: read failed: {source}")]
    Io {
        /// Where reading stopped.
        position: Position,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },
    /// A DBC text could not be parsed or an import could not be resolved.
    #[error("dbc {name}: {reason}")]
    Dbc {
        /// The DBC's name as given by the caller.
        name: String,
        /// Why it was rejected.
        reason: String,
    },
    /// An event broke one of the normalized event's rules.
    #[error("event field {field}: {reason}")]
    Event {
        /// The offending field.
        field: &'static str,
        /// Why it was rejected.
        reason: String,
    },
}

impl Error {
    /// A malformed record at `position`.
    pub fn record(position: Position, reason: impl Into<String>) -> Self {
        Error::Record {
            position,
            reason: reason.into(),
        }
    }

    /// The broad class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Record { .. } => ErrorKind::Record,
            Error::Io { .. } => ErrorKind::Io,
            Error::Dbc { .. } => ErrorKind::Dbc,
            Error::Event { .. } => ErrorKind::Event,
        }
    }

    /// Where the error was found, when it concerns a position in an input.
    pub fn position(&self) -> Option<Position> {
        match self {
            Error::Record { position, .. } | Error::Io { position, .. } => Some(*position),
            Error::Dbc { .. } | Error::Event { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_error_message_names_line_and_reason() {
        let error = Error::record(Position::Line(7), "bad id");
        assert_eq!(error.to_string(), "line 7: bad id");
        assert_eq!(error.position(), Some(Position::Line(7)));
        assert_eq!(error.kind(), ErrorKind::Record);
    }
}
