//! A PSIRT case's threat indicators: what the VSOC should watch for once the
//! case's advisory is out. Three kinds: the SHA-256 of a binary or message as
//! an event attribute carries it, a protocol marker (a CAN identifier with
//! optional payload bytes under a mask, or field values of the normalized
//! event such as a UDS service and DID), and a behaviour (a Sigma detection
//! block, checked by the detection loader where the server stores it).
//!
//! [`Indicator::check`] decides an indicator's shape, so the API and the
//! command line refuse the same indicators with the same field and reason.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::remediation::{MAX_TEXT_CHARS, PlanInvalid};

/// The longest CAN payload (CAN FD), in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 64;

/// The longest behaviour text, in bytes.
pub const MAX_BEHAVIOUR_BYTES: usize = 16 * 1024;

/// The most field/value pairs one protocol marker names.
pub const MAX_MARKER_FIELDS: usize = 16;

/// Largest 29-bit (extended) CAN identifier.
const MAX_CAN_ID: u32 = 0x1FFF_FFFF;

/// One threat indicator, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Indicator {
    /// The SHA-256 of a binary or message, as an event attribute carries it.
    Hash {
        /// 64 hexadecimal digits (kept in lower case).
        sha256: String,
        /// The event field that carries the digest; default `sha256`.
        #[serde(default = "default_hash_field")]
        field: String,
        #[serde(default)]
        description: Option<String>,
    },
    /// A CAN identifier (with payload bytes under a mask) and/or field values
    /// of the normalized event, all of which must match.
    ProtocolMarker {
        /// The frame's identifier; the marker then matches `can.frame` events.
        #[serde(default)]
        can_id: Option<u32>,
        /// Leading payload bytes in hexadecimal (spaces allowed), needs `can_id`.
        #[serde(default)]
        payload: Option<String>,
        /// One mask byte per payload byte: a 0 bit is not compared; default all ones.
        #[serde(default)]
        mask: Option<String>,
        /// Event fields (top level, else `attributes`) and the value each must have.
        #[serde(default)]
        #[schema(value_type = Object)]
        fields: BTreeMap<String, Value>,
        #[serde(default)]
        description: Option<String>,
    },
    /// A Sigma `detection` block (its selections and `condition`) as YAML text.
    Behaviour {
        detection: String,
        /// The `product: vehicle` category the detection reads (an event source
        /// such as `can` or `uds`); none: every vehicle event.
        #[serde(default)]
        category: Option<String>,
        #[serde(default)]
        description: Option<String>,
    },
}

fn default_hash_field() -> String {
    "sha256".to_owned()
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> PlanInvalid {
    PlanInvalid {
        field: field.into(),
        reason: reason.into(),
    }
}

impl Indicator {
    /// The word of the indicator's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Indicator::Hash { .. } => "hash",
            Indicator::ProtocolMarker { .. } => "protocol_marker",
            Indicator::Behaviour { .. } => "behaviour",
        }
    }

    pub fn description(&self) -> Option<&str> {
        match self {
            Indicator::Hash { description, .. }
            | Indicator::ProtocolMarker { description, .. }
            | Indicator::Behaviour { description, .. } => description.as_deref(),
        }
    }

    /// Checks the shape and returns the indicator in canonical spelling
    /// (hexadecimal in lower case without spaces).
    pub fn checked(self) -> Result<Indicator, PlanInvalid> {
        if let Some(text) = self.description() {
            check_description(text)?;
        }
        match self {
            Indicator::Hash {
                sha256,
                field,
                description,
            } => Ok(Indicator::Hash {
                sha256: check_sha256(&sha256)?,
                field: check_field_name("field", &field)?,
                description,
            }),
            Indicator::ProtocolMarker {
                can_id,
                payload,
                mask,
                fields,
                description,
            } => {
                let (payload, mask) = check_payload(can_id, payload, mask)?;
                check_marker_fields(can_id, &fields)?;
                Ok(Indicator::ProtocolMarker {
                    can_id,
                    payload,
                    mask,
                    fields,
                    description,
                })
            }
            Indicator::Behaviour {
                detection,
                category,
                description,
            } => {
                check_behaviour(&detection)?;
                Ok(Indicator::Behaviour {
                    detection,
                    category,
                    description,
                })
            }
        }
    }
}

fn check_description(text: &str) -> Result<(), PlanInvalid> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid("description", "longer than 300 characters"));
    }
    Ok(())
}

fn check_sha256(text: &str) -> Result<String, PlanInvalid> {
    let digest = text.trim().to_ascii_lowercase();
    if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid("sha256", "must be 64 hexadecimal digits"));
    }
    Ok(digest)
}

/// A field name as Sigma writes it: letters, digits, `_`, `-` and `.`
/// between names, no modifier.
fn check_field_name(what: &str, name: &str) -> Result<String, PlanInvalid> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let shaped = !name.is_empty()
        && name.len() <= 128
        && name.chars().all(allowed)
        && !name.starts_with('.')
        && !name.ends_with('.');
    if !shaped {
        let reason = format!(
            "{name:?} is not a field name (letters, digits, _ - and . between names, \
             no modifiers)"
        );
        return Err(invalid(what, reason));
    }
    Ok(name.to_owned())
}

