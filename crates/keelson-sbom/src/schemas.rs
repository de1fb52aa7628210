//! The official JSON schemas shipped inside the crate, compiled once each, with the
//! documents they reference registered by URI so that no `$ref` is ever fetched from
//! the network or the disk.

use std::sync::OnceLock;

use jsonschema::{Draft, Resource, Validator};
use serde_json::Value;

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

    fn slot(self) -> &'static OnceLock<Result<Validator, String>> {
        static SLOTS: [OnceLock<Result<Validator, String>>; 5] = [const { OnceLock::new() }; 5];
        &SLOTS[self as usize]
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
}
