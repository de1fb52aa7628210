//! Reading a STIX 2.1 bundle (or a single STIX object, which the specification
//! lets travel alone) into the kept objects and the counts per type.

use std::collections::BTreeMap;

use keelson_core::Tlp;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::tlp::{known_tlp, stated_tlp};
use super::{
    AttackPattern, Body, Bundle, ExternalReference, Indicator, KillChainPhase, Meta, Relationship,
    StixObject, Vulnerability,
};
use crate::Error;

type Object = Map<String, Value>;

/// Reads a bundle's kept objects; a kept object that breaks STIX 2.1 refuses the
/// whole bundle, with the JSON pointer of the fault.
pub fn read_bundle(bytes: &[u8]) -> Result<Bundle, Error> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| Error::from_json(&e))?;
    let objects = top_level_objects(&value)?;
    let markings = bundle_markings(&objects)?;

    let mut bundle = Bundle::default();
    for (at, object) in &objects {
        let kind = envelope(object, at)?;
        *bundle.counts.entry(kind.to_owned()).or_default() += 1;
        match kept_body(kind, object, at)? {
            Some(body) => {
                let meta = meta(object, at, &markings)?;
                bundle.objects.push(StixObject { meta, body });
            }
            None if kind == "marking-definition" && markings.contains_key(id_of(object)) => {}
            None => *bundle.not_kept.entry(kind.to_owned()).or_default() += 1,
        }
    }
    Ok(bundle)
}

/// The objects with their pointers: a bundle's `objects`, or the one object.
fn top_level_objects(value: &Value) -> Result<Vec<(String, &Object)>, Error> {
    let Some(top) = value.as_object() else {
        return Err(Error::invalid("", "expected a STIX bundle (a JSON object)"));
    };
    if text(top, "type") != Some("bundle") {
        envelope(top, "")?;
        return Ok(vec![(String::new(), top)]);
    }
    identifier(top, "id", "", Some("bundle"))?;
    let Some(items) = top.get("objects") else {
        return Ok(Vec::new());
    };
    let Some(items) = items.as_array() else {
        return Err(Error::invalid(
            "/objects",
            "expected an array of STIX objects",
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = format!("/objects/{i}");
            match item.as_object() {
                Some(object) => Ok((at, object)),
                None => Err(Error::invalid(at, "expected a STIX object")),
            }
        })
        .collect()
}

/// The TLP of every TLP marking-definition in the bundle, by ID.
fn bundle_markings(objects: &[(String, &Object)]) -> Result<BTreeMap<String, Tlp>, Error> {
    let mut markings = BTreeMap::new();
    for (at, object) in objects {
        if text(object, "type") != Some("marking-definition") {
            continue;
        }
        let id = identifier(object, "id", at, Some("marking-definition"))?;
        let value = Value::Object((*object).clone());
        let stated = stated_tlp(&value)
            .map_err(|(field, reason)| Error::invalid(format!("{at}{field}"), reason))?;
        let Some(tlp) = stated else { continue };
        if let Some(known) = known_tlp(id).filter(|known| *known != tlp) {
            let reason = format!("states TLP:{tlp} but its ID is TLP:{known}'s");
            return Err(Error::invalid(format!("{at}/id"), reason));
        }
        markings.insert(id.to_owned(), tlp);
    }
    Ok(markings)
}

/// Checks `type` and `id` (which every STIX object has) and returns the type.
fn envelope<'a>(object: &'a Object, at: &str) -> Result<&'a str, Error> {
    let kind = required(object, "type", at)?;
    if !is_type_name(kind) {
        let reason = format!("{kind:?} is no STIX type name (3 to 250 of a-z, 0-9 and -)");
        return Err(Error::invalid(format!("{at}/type"), reason));
    }
    identifier(object, "id", at, Some(kind))?;
    Ok(kind)
}

fn kept_body(kind: &str, object: &Object, at: &str) -> Result<Option<Body>, Error> {
    let body = match kind {
        "indicator" => Body::Indicator(indicator(object, at)?),
        "attack-pattern" => Body::AttackPattern(attack_pattern(object, at)?),
        "vulnerability" => Body::Vulnerability(vulnerability(object, at)?),
        "relationship" => Body::Relationship(relationship(object, at)?),
        _ => return Ok(None),
    };
    Ok(Some(body))
}