fn hex_bytes(field: &str, text: &str) -> Result<String, PlanInvalid> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let shaped = !digits.is_empty()
        && digits.len().is_multiple_of(2)
        && digits.bytes().all(|b| b.is_ascii_hexdigit());
    if !shaped {
        return Err(invalid(field, "must be whole bytes in hexadecimal"));
    }
    if digits.len() / 2 > MAX_PAYLOAD_BYTES {
        return Err(invalid(field, "longer than 64 bytes (CAN FD)"));
    }
    Ok(digits.to_ascii_lowercase())
}

type Payload = (Option<String>, Option<String>);

fn check_payload(
    can_id: Option<u32>,
    payload: Option<String>,
    mask: Option<String>,
) -> Result<Payload, PlanInvalid> {
    if can_id.is_some_and(|id| id > MAX_CAN_ID) {
        return Err(invalid("can_id", "larger than a 29-bit identifier"));
    }
    let payload = payload
        .map(|text| hex_bytes("payload", &text))
        .transpose()?;
    let mask = mask.map(|text| hex_bytes("mask", &text)).transpose()?;
    if payload.is_some() && can_id.is_none() {
        return Err(invalid("payload", "a payload needs the frame's can_id"));
    }
    match (&payload, &mask) {
        (None, Some(_)) => Err(invalid("mask", "a mask needs a payload")),
        (Some(bytes), Some(mask)) if bytes.len() != mask.len() => {
            Err(invalid("mask", "must have one byte per payload byte"))
        }
        _ => Ok((payload, mask)),
    }
}

fn check_marker_fields(
    can_id: Option<u32>,
    fields: &BTreeMap<String, Value>,
) -> Result<(), PlanInvalid> {
    if can_id.is_none() && fields.is_empty() {
        return Err(invalid(
            "fields",
            "a marker names a can_id or at least one field",
        ));
    }
    if fields.len() > MAX_MARKER_FIELDS {
        return Err(invalid("fields", "more than 16 fields"));
    }
    for (name, value) in fields {
        let field = format!("fields.{name}");
        check_field_name(&field, name)?;
        let scalar = match value {
            Value::String(text) => !text.is_empty() && text.len() <= 1024,
            Value::Number(_) | Value::Bool(_) => true,
            Value::Null | Value::Array(_) | Value::Object(_) => false,
        };
        if !scalar {
            return Err(invalid(
                field,
                "must be a string (1 to 1024 bytes), number or boolean",
            ));
        }
    }
    Ok(())
}

fn check_behaviour(detection: &str) -> Result<(), PlanInvalid> {
    if detection.trim().is_empty() {
        return Err(invalid("detection", "must not be empty"));
    }
    if detection.len() > MAX_BEHAVIOUR_BYTES {
        return Err(invalid("detection", "longer than 16 KiB"));
    }
    if detection.contains('\t') {
        return Err(invalid("detection", "YAML indentation must not use tabs"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Indicator, PlanInvalid> {
        let indicator: Indicator = serde_json::from_str(json).expect("indicator JSON");
        indicator.checked()
    }

    #[test]
    fn hash_is_kept_in_lower_case() {
        let digest = "AB".repeat(32);
        let checked = parse(&format!(r#"{{"kind":"hash","sha256":"{digest}"}}"#));
        let Ok(Indicator::Hash { sha256, field, .. }) = checked else {
            panic!("a 64-digit hash must pass: {checked:?}");
        };
        assert_eq!(sha256, "ab".repeat(32));
        assert_eq!(field, "sha256");
    }

    #[test]
    fn short_hash_names_its_field() {
        let refused = parse(r#"{"kind":"hash","sha256":"abcd"}"#).expect_err("short");
        assert_eq!(refused.field, "sha256");
    }

    #[test]
    fn payload_is_canonical_and_mask_must_match_its_length() {
        let text =
            r#"{"kind":"protocol_marker","can_id":291,"payload":"DE AD be","mask":"ff f0 ff"}"#;
        let Ok(Indicator::ProtocolMarker { payload, mask, .. }) = parse(text) else {
            panic!("a masked payload must pass");
        };
        assert_eq!(payload.as_deref(), Some("deadbe"));
        assert_eq!(mask.as_deref(), Some("fff0ff"));
        let short = r#"{"kind":"protocol_marker","can_id":291,"payload":"dead","mask":"ff"}"#;
        assert_eq!(parse(short).expect_err("mask").field, "mask");
    }

    #[test]
    fn marker_needs_an_identifier_or_a_field() {
        let empty = parse(r#"{"kind":"protocol_marker"}"#).expect_err("empty");
        assert_eq!(empty.field, "fields");
        let orphan = parse(r#"{"kind":"protocol_marker","payload":"00"}"#).expect_err("payload");
        assert_eq!(orphan.field, "payload");
        let modifier = r#"{"kind":"protocol_marker","fields":{"sid|contains":"27"}}"#;
        assert_eq!(
            parse(modifier).expect_err("modifier").field,
            "fields.sid|contains"
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let text = r#"{"kind":"hash","sha256":"00","colour":"red"}"#;
        assert!(serde_json::from_str::<Indicator>(text).is_err());
    }
}
