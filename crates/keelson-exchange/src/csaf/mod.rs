//! CSAF 2.0 validation: the official JSON schema and the mandatory tests of the
//! specification's section 6.1, each violation named by its test and JSON pointer.

mod cvss;
mod document;
mod mandatory;
mod product_ids;
mod profiles;
mod revisions;
mod schema;
mod vulnerabilities;

use serde::Serialize;
use serde_json::Value;

pub use mandatory::{IMPLEMENTED, NOT_IMPLEMENTED};

/// One reason a document is not valid CSAF 2.0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// `schema`, or the mandatory test's section number (`6.1.27.9`).
    pub test: String,
    /// JSON pointer into the document (`""` for the whole document).
    pub path: String,
    /// Why.
    pub message: String,
}

impl Violation {
    pub(crate) fn new(test: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            test: test.to_owned(),
            path: path.into(),
            message: message.into(),
        }
    }
}

/// The verdict on one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    /// No violation found.
    pub valid: bool,
    /// Every violation, schema first, then the mandatory tests in section order.
    pub errors: Vec<Violation>,
}

/// Validates a CSAF 2.0 document given as bytes. Bytes that are not JSON give one
/// `schema` violation saying where; nothing panics and nothing is fetched.
pub fn validate(bytes: &[u8]) -> Validation {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(document) => validate_value(&document),
        Err(error) => verdict(vec![Violation::new(
            "schema",
            "",
            format!("not JSON: {error}"),
        )]),
    }
}

/// Validates a parsed CSAF 2.0 document: schema, then every implemented mandatory test.
/// The mandatory tests run even on a schema-invalid document, on whatever parts are
/// well-formed, so one run reports everything it can.
pub fn validate_value(document: &Value) -> Validation {
    let mut errors = schema::check(document);
    errors.extend(mandatory::run(document));
    verdict(errors)
}

/// The violations of the mandatory tests alone (no schema check).
pub fn mandatory_violations(document: &Value) -> Vec<Violation> {
    mandatory::run(document)
}

fn verdict(errors: Vec<Violation>) -> Validation {
    Validation {
        valid: errors.is_empty(),
        errors,
    }
}
