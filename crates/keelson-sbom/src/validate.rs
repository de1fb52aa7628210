//! Validation that lists every problem of a document: JSON against the official schema
//! of its version (CycloneDX JSON one element of its big arrays at a time), CycloneDX
//! XML and SPDX tag-value by structural checks.

use jsonschema::{ValidationError, Validator};
use serde::Serialize;
use serde_json::Value;

use crate::detect::{Decoded, decode};
use crate::error::{Error, Location};
use crate::schemas::Schema;
use crate::{cyclonedx, spdx};

/// Longest message kept; schema messages that list a whole enumeration (the SPDX
/// licence list) are cut here.
pub(crate) const MESSAGE_LIMIT: usize = 400;

/// One reason a document is not valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where: a JSON pointer into the instance, or a line.
    pub at: Location,
    /// Why.
    pub message: String,
    /// The schema keyword that failed, as a JSON pointer into the schema, for schema
    /// problems.
    pub schema_path: Option<String>,
}

impl Problem {
    pub(crate) fn new(at: Location, message: impl Into<String>) -> Self {
        let mut message = message.into();
        if message.len() > MESSAGE_LIMIT {
            let mut cut = MESSAGE_LIMIT;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push('…');
        }
        Self {
            at,
            message,
            schema_path: None,
        }
    }

    pub(crate) fn from_error(error: &Error) -> Self {
        Self::new(error.location(), error.to_string())
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// Every problem of a document; empty means valid. Never panics and never fetches
/// anything: unreadable input is one problem saying where and why.
pub fn validate(bytes: &[u8]) -> Vec<Problem> {
    let decoded = match decode(bytes) {
        Ok(decoded) => decoded,
        Err(error) => return vec![Problem::from_error(&error)],
    };
    match decoded {
        Decoded::CycloneDxJson(doc) => match doc.schema {
            Some(schema) => cyclonedx::json_check::check(schema, doc.text),
            None => vec![unsupported("CycloneDX", doc.version.as_deref())],
        },
        Decoded::SpdxJson(root) => match root.schema {
            Some(schema) => against_schema(schema, &root.value),
            None => vec![unsupported("SPDX", root.version.as_deref())],
        },
        Decoded::CycloneDxXml(doc) => {
            let mut problems = cyclonedx::xml_check::check(&doc);
            if problems.is_empty() {
                problems.extend(
                    cyclonedx::xml::read(&doc)
                        .err()
                        .map(|e| Problem::from_error(&e)),
                );
            }
            problems
        }
        Decoded::SpdxTagValue(text) => tag_value_problems(text),
    }
}

fn unsupported(family: &str, version: Option<&str>) -> Problem {
    let version = version.unwrap_or("without a version");
    let message = format!("no schema shipped for {family} {version}");
    Problem::new(Location::Document, message)
}

/// Every problem of a whole document under the schema of its version.
pub(crate) fn against_schema(schema: Schema, instance: &Value) -> Vec<Problem> {
    match schema.validator() {
        Ok(validator) => schema_problems(validator, instance, "", ""),
        Err(reason) => vec![Problem::new(Location::Document, reason)],
    }
}

/// The problems of `instance`, a value found at pointer `at` in the document and
/// checked by `validator`, the schema found at `schema_at` in the root schema: both
/// prefixes are put before the paths jsonschema reports.
pub(crate) fn schema_problems(
    validator: &Validator,
    instance: &Value,
    at: &str,
    schema_at: &str,
) -> Vec<Problem> {
    if validator.is_valid(instance) {
        return Vec::new();
    }
    validator
        .iter_errors(instance)
        .map(|error| {
            let pointer = format!("{at}{}", error.instance_path().as_str());
            schema_problem(&error, pointer, schema_at)
        })
        .collect()
}

/// One jsonschema error as a problem at `pointer`, its schema path after `schema_at`.
pub(crate) fn schema_problem(
    error: &ValidationError<'_>,
    pointer: String,
    schema_at: &str,
) -> Problem {
    let mut problem = Problem::new(Location::pointer(pointer), error.to_string());
    problem.schema_path = Some(format!("{schema_at}{}", error.schema_path().as_str()));
    problem
}

/// The tags SPDX 2.x requires of every document.
const REQUIRED_DOCUMENT_TAGS: [&str; 7] = [
    "SPDXVersion",
    "DataLicense",
    "SPDXID",
    "DocumentName",
    "DocumentNamespace",
    "Creator",
    "Created",
];

/// Tag-value has no schema: the document must read, carry the required document tags,
/// and be a version with a shipped schema.
fn tag_value_problems(text: &str) -> Vec<Problem> {
    let entries = match spdx::tag_value::entries(text) {
        Ok(entries) => entries,
        Err(error) => return vec![Problem::from_error(&error)],
    };
    let mut problems: Vec<Problem> = REQUIRED_DOCUMENT_TAGS
        .iter()
        .filter(|tag| !entries.iter().any(|e| e.tag == **tag))
        .map(|tag| {
            Problem::new(
                Location::Document,
                format!("required tag `{tag}` is missing"),
            )
        })
        .collect();
    match spdx::tag_value::read(text) {
        Ok(sbom) if Schema::spdx(&sbom.format.spec_version).is_none() => {
            problems.push(unsupported("SPDX", Some(&sbom.format.spec_version)));
        }
        Ok(_) => {}
        Err(error) => problems.push(Problem::from_error(&error)),
    }
    problems
}
