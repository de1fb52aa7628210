//! Writing kept objects as STIX 2.1: one object (as TAXII serves it) or a bundle
//! with the TLP 2.0 marking-definitions its objects use. Everything written is
//! deterministic: the same records give the same bytes, bundle ID included.

use std::collections::BTreeSet;

use keelson_core::Tlp;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::tlp::{tlp2_id, tlp2_marking_definition};
use super::{Body, KEPT_TYPES, Meta};

/// The namespace of the UUIDv5 IDs Keelson gives the objects it writes for its
/// own records (a fixed random UUID, never to change: re-exports keep their IDs).
const KEELSON_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a4e_93b7_4d1a_8c55_0e7d_b2f4_a913);

/// A record to write: its STIX identity, the label it goes out under, its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportObject {
    pub id: String,
    pub created: String,
    pub modified: String,
    pub tlp: Tlp,
    pub body: Body,
}

impl ExportObject {
    /// An object from what was read, under `tlp`.
    pub fn new(meta: Meta, tlp: Tlp, body: Body) -> Self {
        Self {
            id: meta.id,
            created: meta.created,
            modified: meta.modified,
            tlp,
            body,
        }
    }
}

/// The STIX ID of a Keelson record of `kind`: `kind--UUIDv5(record ID)`, so the
/// same record is always written under the same ID.
pub fn deterministic_id(kind: &str, record_id: &str) -> String {
    let name = format!("keelson:{kind}:{record_id}");
    format!(
        "{kind}--{}",
        Uuid::new_v5(&KEELSON_NAMESPACE, name.as_bytes())
    )
}

/// One object as STIX 2.1 JSON, marked with its label's TLP 2.0 definition.
pub fn object(export: &ExportObject) -> Value {
    let mut object = Map::new();
    object.insert("type".into(), json!(export.body.type_name()));
    object.insert("spec_version".into(), json!("2.1"));
    object.insert("id".into(), json!(export.id));
    object.insert("created".into(), json!(export.created));
    object.insert("modified".into(), json!(export.modified));
    body_members(&export.body, &mut object);
    object.insert("object_marking_refs".into(), json!([tlp2_id(export.tlp)]));
    Value::Object(object)
}

/// A bundle of the objects, ordered by type then ID, after the TLP 2.0
/// marking-definitions they use. Its ID is a UUIDv5 of the objects' IDs and
/// versions, so the same content gives the same bundle.
pub fn bundle(exports: &[ExportObject]) -> Value {
    let mut sorted: Vec<&ExportObject> = exports.iter().collect();
    sorted.sort_by_key(|export| (type_rank(export.body.type_name()), export.id.as_str()));
    let labels: BTreeSet<Tlp> = sorted.iter().map(|export| export.tlp).collect();

    let mut objects: Vec<Value> = labels.into_iter().map(tlp2_marking_definition).collect();
    objects.extend(sorted.iter().map(|export| object(export)));
    let versions: Vec<String> = sorted
        .iter()
        .map(|export| format!("{}@{}", export.id, export.modified))
        .collect();
    let id = Uuid::new_v5(&KEELSON_NAMESPACE, versions.join("\n").as_bytes());
    json!({ "type": "bundle", "id": format!("bundle--{id}"), "objects": objects })
}

fn type_rank(kind: &str) -> usize {
    KEPT_TYPES
        .iter()
        .position(|kept| *kept == kind)
        .unwrap_or(KEPT_TYPES.len())
}

fn body_members(body: &Body, object: &mut Map<String, Value>) {
    let members = match body {
        Body::Indicator(indicator) => {
            let mut members = json!({
                "name": indicator.name, "description": indicator.description,
                "pattern": indicator.pattern, "pattern_type": indicator.pattern_type,
                "valid_from": indicator.valid_from, "valid_until": indicator.valid_until,
            });
            if !indicator.labels.is_empty() {
                members["labels"] = json!(indicator.labels);
            }
            members
        }
        Body::AttackPattern(pattern) => json!({
            "name": pattern.name, "description": pattern.description,
            "external_references": non_empty(&pattern.external_references),
            "kill_chain_phases": non_empty(&pattern.kill_chain_phases),
        }),
        Body::Vulnerability(vulnerability) => json!({
            "name": vulnerability.name, "description": vulnerability.description,
            "external_references": non_empty(&vulnerability.external_references),
        }),
        Body::Relationship(relationship) => json!({
            "relationship_type": relationship.relationship_type,
            "source_ref": relationship.source_ref, "target_ref": relationship.target_ref,
            "description": relationship.description,
        }),
    };
    if let Value::Object(members) = members {
        object.extend(members.into_iter().filter(|(_, value)| !value.is_null()));
    }
}

/// A list as JSON, or null (left out) when empty: STIX lists have at least one item.
fn non_empty<T: serde::Serialize>(items: &[T]) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        serde_json::to_value(items).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stix::{Indicator, read_bundle};

    fn export(id: &str, tlp: Tlp) -> ExportObject {
        ExportObject {
            id: id.to_owned(),
            created: "2026-03-01T10:00:00.000Z".to_owned(),
            modified: "2026-03-01T10:00:00.000Z".to_owned(),
            tlp,
            body: Body::Indicator(Indicator {
                name: Some("C2 beacon".to_owned()),
                description: None,
                pattern: "[domain-name:value = 'c2.example']".to_owned(),
                pattern_type: "stix".to_owned(),
                valid_from: "2026-03-01T10:00:00Z".to_owned(),
                valid_until: None,
                labels: Vec::new(),
            }),
        }
    }

    #[test]
    fn deterministic_ids_are_version_5_and_stable() {
        let first = deterministic_id("indicator", "0192-a");
        assert_eq!(first, deterministic_id("indicator", "0192-a"));
        assert_ne!(first, deterministic_id("indicator", "0192-b"));
        assert_eq!(first.as_bytes()[11 + 14], b'5', "{first}");
    }

    #[test]
    fn a_written_bundle_reads_back_with_its_labels() {
        let a = export(&deterministic_id("indicator", "a"), Tlp::Green);
        let b = export(&deterministic_id("indicator", "b"), Tlp::AmberStrict);
        let written = bundle(&[b.clone(), a.clone()]);
        assert_eq!(
            written,
            bundle(&[a.clone(), b.clone()]),
            "order does not matter"
        );
        let read = read_bundle(written.to_string().as_bytes()).expect("reads back");
        let labels: Vec<Option<Tlp>> = read.objects.iter().map(|o| o.meta.tlp).collect();
        assert_eq!(labels.len(), 2);
        assert!(labels.contains(&Some(Tlp::Green)) && labels.contains(&Some(Tlp::AmberStrict)));
        assert_eq!(read.counts.get("marking-definition"), Some(&2));
        assert!(read.not_kept.is_empty());
    }
}
