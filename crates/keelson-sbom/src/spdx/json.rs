//! SPDX 2.x JSON: `packages`, their `externalRefs` (purl, CPE), `relationships` and
//! `documentDescribes`.

use serde_json::Value;

use super::{ExternalId, describes, external_id, meaningful_license, parse_supplier};
use crate::error::Error;
use crate::json_walk::{Obj, index_pointer, item_str};
use crate::model::{
    Component, ComponentKind, Dependency, Encoding, Family, Format, Hash, Sbom, normalise_hash_alg,
};

/// Reads a parsed SPDX 2.x JSON document.
pub(crate) fn read(root: &Value) -> Result<Sbom, Error> {
    let doc = Obj::of(root, "")?;
    let version = doc.required_str("spdxVersion")?;
    let mut sbom = Sbom {
        format: Format {
            family: Family::Spdx,
            spec_version: version.trim_start_matches("SPDX-").to_string(),
            encoding: Encoding::Json,
        },
        serial: doc.str("documentNamespace")?.map(str::to_string),
        name: doc.str("name")?.map(str::to_string),
        subject: None,
        components: Vec::new(),
        dependencies: Vec::new(),
    };

    for (index, item) in doc.array("packages")?.iter().enumerate() {
        let pointer = index_pointer("/packages", index);
        sbom.components
            .push(read_package(&Obj::of(item, &pointer)?)?);
    }
    for (index, item) in doc.array("documentDescribes")?.iter().enumerate() {
        let target = item_str(item, &index_pointer("/documentDescribes", index))?;
        sbom.dependencies.push(describes(target));
    }
    for (index, item) in doc.array("relationships")?.iter().enumerate() {
        let pointer = index_pointer("/relationships", index);
        sbom.dependencies
            .push(read_relationship(&Obj::of(item, &pointer)?)?);
    }

    super::settle_subject(&mut sbom);
    Ok(sbom)
}

fn read_package(obj: &Obj<'_, '_>) -> Result<Component, Error> {
    let bom_ref = obj.required_str("SPDXID")?.to_string();
    let name = obj.required_str("name")?.to_string();
    let kind = obj
        .str("primaryPackagePurpose")?
        .map_or(ComponentKind::Unspecified, ComponentKind::from_word);
    let mut component = Component::new(bom_ref, kind, name);

    component.version = obj.str("versionInfo")?.map(str::to_string);
    component.supplier = obj.str("supplier")?.and_then(parse_supplier);
    for key in ["licenseDeclared", "licenseConcluded"] {
        if let Some(license) = obj.str(key)?.and_then(meaningful_license)
            && !component.licenses.contains(&license)
        {
            component.licenses.push(license);
        }
    }
    component.hashes = read_checksums(obj)?;
    read_external_refs(obj, &mut component)?;
    Ok(component)
}

fn read_checksums(obj: &Obj<'_, '_>) -> Result<Vec<Hash>, Error> {
    let pointer = obj.child("checksums");
    let mut hashes = Vec::new();
    for (index, item) in obj.array("checksums")?.iter().enumerate() {
        let item_ptr = index_pointer(&pointer, index);
        let checksum = Obj::of(item, &item_ptr)?;
        hashes.push(Hash {
            alg: normalise_hash_alg(checksum.required_str("algorithm")?),
            hex: checksum.required_str("checksumValue")?.to_ascii_lowercase(),
        });
    }
    Ok(hashes)
}

fn read_external_refs(obj: &Obj<'_, '_>, component: &mut Component) -> Result<(), Error> {
    let pointer = obj.child("externalRefs");
    for (index, item) in obj.array("externalRefs")?.iter().enumerate() {
        let item_ptr = index_pointer(&pointer, index);
        let reference = Obj::of(item, &item_ptr)?;
        let locator = reference.required_str("referenceLocator")?;
        match external_id(reference.required_str("referenceType")?) {
            Some(ExternalId::Purl) if component.purl.is_none() => {
                component.purl = Some(locator.to_string());
            }
            Some(ExternalId::Cpe) => component.cpes.push(locator.to_string()),
            _ => {}
        }
    }
    Ok(())
}

fn read_relationship(obj: &Obj<'_, '_>) -> Result<Dependency, Error> {
    Ok(Dependency {
        from: obj.required_str("spdxElementId")?.to_string(),
        to: obj.required_str("relatedSpdxElement")?.to_string(),
        relationship: obj.required_str("relationshipType")?.to_string(),
    })
}
