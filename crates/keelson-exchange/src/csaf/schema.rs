//! The official CSAF 2.0 JSON schema, shipped in the crate and compiled once, with the
//! FIRST CVSS schemas it references registered by URI so that nothing is fetched.

use std::sync::OnceLock;

use jsonschema::{Resource, Validator};
use serde_json::Value;

use super::Violation;

const CSAF_2_0: &str = include_str!("../../schemas/csaf_json_schema.json");
const CVSS_2_0: &str = include_str!("../../schemas/cvss-v2.0.json");
const CVSS_3_0: &str = include_str!("../../schemas/cvss-v3.0.json");
const CVSS_3_1: &str = include_str!("../../schemas/cvss-v3.1.json");

/// The URIs the CSAF schema's `$ref`s name.
const CVSS_URIS: [(&str, &str); 3] = [
    ("https://www.first.org/cvss/cvss-v2.0.json", CVSS_2_0),
    ("https://www.first.org/cvss/cvss-v3.0.json", CVSS_3_0),
    ("https://www.first.org/cvss/cvss-v3.1.json", CVSS_3_1),
];

/// Longest message kept: enumeration failures list every allowed value.
const MESSAGE_LIMIT: usize = 400;

/// A CVSS schema on its own, for the mandatory test 6.1.8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CvssSchema {
    V2,
    V3_0,
    V3_1,
}

fn csaf_validator() -> Result<&'static Validator, &'static str> {
    static SLOT: OnceLock<Result<Validator, String>> = OnceLock::new();
    SLOT.get_or_init(compile_csaf)
        .as_ref()
        .map_err(String::as_str)
}

fn parse(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("shipped schema unreadable: {e}"))
}

fn compile_csaf() -> Result<Validator, String> {
    let mut options = jsonschema::options().should_validate_formats(true);
    for (uri, text) in CVSS_URIS {
        options = options.with_resource(uri, Resource::from_contents(parse(text)?));
    }
    options
        .build(&parse(CSAF_2_0)?)
        .map_err(|e| format!("shipped CSAF schema does not compile: {e}"))
}

impl CvssSchema {
    pub(crate) fn validator(self) -> Result<&'static Validator, &'static str> {
        static SLOTS: [OnceLock<Result<Validator, String>>; 3] = [const { OnceLock::new() }; 3];
        let text = match self {
            Self::V2 => CVSS_2_0,
            Self::V3_0 => CVSS_3_0,
            Self::V3_1 => CVSS_3_1,
        };
        SLOTS[self as usize]
            .get_or_init(|| {
                jsonschema::options()
                    .build(&parse(text)?)
                    .map_err(|e| format!("shipped CVSS schema does not compile: {e}"))
            })
            .as_ref()
            .map_err(String::as_str)
    }
}

/// Every schema violation of the document.
pub(crate) fn check(document: &Value) -> Vec<Violation> {
    match csaf_validator() {
        Ok(validator) => violations(validator, document, "schema", ""),
        Err(reason) => vec![Violation::new("schema", "", reason)],
    }
}

/// Every violation of `instance` against `validator`, paths prefixed with `base`.
pub(crate) fn violations(
    validator: &Validator,
    instance: &Value,
    test: &str,
    base: &str,
) -> Vec<Violation> {
    validator
        .iter_errors(instance)
        .map(|error| {
            let path = format!("{base}{}", error.instance_path().as_str());
            Violation::new(test, path, shorten(error.to_string()))
        })
        .collect()
}

fn shorten(mut message: String) -> String {
    if message.len() > MESSAGE_LIMIT {
        let mut cut = MESSAGE_LIMIT;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push('…');
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_schemas_compile_offline() {
        assert!(csaf_validator().is_ok(), "{:?}", csaf_validator().err());
        for schema in [CvssSchema::V2, CvssSchema::V3_0, CvssSchema::V3_1] {
            assert!(schema.validator().is_ok(), "{schema:?}");
        }
    }
}
