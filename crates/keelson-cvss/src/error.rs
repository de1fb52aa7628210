//! The crate's one error type: why a text is not a valid CVSS vector, and where.

use thiserror::Error;

/// Why a CVSS vector string was rejected.
///
/// Offsets are byte offsets into the trimmed input; `metric` names the
/// metric abbreviation exactly as the specification spells it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CvssError {
    /// Nothing but whitespace was given.
    #[error("empty vector")]
    Empty,

    /// A `CVSS:` prefix names a version this crate does not know, or is mis-spelt.
    #[error(
        "unknown prefix `{prefix}` at offset 0: expected `CVSS:3.0`, `CVSS:3.1`, \
         `CVSS:4.0`, or no prefix for a v2.0 vector"
    )]
    UnknownPrefix { prefix: String },

    /// Two slashes in a row, or a slash at the end.
    #[error("empty component at offset {offset} (doubled or trailing `/`)")]
    EmptyComponent { offset: usize },

    /// A component that is not `METRIC:VALUE`.
    #[error("malformed component `{component}` at offset {offset}: expected METRIC:VALUE")]
    MalformedComponent { offset: usize, component: String },

    /// A metric name that the version does not define (names are case-sensitive).
    #[error("unknown metric `{metric}` at offset {offset} for CVSS {version}")]
    UnknownMetric {
        offset: usize,
        metric: String,
        version: String,
    },

    /// The same metric given twice.
    #[error("duplicate metric `{metric}` at offset {offset}")]
    DuplicateMetric { offset: usize, metric: String },

    /// A value outside the metric's allowed set (values are case-sensitive).
    #[error(
        "bad value `{value}` for metric `{metric}` at offset {offset}: expected one of {allowed}"
    )]
    BadValue {
        offset: usize,
        metric: String,
        value: String,
        allowed: String,
    },

    /// A mandatory base metric is absent.
    #[error("missing mandatory base metric `{metric}` for CVSS {version}")]
    MissingMetric { metric: String, version: String },

    /// The scoring library refused a vector this crate had validated; a bug, not bad input.
    #[error("internal scoring error for `{vector}`: {reason}")]
    Internal { vector: String, reason: String },
}

/// The class of a [`CvssError`], for callers that branch (e.g. to an HTTP status)
/// without matching on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    Empty,
    UnknownPrefix,
    Syntax,
    UnknownMetric,
    DuplicateMetric,
    BadValue,
    MissingMetric,
    Internal,
}

impl CvssError {
    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Empty => ErrorKind::Empty,
            Self::UnknownPrefix { .. } => ErrorKind::UnknownPrefix,
            Self::EmptyComponent { .. } | Self::MalformedComponent { .. } => ErrorKind::Syntax,
            Self::UnknownMetric { .. } => ErrorKind::UnknownMetric,
            Self::DuplicateMetric { .. } => ErrorKind::DuplicateMetric,
            Self::BadValue { .. } => ErrorKind::BadValue,
            Self::MissingMetric { .. } => ErrorKind::MissingMetric,
            Self::Internal { .. } => ErrorKind::Internal,
        }
    }

    /// The metric the error is about, when there is one.
    pub fn metric(&self) -> Option<&str> {
        match self {
            Self::UnknownMetric { metric, .. }
            | Self::DuplicateMetric { metric, .. }
            | Self::BadValue { metric, .. }
            | Self::MissingMetric { metric, .. } => Some(metric),
            _ => None,
        }
    }
}
