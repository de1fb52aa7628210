//! TLP markings in STIX 2.1: the four TLP 1.0 marking-definitions the STIX 2.1
//! specification defines (section 7.2.1.4) and the five TLP 2.0 ones published by
//! the OASIS CTI TC with the `tlp-2.0` extension definition. Their IDs are fixed,
//! so a reference to one names its label wherever it appears.

use keelson_core::Tlp;
use serde_json::{Value, json};

/// The extension definition of TLP 2.0 marking-definitions.
pub const TLP2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// When the TLP 2.0 marking-definitions were created (as published).
const TLP2_CREATED: &str = "2022-10-01T00:00:00.000Z";

/// The published TLP 2.0 marking-definition IDs.
const TLP2: [(Tlp, &str); 5] = [
    (
        Tlp::Clear,
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    ),
    (
        Tlp::Green,
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    ),
    (
        Tlp::Amber,
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    ),
    (
        Tlp::AmberStrict,
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    ),
    (
        Tlp::Red,
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    ),
];

/// The TLP 1.0 marking-definition IDs of the STIX 2.1 specification; WHITE is
/// read as CLEAR, which TLP 2.0 says replaces it.
const TLP1: [(Tlp, &str); 4] = [
    (
        Tlp::Clear,
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    ),
    (
        Tlp::Green,
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    ),
    (
        Tlp::Amber,
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    ),
    (
        Tlp::Red,
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
    ),
];

/// The label a well-known TLP marking-definition ID stands for (TLP 1.0 or 2.0).
pub fn known_tlp(marking_ref: &str) -> Option<Tlp> {
    TLP2.iter()
        .chain(TLP1.iter())
        .find(|(_, id)| *id == marking_ref)
        .map(|(tlp, _)| *tlp)
}

/// The TLP 2.0 marking-definition ID of a label.
pub fn tlp2_id(tlp: Tlp) -> &'static str {
    TLP2.iter()
        .find(|(label, _)| *label == tlp)
        .map_or(TLP2[4].1, |(_, id)| id)
}

/// The TLP 2.0 marking-definition object of a label, as published.
pub fn tlp2_marking_definition(tlp: Tlp) -> Value {
    json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": tlp2_id(tlp),
        "created": TLP2_CREATED,
        "name": format!("TLP:{}", tlp.as_str()),
        "extensions": {
            TLP2_EXTENSION: {
                "extension_type": "property-extension",
                "tlp_2_0": tlp.as_str().to_ascii_lowercase(),
            }
        }
    })
}

/// The label a marking-definition object states, from its TLP 1.0 `definition`
/// or its TLP 2.0 extension; `Ok(None)` for a marking of another kind.
pub(crate) fn stated_tlp(object: &Value) -> Result<Option<Tlp>, (String, String)> {
    if let Some(extension) = object.pointer(&format!("/extensions/{TLP2_EXTENSION}")) {
        let label = extension.get("tlp_2_0").and_then(Value::as_str);
        return parse_label(label, &format!("/extensions/{TLP2_EXTENSION}/tlp_2_0")).map(Some);
    }
    if object.get("definition_type").and_then(Value::as_str) == Some("tlp") {
        let label = object.pointer("/definition/tlp").and_then(Value::as_str);
        let tlp = parse_label(label, "/definition/tlp")?;
        if tlp == Tlp::AmberStrict {
            let reason = "TLP 1.0 has no AMBER+STRICT".to_owned();
            return Err(("/definition/tlp".to_owned(), reason));
        }
        return Ok(Some(tlp));
    }
    Ok(None)
}

fn parse_label(label: Option<&str>, at: &str) -> Result<Tlp, (String, String)> {
    let Some(label) = label else {
        return Err((at.to_owned(), "a TLP label is required".to_owned()));
    };
    label
        .parse::<Tlp>()
        .map_err(|error| (at.to_owned(), error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlp_1_0_white_is_read_as_clear() {
        let white = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";
        assert_eq!(known_tlp(white), Some(Tlp::Clear));
        let red = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed";
        assert_eq!(known_tlp(red), Some(Tlp::Red));
        assert_eq!(
            known_tlp("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ec"),
            None
        );
    }

    #[test]
    fn every_label_has_a_distinct_tlp2_definition_that_reads_back() {
        for tlp in Tlp::ALL {
            let object = tlp2_marking_definition(tlp);
            assert_eq!(stated_tlp(&object), Ok(Some(tlp)));
            assert_eq!(known_tlp(tlp2_id(tlp)), Some(tlp));
        }
    }

    #[test]
    fn a_statement_marking_states_no_label() {
        let statement = json!({"definition_type": "statement", "definition": {"statement": "x"}});
        assert_eq!(stated_tlp(&statement), Ok(None));
    }
}
