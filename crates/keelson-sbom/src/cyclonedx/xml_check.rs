//! Structural checks of CycloneDX XML, standing in for XSD validation (no maintained
//! XSD validator exists in Rust). The vocabularies checked (component types, hash
//! algorithms, digest and serial-number patterns) are read from the shipped JSON schema
//! of the same version, so the two encodings are held to the same lists.

use roxmltree::{Document, Node};
use serde_json::Value;

use super::xml::{at, child, spec_version};
use crate::schemas::Schema;
use crate::validate::Problem;

/// What the checks need from the JSON schema of one version.
struct Vocabulary {
    component_types: Vec<String>,
    hash_algs: Vec<String>,
}

/// Every structural problem of a parsed CycloneDX XML document.
pub(crate) fn check(doc: &Document<'_>) -> Vec<Problem> {
    let root = doc.root_element();
    let Some(version) = spec_version(doc) else {
        return vec![Problem::new(
            at(doc, root),
            "root element is not a CycloneDX `bom`",
        )];
    };
    let Some(schema) = Schema::cyclonedx(version) else {
        let message = format!("no schema shipped for CycloneDX {version} (1.4-1.6 are)");
        return vec![Problem::new(at(doc, root), message)];
    };
    let vocabulary = match schema.document().map(|s| vocabulary(&s)) {
        Ok(vocabulary) => vocabulary,
        Err(reason) => return vec![Problem::new(at(doc, root), reason)],
    };

    let mut problems = Vec::new();
    if let Some(serial) = root.attribute("serialNumber")
        && !is_urn_uuid(serial)
    {
        let message = format!("serialNumber {serial:?} is not a lower-case urn:uuid");
        problems.push(Problem::new(at(doc, root), message));
    }
    for node in root.descendants().filter(Node::is_element) {
        match node.tag_name().name() {
            "component" if is_component(node) => {
                check_component(doc, node, &vocabulary, &mut problems);
            }
            "hash" => check_hash(doc, node, &vocabulary, &mut problems),
            "dependency" if node.attribute("ref").is_none() => {
                problems.push(Problem::new(at(doc, node), "dependency has no `ref`"));
            }
            _ => {}
        }
    }
    problems
}

fn vocabulary(schema: &Value) -> Vocabulary {
    let words = |pointer: &str| -> Vec<String> {
        schema
            .pointer(pointer)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    Vocabulary {
        component_types: words("/definitions/component/properties/type/enum"),
        hash_algs: words("/definitions/hash-alg/enum"),
    }
}

/// A `component` element that is a component (under `components` or `metadata`).
fn is_component(node: Node<'_, '_>) -> bool {
    node.parent_element()
        .is_some_and(|p| matches!(p.tag_name().name(), "components" | "metadata"))
}

fn check_component(
    doc: &Document<'_>,
    node: Node<'_, '_>,
    vocabulary: &Vocabulary,
    problems: &mut Vec<Problem>,
) {
    match node.attribute("type") {
        None => problems.push(Problem::new(at(doc, node), "component has no `type`")),
        Some(kind) if !vocabulary.component_types.iter().any(|t| t == kind) => {
            let message = format!(
                "component type {kind:?} is not one of {}",
                vocabulary.component_types.join(", ")
            );
            problems.push(Problem::new(at(doc, node), message));
        }
        Some(_) => {}
    }
    let named = child(node, "name")
        .and_then(|n| n.text())
        .is_some_and(|t| !t.trim().is_empty());
    if !named {
        problems.push(Problem::new(at(doc, node), "component has no `name`"));
    }
}

fn check_hash(
    doc: &Document<'_>,
    node: Node<'_, '_>,
    vocabulary: &Vocabulary,
    problems: &mut Vec<Problem>,
) {
    let alg = node.attribute("alg").unwrap_or_default();
    if !vocabulary.hash_algs.iter().any(|a| a == alg) {
        problems.push(Problem::new(
            at(doc, node),
            format!("hash algorithm {alg:?} is unknown"),
        ));
    }
    let content = node.text().unwrap_or_default().trim();
    let hex = content.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex || ![32, 40, 64, 96, 128].contains(&content.len()) {
        problems.push(Problem::new(
            at(doc, node),
            "hash content is not a hex digest",
        ));
    }
}

/// `urn:uuid:` and a lower-case 8-4-4-4-12 UUID, as the schema's pattern demands.
fn is_urn_uuid(text: &str) -> bool {
    let Some(uuid) = text.strip_prefix("urn:uuid:") else {
        return false;
    };
    let groups: Vec<&str> = uuid.split('-').collect();
    let lengths = groups.iter().map(|g| g.len()).collect::<Vec<_>>();
    let lower_hex = uuid
        .bytes()
        .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    lengths == [8, 4, 4, 4, 12] && lower_hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_number_pattern() {
        assert!(is_urn_uuid("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"));
        assert!(!is_urn_uuid(
            "urn:uuid:3E671687-395b-41f5-a30f-a58921a69b79"
        ));
        assert!(!is_urn_uuid("3e671687-395b-41f5-a30f-a58921a69b79"));
    }
}