fn meta(object: &Object, at: &str, markings: &BTreeMap<String, Tlp>) -> Result<Meta, Error> {
    let spec_version = required(object, "spec_version", at)?;
    if spec_version != "2.1" {
        let reason = format!("spec_version {spec_version:?}: Keelson reads STIX 2.1");
        return Err(Error::invalid(format!("{at}/spec_version"), reason));
    }
    let created = timestamp(object, "created", at, true)?;
    let modified = timestamp(object, "modified", at, true)?;
    if parse_time(&modified) < parse_time(&created) {
        let reason = "modified is before created";
        return Err(Error::invalid(format!("{at}/modified"), reason));
    }
    Ok(Meta {
        id: id_of(object).to_owned(),
        created,
        modified,
        tlp: object_tlp(object, at, markings)?,
    })
}

/// The strictest TLP among the object's markings (object and granular).
fn object_tlp(
    object: &Object,
    at: &str,
    markings: &BTreeMap<String, Tlp>,
) -> Result<Option<Tlp>, Error> {
    let mut refs = Vec::new();
    for (i, marking) in string_list(object, "object_marking_refs", at)?
        .iter()
        .enumerate()
    {
        refs.push((format!("{at}/object_marking_refs/{i}"), marking.clone()));
    }
    for (i, granular) in items(object, "granular_markings", at)?.iter().enumerate() {
        let here = format!("{at}/granular_markings/{i}");
        let granular = granular
            .as_object()
            .ok_or_else(|| Error::invalid(&here, "expected a granular marking object"))?;
        if let Some(marking) = optional(granular, "marking_ref", &here)? {
            refs.push((format!("{here}/marking_ref"), marking.to_owned()));
        }
    }
    let mut strictest = None;
    for (here, marking) in refs {
        if !is_identifier(&marking, Some("marking-definition")) {
            let reason = format!("{marking:?} is no marking-definition identifier");
            return Err(Error::invalid(here, reason));
        }
        let tlp = markings
            .get(&marking)
            .copied()
            .or_else(|| known_tlp(&marking));
        strictest = strictest.max(tlp);
    }
    Ok(strictest)
}

fn indicator(object: &Object, at: &str) -> Result<Indicator, Error> {
    let valid_from = timestamp(object, "valid_from", at, false)?;
    let valid_until = optional_timestamp(object, "valid_until", at)?;
    if let Some(until) = &valid_until
        && parse_time(until) <= parse_time(&valid_from)
    {
        let reason = "valid_until must be later than valid_from";
        return Err(Error::invalid(format!("{at}/valid_until"), reason));
    }
    Ok(Indicator {
        name: optional(object, "name", at)?.map(str::to_owned),
        description: optional(object, "description", at)?.map(str::to_owned),
        pattern: required(object, "pattern", at)?.to_owned(),
        pattern_type: required(object, "pattern_type", at)?.to_owned(),
        valid_from,
        valid_until,
        labels: string_list(object, "labels", at)?,
    })
}

fn attack_pattern(object: &Object, at: &str) -> Result<AttackPattern, Error> {
    Ok(AttackPattern {
        name: required(object, "name", at)?.to_owned(),
        description: optional(object, "description", at)?.map(str::to_owned),
        external_references: external_references(object, at)?,
        kill_chain_phases: kill_chain_phases(object, at)?,
    })
}

fn vulnerability(object: &Object, at: &str) -> Result<Vulnerability, Error> {
    Ok(Vulnerability {
        name: required(object, "name", at)?.to_owned(),
        description: optional(object, "description", at)?.map(str::to_owned),
        external_references: external_references(object, at)?,
    })
}

fn relationship(object: &Object, at: &str) -> Result<Relationship, Error> {
    Ok(Relationship {
        relationship_type: required(object, "relationship_type", at)?.to_owned(),
        source_ref: identifier(object, "source_ref", at, None)?.to_owned(),
        target_ref: identifier(object, "target_ref", at, None)?.to_owned(),
        description: optional(object, "description", at)?.map(str::to_owned),
    })
}

fn external_references(object: &Object, at: &str) -> Result<Vec<ExternalReference>, Error> {
    let mut references = Vec::new();
    for (i, item) in items(object, "external_references", at)?.iter().enumerate() {
        let here = format!("{at}/external_references/{i}");
        let item = item
            .as_object()
            .ok_or_else(|| Error::invalid(&here, "expected an external reference object"))?;
        references.push(ExternalReference {
            source_name: required(item, "source_name", &here)?.to_owned(),
            external_id: optional(item, "external_id", &here)?.map(str::to_owned),
            url: optional(item, "url", &here)?.map(str::to_owned),
            description: optional(item, "description", &here)?.map(str::to_owned),
        });
    }
    Ok(references)
}

