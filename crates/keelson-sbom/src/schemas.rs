//! The official JSON schemas shipped inside the crate, compiled once each, with the
//! documents they reference registered by URI so that no `$ref` is ever fetched from
//! the network or the disk; and, for the big arrays of a CycloneDX document, what it
//! takes to check them one element at a time.

use std::sync::OnceLock;

use jsonschema::{Draft, Resource, Validator};
use serde_json::{Value, json};

const BOM_1_4: &str = include_str!("../schemas/bom-1.4.schema.json");
const BOM_1_5: &str = include_str!("../schemas/bom-1.5.schema.json");
const BOM_1_6: &str = include_str!("../schemas/bom-1.6.schema.json");
const JSF_0_82: &str = include_str!("../schemas/jsf-0.82.schema.json");
const SPDX_LICENSE_IDS: &str = include_str!("../schemas/spdx.schema.json");
const SPDX_2_2: &str = include_str!("../schemas/spdx-2.2.schema.json");
const SPDX_2_3: &str = include_str!("../schemas/spdx-2.3.schema.json");

/// Where the CycloneDX schemas expect their two companions (their relative `$ref`s
/// resolved against `http://cyclonedx.org/schema/`).
const JSF_URI: &str = "http://cyclonedx.org/schema/jsf-0.82.schema.json";
const SPDX_LICENSE_IDS_URI: &str = "http://cyclonedx.org/schema/spdx.schema.json";

/// A schema this crate ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// CycloneDX 1.4.
    CycloneDx14,
    /// CycloneDX 1.5.
    CycloneDx15,
    /// CycloneDX 1.6.
    CycloneDx16,
    /// SPDX 2.2.
    Spdx22,
    /// SPDX 2.3.
    Spdx23,
}

impl Schema {
    /// The schema for a CycloneDX `specVersion`, if shipped.
    pub fn cyclonedx(spec_version: &str) -> Option<Self> {
        match spec_version {
            "1.4" => Some(Self::CycloneDx14),
            "1.5" => Some(Self::CycloneDx15),
            "1.6" => Some(Self::CycloneDx16),
            _ => None,
        }
    }

    /// The schema for an SPDX version (`2.3` or `SPDX-2.3`), if shipped.
    pub fn spdx(version: &str) -> Option<Self> {
        match version.trim_start_matches("SPDX-") {
            "2.2" => Some(Self::Spdx22),
            "2.3" => Some(Self::Spdx23),
            _ => None,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Self::CycloneDx14 => BOM_1_4,
            Self::CycloneDx15 => BOM_1_5,
            Self::CycloneDx16 => BOM_1_6,
            Self::Spdx22 => SPDX_2_2,
            Self::Spdx23 => SPDX_2_3,
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn slot(self) -> &'static OnceLock<Result<Validator, String>> {
        static SLOTS: [OnceLock<Result<Validator, String>>; 5] = [const { OnceLock::new() }; 5];
        &SLOTS[self.index()]
    }

    /// The compiled validator; an `Err` would mean a shipped schema is broken.
    pub(crate) fn validator(self) -> Result<&'static Validator, &'static str> {
        self.slot()
            .get_or_init(|| compile(self))
            .as_ref()
            .map_err(String::as_str)
    }

    /// The schema document itself, parsed.
    pub(crate) fn document(self) -> Result<Value, String> {
        serde_json::from_str(self.text()).map_err(|e| format!("shipped schema unreadable: {e}"))
    }

    /// What checking `array` element by element needs to know; an `Err` says why it
    /// cannot be (a schema other than CycloneDX's, or an array schema with keywords
    /// that look at the whole array).
    pub(crate) fn array_rules(self, array: TopArray) -> Result<&'static ArrayRules, &'static str> {
        static SLOTS: [OnceLock<Result<ArrayRules, String>>; 10] = [const { OnceLock::new() }; 10];
        SLOTS[self.index() * TopArray::ALL.len() + array as usize]
            .get_or_init(|| array_rules(self, array))
            .as_ref()
            .map_err(String::as_str)
    }
}

/// A top-level array of a CycloneDX document that is read and validated one element
/// at a time, because it is the one that grows with the component graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TopArray {
    /// `components`.
    Components,
    /// `dependencies`.
    Dependencies,
}

impl TopArray {
    /// Both, in the order their problems are listed.
    pub(crate) const ALL: [Self; 2] = [Self::Components, Self::Dependencies];

    /// The member name.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Components => "components",
            Self::Dependencies => "dependencies",
        }
    }
}

