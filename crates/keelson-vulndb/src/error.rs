//! The one error type of this crate: what went wrong and where in the input.

use thiserror::Error;

/// Every way a parse or an evaluation in this crate can fail.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A package URL broke the purl grammar or a type rule.
    #[error("invalid purl: {field}: {reason}")]
    Purl {
        /// The purl component at fault (scheme, type, namespace, name, ...).
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },

    /// A version string is not valid in the scheme asked for.
    #[error("invalid {scheme} version {version:?} at offset {offset}: {reason}")]
    Version {
        /// The scheme name (see [`crate::Scheme::name`]).
        scheme: &'static str,
        /// The version text as given.
        version: String,
        /// Byte offset of the first bad character.
        offset: usize,
        /// Why it was refused.
        reason: String,
    },

    /// A `vers:` range specifier broke the grammar or the ordering rules.
    #[error("invalid vers at offset {offset}: {reason}")]
    Vers {
        /// Byte offset into the specifier.
        offset: usize,
        /// Why it was refused.
        reason: String,
    },

    /// A CPE 2.3 formatted string broke the grammar.
    #[error("invalid cpe at component {component}: {reason}")]
    Cpe {
        /// Index of the colon-separated component (0 is `cpe`).
        component: usize,
        /// Why it was refused.
        reason: String,
    },

    /// An OSV range cannot be evaluated.
    #[error("invalid osv range {range}: {reason}")]
    OsvRange {
        /// Index of the range inside `affected[].ranges`.
        range: usize,
        /// Why it was refused.
        reason: String,
    },

    /// One record of an advisory feed (OSV, NVD, KEV, EPSS) could not be read; the
    /// other records of the same input are unaffected.
    #[error("invalid {format} record {record}: {reason}")]
    Record {
        /// The feed format (`osv`, `nvd`, `kev`, `epss`, `osv zip`).
        format: &'static str,
        /// The record's identifier when known, else its position (index, line, entry).
        record: String,
        /// Why it was refused.
        reason: String,
    },

    /// A CSAF document broke the CSAF 2.0 structure; `pointer` is the JSON pointer of
    /// the offending value. A fault in `/document` or `/product_tree` refuses the whole
    /// document, a fault inside one vulnerability refuses only that vulnerability.
    #[error("invalid csaf document {document} at {pointer}: {reason}")]
    Csaf {
        /// The document's tracking ID, or `document` when it cannot be read.
        document: String,
        /// JSON pointer of the value at fault (`/vulnerabilities/0/product_status`).
        pointer: String,
        /// Why it was refused.
        reason: String,
    },
}

/// The error a version comparison returns; the crate has a single error type.
pub type VersionError = Error;

impl Error {
    pub(crate) fn record(
        format: &'static str,
        record: impl Into<String>,
        why: impl ToString,
    ) -> Self {
        Error::Record {
            format,
            record: record.into(),
            reason: why.to_string(),
        }
    }

    pub(crate) fn version(scheme: &'static str, version: &str, offset: usize, why: &str) -> Self {
        Error::Version {
            scheme,
            version: version.to_owned(),
            offset,
            reason: why.to_owned(),
        }
    }
}