fn kill_chain_phases(object: &Object, at: &str) -> Result<Vec<KillChainPhase>, Error> {
    let mut phases = Vec::new();
    for (i, item) in items(object, "kill_chain_phases", at)?.iter().enumerate() {
        let here = format!("{at}/kill_chain_phases/{i}");
        let item = item
            .as_object()
            .ok_or_else(|| Error::invalid(&here, "expected a kill chain phase object"))?;
        phases.push(KillChainPhase {
            kill_chain_name: required(item, "kill_chain_name", &here)?.to_owned(),
            phase_name: required(item, "phase_name", &here)?.to_owned(),
        });
    }
    Ok(phases)
}

fn id_of(object: &Object) -> &str {
    text(object, "id").unwrap_or_default()
}

fn text<'a>(object: &'a Object, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

/// A string member that must be present and not empty.
fn required<'a>(object: &'a Object, key: &str, at: &str) -> Result<&'a str, Error> {
    match optional(object, key, at)? {
        Some(value) if !value.is_empty() => Ok(value),
        Some(_) => Err(Error::invalid(format!("{at}/{key}"), "must not be empty")),
        None => Err(Error::invalid(format!("{at}/{key}"), "is required")),
    }
}

/// A string member that may be absent.
fn optional<'a>(object: &'a Object, key: &str, at: &str) -> Result<Option<&'a str>, Error> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(Error::invalid(format!("{at}/{key}"), "expected a string")),
    }
}

/// An array member that may be absent.
fn items<'a>(object: &'a Object, key: &str, at: &str) -> Result<&'a [Value], Error> {
    match object.get(key) {
        None => Ok(&[]),
        Some(Value::Array(values)) => Ok(values),
        Some(_) => Err(Error::invalid(format!("{at}/{key}"), "expected an array")),
    }
}

fn string_list(object: &Object, key: &str, at: &str) -> Result<Vec<String>, Error> {
    let mut strings = Vec::new();
    for (i, item) in items(object, key, at)?.iter().enumerate() {
        match item.as_str() {
            Some(value) => strings.push(value.to_owned()),
            None => {
                return Err(Error::invalid(
                    format!("{at}/{key}/{i}"),
                    "expected a string",
                ));
            }
        }
    }
    Ok(strings)
}

/// A `TYPE--UUID` member, of `kind` when one is given.
fn identifier<'a>(
    object: &'a Object,
    key: &str,
    at: &str,
    kind: Option<&str>,
) -> Result<&'a str, Error> {
    let value = required(object, key, at)?;
    if is_identifier(value, kind) {
        return Ok(value);
    }
    let expected = kind.unwrap_or("TYPE");
    let reason = format!("{value:?} is no STIX identifier ({expected}--UUID)");
    Err(Error::invalid(format!("{at}/{key}"), reason))
}

fn is_identifier(value: &str, kind: Option<&str>) -> bool {
    let Some((prefix, uuid)) = value.split_once("--") else {
        return false;
    };
    kind.is_none_or(|kind| kind == prefix) && is_type_name(prefix) && is_stix_uuid(uuid)
}

/// A type name as STIX 2.1 section 3.1 allows it.
fn is_type_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=250).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !name.contains("--")
}

/// An RFC 4122 UUID in its hyphenated form, of version 1 to 5 and the RFC variant.
fn is_stix_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    shaped && (b'1'..=b'5').contains(&bytes[14]) && b"89abAB".contains(&bytes[19])
}

/// An RFC 3339 UTC timestamp; `millis` demands at least millisecond precision,
/// as STIX requires of `created` and `modified`.
fn timestamp(object: &Object, key: &str, at: &str, millis: bool) -> Result<String, Error> {
    let value = required(object, key, at)?;
    check_timestamp(value, millis)
        .map_err(|reason| Error::invalid(format!("{at}/{key}"), reason))?;
    Ok(value.to_owned())
}

fn optional_timestamp(object: &Object, key: &str, at: &str) -> Result<Option<String>, Error> {
    if object.get(key).is_none() {
        return Ok(None);
    }
    timestamp(object, key, at, false).map(Some)
}

fn check_timestamp(value: &str, millis: bool) -> Result<(), String> {
    let Some(rest) = value.strip_suffix('Z') else {
        return Err(format!(
            "{value:?} is no STIX timestamp (RFC 3339, UTC, ending in Z)"
        ));
    };
    if OffsetDateTime::parse(value, &Rfc3339).is_err() || value.as_bytes().get(10) != Some(&b'T') {
        return Err(format!("{value:?} is no RFC 3339 timestamp"));
    }
    let fraction = rest.split_once('.').map_or(0, |(_, digits)| digits.len());
    if millis && fraction < 3 {
        return Err(format!("{value:?} must be precise to the millisecond"));
    }
    Ok(())
}

