//! CycloneDX JSON: `metadata.component`, `components` (nested ones flattened with
//! parent links) and `dependencies`, the two arrays read one element at a time so that
//! a large document never sits in memory as one tree.

use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::Error;
use crate::json_stream::{Members, parse_element};
use crate::json_walk::{Obj, child_pointer, index_pointer, item_str};
use crate::model::{
    Component, ComponentKind, Dependency, Encoding, Family, Format, Hash, Sbom, Supplier,
    normalise_hash_alg,
};
use crate::schemas::TopArray;

/// Reads a CycloneDX JSON document that `decode` found well-formed.
///
/// The checks run in the order a reader of the whole tree would meet them, so that the
/// first error is the same one: the header, `metadata`, the type of `components`, each
/// component tree in order, the subject, then `dependencies`.
pub(crate) fn read(text: &str) -> Result<Sbom, Error> {
    let members = Members::parse(text).map_err(|e| Error::from_json(&e))?;
    let rest = members
        .rest(&TopArray::ALL.map(TopArray::key))
        .map_err(|e| Error::from_json(&e))?;
    let bom = Obj::of(&rest, "")?;
    let mut sbom = read_header(&bom)?;

    let subject = read_subject(&bom)?;
    bom.array("components")?;
    let components = elements(&members, TopArray::Components)?;
    sbom.components.reserve(components.len());
    for (index, raw) in components.iter().enumerate() {
        let component = parse_element(raw).map_err(|e| Error::from_json(&e))?;
        let pointer = index_pointer("/components", index);
        flatten(&mut sbom, vec![(&component, pointer, None)])?;
    }
    settle_subject(&mut sbom, &bom, subject)?;

    bom.array("dependencies")?;
    let dependencies = elements(&members, TopArray::Dependencies)?;
    sbom.dependencies.reserve(dependencies.len());
    for (index, raw) in dependencies.iter().enumerate() {
        let entry = parse_element(raw).map_err(|e| Error::from_json(&e))?;
        read_dependency(&entry, index, &mut sbom.dependencies)?;
    }
    Ok(sbom)
}

fn elements<'a>(members: &Members<'a>, array: TopArray) -> Result<Vec<&'a RawValue>, Error> {
    members
        .elements(array.key())
        .map_err(|e| Error::from_json(&e))
}

/// The format and serial number, with nothing read yet.
fn read_header(bom: &Obj<'_, '_>) -> Result<Sbom, Error> {
    let spec_version = bom.str("specVersion")?.unwrap_or("unknown").to_string();
    Ok(Sbom {
        format: Format {
            family: Family::CycloneDx,
            spec_version,
            encoding: Encoding::Json,
        },
        serial: bom.str("serialNumber")?.map(str::to_string),
        name: None,
        subject: None,
        components: Vec::new(),
        dependencies: Vec::new(),
    })
}

/// `metadata.component`, when present.
fn read_subject<'a>(bom: &Obj<'a, '_>) -> Result<Option<&'a Value>, Error> {
    let Some(metadata) = bom.object("metadata") else {
        return Ok(None);
    };
    Ok(Obj::of(metadata, "/metadata")?.object("component"))
}

/// Adds the subject's component tree after the others and names the document after
/// the first component.
///
/// FIXME: `metadata.component` is added last (as the whole-tree reader did, and the XML
/// reader still does), yet `subject` and `name` are taken from the first component: a
/// document with any `components` is named after the first of them, not its subject.
fn settle_subject(
    sbom: &mut Sbom,
    bom: &Obj<'_, '_>,
    subject: Option<&Value>,
) -> Result<(), Error> {
    if let Some(subject) = subject {
        flatten(
            sbom,
            vec![(subject, "/metadata/component".to_string(), None)],
        )?;
    }
    let has_subject = bom
        .object("metadata")
        .and_then(|m| m.get("component"))
        .is_some();
    if has_subject {
        sbom.subject = sbom.components.first().map(|c| c.bom_ref.clone());
        sbom.name = sbom.components.first().map(|c| c.name.clone());
    }
    Ok(())
}

