//! The crate's one error type: what went wrong while loading rules or reading events.

use thiserror::Error;

/// Errors returned by rule loading and event evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DetectError {
    /// The YAML text could not be parsed.
    #[error("{source_name}:{line}: yaml syntax: {reason}")]
    Yaml {
        /// Name of the rule source (usually a file path).
        source_name: String,
        /// 1-based line of the problem.
        line: usize,
        /// What the parser reported.
        reason: String,
    },
    /// The YAML was well formed but is not a valid Sigma document.
    #[error("{source_name}:{line}: invalid rule: {reason}")]
    Rule {
        /// Name of the rule source (usually a file path).
        source_name: String,
        /// 1-based line of the offending node.
        line: usize,
        /// Why the rule was rejected.
        reason: String,
    },
}

impl DetectError {
    /// A stable, machine-readable category for callers that branch on the error.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Yaml { .. } => "yaml",
            Self::Rule { .. } => "rule",
        }
    }

    /// The 1-based line the error refers to.
    pub fn line(&self) -> usize {
        match self {
            Self::Yaml { line, .. } | Self::Rule { line, .. } => *line,
        }
    }
}