/// A checked timestamp as a time (checked ones always parse).
fn parse_time(value: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(value, &Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn indicator_object() -> Value {
        json!({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": "2026-01-02T03:04:05.000Z", "modified": "2026-01-02T03:04:05.000Z",
            "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
            "valid_from": "2026-01-02T03:04:05Z",
            "object_marking_refs": ["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]
        })
    }

    fn bundle_of(objects: Vec<Value>) -> Vec<u8> {
        let bundle = json!({
            "type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
            "objects": objects
        });
        bundle.to_string().into_bytes()
    }

    fn fault(bytes: &[u8]) -> (String, String) {
        match read_bundle(bytes) {
            Err(Error::Invalid { at, reason }) => (at, reason),
            other => panic!("expected an invalid bundle, got {other:?}"),
        }
    }

    #[test]
    fn a_tlp_1_0_amber_marking_reads_as_amber() {
        let bundle = read_bundle(&bundle_of(vec![indicator_object()])).expect("bundle");
        assert_eq!(bundle.objects[0].meta.tlp, Some(Tlp::Amber));
        assert_eq!(bundle.counts.get("indicator"), Some(&1));
    }

    #[test]
    fn a_missing_pattern_is_named_by_pointer() {
        let mut object = indicator_object();
        object.as_object_mut().map(|o| o.remove("pattern"));
        let (at, reason) = fault(&bundle_of(vec![
            json!({"type": "x-a", "id":
            "x-a--5d0092c5-5f74-4287-9642-33f4c354e56d"}),
            object,
        ]));
        assert_eq!(at, "/objects/1/pattern");
        assert_eq!(reason, "is required");
    }

    #[test]
    fn a_bad_timestamp_or_identifier_is_refused_where_it_is() {
        let mut object = indicator_object();
        object["valid_from"] = json!("2026-01-02 03:04:05");
        assert_eq!(fault(&bundle_of(vec![object])).0, "/objects/0/valid_from");
        let mut object = indicator_object();
        object["id"] = json!("campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
        assert_eq!(fault(&bundle_of(vec![object])).0, "/objects/0/id");
        let mut object = indicator_object();
        object["created"] = json!("2026-01-02T03:04:05Z");
        assert_eq!(fault(&bundle_of(vec![object])).0, "/objects/0/created");
    }

    #[test]
    fn other_types_are_counted_not_kept() {
        let campaign = json!({"type": "campaign", "spec_version": "2.1",
            "id": "campaign--5d0092c5-5f74-4287-9642-33f4c354e56d", "name": 7});
        let bundle = read_bundle(&bundle_of(vec![campaign, indicator_object()])).expect("ok");
        assert_eq!(bundle.objects.len(), 1);
        assert_eq!(bundle.not_kept.get("campaign"), Some(&1));
    }

    #[test]
    fn a_local_tlp2_marking_and_the_strictest_of_several_apply() {
        let local = json!({"type": "marking-definition", "spec_version": "2.1",
            "id": "marking-definition--0a2a8b1c-6c2f-4bd4-9a4e-7d1b2a9c0e11",
            "created": "2026-01-01T00:00:00.000Z", "name": "strict",
            "extensions": {super::super::tlp::TLP2_EXTENSION:
                {"extension_type": "property-extension", "tlp_2_0": "amber+strict"}}});
        let mut object = indicator_object();
        object["granular_markings"] = json!([{"selectors": ["pattern"],
            "marking_ref": "marking-definition--0a2a8b1c-6c2f-4bd4-9a4e-7d1b2a9c0e11"}]);
        let bundle = read_bundle(&bundle_of(vec![local, object])).expect("bundle");
        assert_eq!(bundle.objects[0].meta.tlp, Some(Tlp::AmberStrict));
        assert!(
            bundle.not_kept.is_empty(),
            "a TLP marking-definition is kept"
        );
    }

    #[test]
    fn a_marking_whose_label_contradicts_its_published_id_is_refused() {
        let forged = json!({"type": "marking-definition", "spec_version": "2.1",
            "id": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
            "created": "2022-10-01T00:00:00.000Z", "name": "TLP:CLEAR",
            "extensions": {super::super::tlp::TLP2_EXTENSION:
                {"extension_type": "property-extension", "tlp_2_0": "clear"}}});
        assert_eq!(fault(&bundle_of(vec![forged])).0, "/objects/0/id");
    }

    #[test]
    fn no_input_panics() {
        for input in [
            &b""[..],
            b"[]",
            b"{}",
            b"{\"type\":\"bundle\"}",
            b"{\"type\":\"bundle\",\
            \"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\",\"objects\":[1]}",
            b"\xff",
        ] {
            assert!(read_bundle(input).is_err(), "{input:?}");
        }
    }
}