/// Walks the component tree depth-first without recursion, parents before children.
fn flatten(
    sbom: &mut Sbom,
    mut pending: Vec<(&Value, String, Option<String>)>,
) -> Result<(), Error> {
    while let Some((value, pointer, parent)) = pending.pop() {
        let obj = Obj::of(value, &pointer)?;
        let mut component = read_component(&obj)?;
        component.parent = parent;

        let children = obj.array("components")?;
        let children_pointer = obj.child("components");
        for (index, child) in children.iter().enumerate().rev() {
            let child_ptr = index_pointer(&children_pointer, index);
            pending.push((child, child_ptr, Some(component.bom_ref.clone())));
        }
        sbom.components.push(component);
    }
    Ok(())
}

fn read_component(obj: &Obj<'_, '_>) -> Result<Component, Error> {
    let kind = ComponentKind::from_word(obj.required_str("type")?);
    let name = obj.required_str("name")?.to_string();
    let bom_ref = obj.str("bom-ref")?.unwrap_or(obj.pointer).to_string();
    let mut component = Component::new(bom_ref, kind, name);

    component.version = obj.str("version")?.map(str::to_string);
    component.purl = obj.str("purl")?.map(str::to_string);
    component.cpes = obj.str("cpe")?.map(str::to_string).into_iter().collect();
    component.hashes = read_hashes(obj)?;
    component.supplier = read_supplier(obj)?;
    component.licenses = read_licenses(obj)?;
    Ok(component)
}

fn read_hashes(obj: &Obj<'_, '_>) -> Result<Vec<Hash>, Error> {
    let pointer = obj.child("hashes");
    let mut hashes = Vec::new();
    for (index, item) in obj.array("hashes")?.iter().enumerate() {
        let item_ptr = index_pointer(&pointer, index);
        let hash = Obj::of(item, &item_ptr)?;
        hashes.push(Hash {
            alg: normalise_hash_alg(hash.required_str("alg")?),
            hex: hash.required_str("content")?.to_ascii_lowercase(),
        });
    }
    Ok(hashes)
}

fn read_supplier(obj: &Obj<'_, '_>) -> Result<Option<Supplier>, Error> {
    let Some(value) = obj.object("supplier") else {
        return Ok(None);
    };
    let pointer = obj.child("supplier");
    let supplier = Obj::of(value, &pointer)?;
    let Some(name) = supplier.str("name")? else {
        return Ok(None);
    };
    let country = match supplier.object("address") {
        Some(address) => {
            let address_ptr = supplier.child("address");
            Obj::of(address, &address_ptr)?
                .str("country")?
                .map(str::to_string)
        }
        None => None,
    };
    Ok(Some(Supplier {
        name: name.to_string(),
        country,
    }))
}

/// Licence choices: `{"license": {"id"|"name"}}` or `{"expression": …}`.
fn read_licenses(obj: &Obj<'_, '_>) -> Result<Vec<String>, Error> {
    let pointer = obj.child("licenses");
    let mut licenses = Vec::new();
    for (index, item) in obj.array("licenses")?.iter().enumerate() {
        let item_ptr = index_pointer(&pointer, index);
        let choice = Obj::of(item, &item_ptr)?;
        if let Some(expression) = choice.str("expression")? {
            licenses.push(expression.to_string());
        }
        if let Some(license) = choice.object("license") {
            let license_ptr = choice.child("license");
            let license = Obj::of(license, &license_ptr)?;
            if let Some(text) = license.str("id")?.or(license.str("name")?) {
                licenses.push(text.to_string());
            }
        }
    }
    Ok(licenses)
}