/// What checking a top-level array element by element needs from the root schema.
#[derive(Debug)]
pub(crate) struct ArrayRules {
    /// Where the array's schema sits in the root schema (`/properties/components`).
    pub(crate) array_path: String,
    /// Whether the array's elements must be unique (`uniqueItems: true`).
    pub(crate) unique: bool,
    /// A `specVersion` the schema accepts, for the one-element documents an element is
    /// checked in.
    pub(crate) spec_version: &'static str,
}

/// The keywords an array schema may have for element-by-element checking to give what
/// checking the whole array gives: `items` applies to each element alone, `uniqueItems`
/// is checked across elements by [`crate::unique_items`], `type` is checked on the rest
/// of the document (where the array is left empty), `additionalItems` does nothing
/// beside a single `items` schema, and the others are annotations.
const ELEMENT_WISE_KEYWORDS: [&str; 6] = [
    "type",
    "items",
    "uniqueItems",
    "additionalItems",
    "title",
    "description",
];

/// The validator `{"uniqueItems": true}`, which tells whether two elements are equal the
/// way the schemas' `uniqueItems` does, and words the problem the same way.
pub(crate) fn unique_items() -> Result<&'static Validator, &'static str> {
    static SLOT: OnceLock<Result<Validator, String>> = OnceLock::new();
    SLOT.get_or_init(|| {
        jsonschema::options()
            .with_draft(Draft::Draft7)
            .build(&json!({"uniqueItems": true}))
            .map_err(|e| format!("uniqueItems does not compile: {e}"))
    })
    .as_ref()
    .map_err(String::as_str)
}

fn compile(schema: Schema) -> Result<Validator, String> {
    let document = schema.document()?;
    let jsf: Value = serde_json::from_str(JSF_0_82).map_err(|e| e.to_string())?;
    let licence_ids: Value = serde_json::from_str(SPDX_LICENSE_IDS).map_err(|e| e.to_string())?;
    jsonschema::options()
        .with_draft(Draft::Draft7)
        .should_validate_formats(true)
        .with_resource(JSF_URI, Resource::from_contents(jsf))
        .with_resource(SPDX_LICENSE_IDS_URI, Resource::from_contents(licence_ids))
        .build(&document)
        .map_err(|e| format!("shipped schema does not compile: {e}"))
}

/// Reads the array's schema and makes sure that checking its elements one at a time
/// misses nothing a check of the whole array finds.
fn array_rules(schema: Schema, array: TopArray) -> Result<ArrayRules, String> {
    let spec_version = match schema {
        Schema::CycloneDx14 => "1.4",
        Schema::CycloneDx15 => "1.5",
        Schema::CycloneDx16 => "1.6",
        Schema::Spdx22 | Schema::Spdx23 => return Err(format!("{schema:?} has no {array:?}")),
    };
    let document = schema.document()?;
    let array_path = format!("/properties/{}", array.key());
    let array_schema = document
        .pointer(&array_path)
        .and_then(Value::as_object)
        .ok_or_else(|| format!("{schema:?} has no schema at {array_path}"))?;
    if let Some(keyword) = array_schema
        .keys()
        .find(|k| !ELEMENT_WISE_KEYWORDS.contains(&k.as_str()))
    {
        return Err(format!(
            "{array_path} has `{keyword}`, which needs the whole array"
        ));
    }
    if !array_schema.get("items").is_some_and(Value::is_object) {
        return Err(format!("{array_path} has no single `items` schema"));
    }
    Ok(ArrayRules {
        unique: array_schema.get("uniqueItems") == Some(&Value::Bool(true)),
        array_path,
        spec_version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_schema_compiles_offline() {
        let all = [
            Schema::CycloneDx14,
            Schema::CycloneDx15,
            Schema::CycloneDx16,
            Schema::Spdx22,
            Schema::Spdx23,
        ];
        for schema in all {
            assert!(
                schema.validator().is_ok(),
                "{schema:?}: {:?}",
                schema.validator().err()
            );
        }
    }

    #[test]
    fn every_cyclonedx_schema_checks_its_arrays_element_by_element() {
        for schema in [
            Schema::CycloneDx14,
            Schema::CycloneDx15,
            Schema::CycloneDx16,
        ] {
            for array in TopArray::ALL {
                let rules = schema.array_rules(array);
                assert!(rules.is_ok(), "{schema:?} {array:?}: {:?}", rules.err());
                assert!(rules.is_ok_and(|r| r.unique), "{schema:?} {array:?}");
            }
        }
        assert!(Schema::Spdx23.array_rules(TopArray::Components).is_err());
    }
}
