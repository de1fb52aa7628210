//! CycloneDX JSON: `metadata.component`, `components` (nested ones flattened with
//! parent links) and `dependencies`.

use serde_json::Value;

use crate::error::Error;
use crate::json_walk::{Obj, child_pointer, index_pointer, item_str};
use crate::model::{
    Component, ComponentKind, Dependency, Encoding, Family, Format, Hash, Sbom, Supplier,
    normalise_hash_alg,
};

/// Reads a parsed CycloneDX JSON document.
pub(crate) fn read(root: &Value) -> Result<Sbom, Error> {
    let bom = Obj::of(root, "")?;
    let spec_version = bom.str("specVersion")?.unwrap_or("unknown").to_string();
    let mut sbom = Sbom {
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
    };

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

    sbom.dependencies = read_dependencies(&bom)?;
    Ok(sbom)
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

/// `dependencies: [{ref, dependsOn: [...], provides: [...]}]`.
fn read_dependencies(bom: &Obj<'_, '_>) -> Result<Vec<Dependency>, Error> {
    let mut edges = Vec::new();
    for (index, item) in bom.array("dependencies")?.iter().enumerate() {
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
    }
    Ok(edges)
}

/// The `specVersion` of a CycloneDX JSON root, for detection.
pub(crate) fn spec_version(root: &Value) -> Option<&str> {
    root.get("specVersion").and_then(Value::as_str)
}

/// Whether a JSON root is a CycloneDX document.
pub(crate) fn is_cyclonedx(root: &Value) -> bool {
    root.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX")
}