/// One `dependencies` entry, `{ref, dependsOn: [...], provides: [...]}`, as edges.
fn read_dependency(item: &Value, index: usize, edges: &mut Vec<Dependency>) -> Result<(), Error> {
    let item_ptr = index_pointer("/dependencies", index);
    let entry = Obj::of(item, &item_ptr)?;
    let from = entry.required_str("ref")?;
    for (key, relationship) in [("dependsOn", "DEPENDS_ON"), ("provides", "PROVIDES")] {
        let list_ptr = child_pointer(&item_ptr, key);
        for (to_index, to) in entry.array(key)?.iter().enumerate() {
            let to = item_str(to, &index_pointer(&list_ptr, to_index))?;
            edges.push(Dependency {
                from: from.to_string(),
                to: to.to_string(),
                relationship: relationship.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cyclonedx::test_documents::{
        DEEP_INDEX, LARGE_COUNT, MUTATION_SEEDS, NESTING_EVERY, corpus_documents, large_document,
        mutations,
    };
    use crate::error::Location;

    /// The reader that walked a tree of the whole document, as it was before the arrays
    /// were streamed: the oracle the streamed reader must agree with.
    fn read_tree(root: &Value) -> Result<Sbom, Error> {
        let bom = Obj::of(root, "")?;
        let mut sbom = read_header(&bom)?;

        let mut pending: Vec<(&Value, String, Option<String>)> = Vec::new();
        if let Some(metadata) = bom.object("metadata") {
            let metadata = Obj::of(metadata, "/metadata")?;
            if let Some(subject) = metadata.object("component") {
                pending.push((subject, "/metadata/component".to_string(), None));
            }
        }
        for (index, item) in bom.array("components")?.iter().enumerate().rev() {
            pending.push((item, index_pointer("/components", index), None));
        }
        let has_subject = bom
            .object("metadata")
            .and_then(|m| m.get("component"))
            .is_some();
        flatten(&mut sbom, pending)?;
        if has_subject {
            sbom.subject = sbom.components.first().map(|c| c.bom_ref.clone());
            sbom.name = sbom.components.first().map(|c| c.name.clone());
        }

        for (index, item) in bom.array("dependencies")?.iter().enumerate() {
            read_dependency(item, index, &mut sbom.dependencies)?;
        }
        Ok(sbom)
    }

    fn tree_import(text: &str) -> Result<Sbom, Error> {
        let root: Value = serde_json::from_str(text).map_err(|e| Error::from_json(&e))?;
        read_tree(&root)
    }

    fn streamed_import(text: &str) -> Result<Sbom, Error> {
        crate::import(text.as_bytes())
    }

    #[test]
    fn streamed_import_matches_the_tree_reader_on_the_corpus() {
        let Some(documents) = corpus_documents() else {
            return;
        };
        assert!(documents.len() > 150, "{} documents", documents.len());
        for (name, text) in &documents {
            assert_eq!(streamed_import(text), tree_import(text), "{name}");
        }
    }

    #[test]
    fn mutated_documents_import_as_the_tree_reader_imports_them() {
        let (mut compared, mut well_formed) = (0, 0);
        for seed in MUTATION_SEEDS {
            let Some(path) = keelson_testkit::corpus_path(seed) else {
                return;
            };
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for mutated in mutations(&text, 400) {
                let tree = serde_json::from_str::<Value>(&mutated);
                let is_cyclonedx =
                    |root: &Value| root.get("bomFormat") == Some(&json!("CycloneDX"));
                let expected = match tree {
                    Err(error) => Err(Error::from_json(&error)),
                    Ok(root) if is_cyclonedx(&root) => read_tree(&root),
                    Ok(_) => continue,
                };
                assert_eq!(streamed_import(&mutated), expected, "{seed}: {mutated}");
                compared += 1;
                well_formed += usize::from(serde_json::from_str::<Value>(&mutated).is_ok());
            }
        }
        assert!(
            compared > 1000 && well_formed > 200,
            "{compared}, {well_formed}"
        );
    }

    #[test]
    fn a_large_document_reads_into_the_same_graph_as_the_tree_reader() {
        let text = large_document(|_| {});
        let streamed = streamed_import(&text).map_err(|e| e.to_string());
        let Ok(sbom) = &streamed else {
            panic!("{streamed:?}")
        };

        let nested = 2 * LARGE_COUNT.div_ceil(NESTING_EVERY);
        assert_eq!(sbom.components.len(), LARGE_COUNT + nested + 1);
        assert_eq!(sbom.dependencies.len(), LARGE_COUNT);
        let unnamed = &sbom.components[2];
        assert_eq!(unnamed.bom_ref, "/components/0/components/1");
        assert_eq!(unnamed.parent.as_deref(), Some("c0"));
        let last = sbom.components.last().map(|c| c.bom_ref.as_str());
        assert_eq!(last, Some("tcu"), "the subject comes after the components");
        assert_eq!(sbom.format.spec_version, "1.6");

        assert_eq!(streamed, tree_import(&text).map_err(|e| e.to_string()));
    }

    #[test]
    fn a_broken_component_deep_in_the_array_fails_as_the_tree_reader_fails() {
        let text = large_document(|doc| doc["components"][DEEP_INDEX]["purl"] = json!(123));
        let expected = Error::invalid(
            Location::pointer(format!("/components/{DEEP_INDEX}/purl")),
            "expected a string, found a number",
        );
        assert_eq!(tree_import(&text).err(), Some(expected.clone()));
        assert_eq!(streamed_import(&text).err(), Some(expected));

        let nested = large_document(|doc| {
            doc["components"][DEEP_INDEX - 45]["components"][1]["name"] = json!(null);
        });
        let error = streamed_import(&nested).err();
        assert_eq!(error, tree_import(&nested).err());
        let at = format!("/components/{}/components/1", DEEP_INDEX - 45);
        assert_eq!(error.map(|e| e.location()), Some(Location::pointer(at)));

        let dependency =
            large_document(|doc| doc["dependencies"][DEEP_INDEX]["dependsOn"][0] = json!(7));
        let error = streamed_import(&dependency).err();
        assert_eq!(error, tree_import(&dependency).err());
        let at = format!("/dependencies/{DEEP_INDEX}/dependsOn/0");
        assert_eq!(error.map(|e| e.location()), Some(Location::pointer(at)));
    }

    #[test]
    fn the_first_error_is_the_one_the_tree_reader_meets_first() {
        let bad_component = r#"{"type": "library"}"#;
        let cases = [
            // Members before and after the arrays, broken at several places at once.
            format!(
                r#"{{"components": [{bad_component}], "bomFormat": "CycloneDX", "specVersion": 1}}"#
            ),
            format!(
                r#"{{"bomFormat": "CycloneDX", "components": [{bad_component}], "serialNumber": 5}}"#
            ),
            format!(
                r#"{{"bomFormat": "CycloneDX", "components": [{bad_component}], "metadata": 1}}"#
            ),
            format!(
                r#"{{"bomFormat": "CycloneDX", "components": [{bad_component}],
                   "metadata": {{"component": {{"name": "subject"}}}}}}"#
            ),
            r#"{"bomFormat": "CycloneDX", "dependencies": [{}], "metadata": {"component": 3}}"#
                .to_string(),
            r#"{"bomFormat": "CycloneDX", "components": "none", "dependencies": {}}"#.to_string(),
            r#"{"bomFormat": "CycloneDX", "dependencies": [{"ref": "a"}, {"ref": 2}]}"#.to_string(),
            // A name written twice counts with its last value, as in a tree.
            format!(
                r#"{{"bomFormat": "CycloneDX", "components": [{bad_component}], "components": []}}"#
            ),
            format!(
                r#"{{"bomFormat": "CycloneDX", "components": 1, "components": [{bad_component}]}}"#
            ),
            r#"{"bomFormat": "CycloneDX", "components": [], "components": "x"}"#.to_string(),
            // A syntax error anywhere wins over a broken component before it.
            format!(r#"{{"bomFormat": "CycloneDX", "components": [{bad_component}], "x": 1e999}}"#),
            format!(r#"{{"bomFormat": "CycloneDX", "components": [{bad_component}]}} ,"#),
            // Null members and a null subject.
            r#"{"bomFormat": "CycloneDX", "components": null, "metadata": {"component": null},
                "dependencies": null}"#
                .to_string(),
        ];
        for text in &cases {
            assert_eq!(streamed_import(text), tree_import(text), "{text}");
        }
    }
}
