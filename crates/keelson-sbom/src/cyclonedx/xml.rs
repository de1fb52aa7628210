//! CycloneDX XML, read with roxmltree (no DTDs, so no entity expansion): the same
//! elements as the JSON form, located by line and column.

use roxmltree::{Document, Node};

use super::XML_NAMESPACE_PREFIX;
use crate::error::{Error, Location};
use crate::model::{
    Component, ComponentKind, Dependency, Encoding, Family, Format, Hash, Sbom, Supplier,
    normalise_hash_alg,
};

/// Parses XML text, refusing DTDs.
pub(crate) fn parse(text: &str) -> Result<Document<'_>, Error> {
    Document::parse(text).map_err(|e| Error::from_xml(&e))
}

/// The CycloneDX version named by the root element's namespace, if the root is a
/// CycloneDX `bom`.
pub(crate) fn spec_version<'a>(doc: &'a Document<'_>) -> Option<&'a str> {
    let root = doc.root_element();
    let namespace = root.tag_name().namespace()?;
    let version = namespace.strip_prefix(XML_NAMESPACE_PREFIX)?;
    (root.tag_name().name() == "bom").then_some(version)
}

/// Reads a parsed CycloneDX XML document.
pub(crate) fn read(doc: &Document<'_>) -> Result<Sbom, Error> {
    let root = doc.root_element();
    let spec_version = spec_version(doc)
        .ok_or_else(|| Error::invalid(at(doc, root), "root element is not a CycloneDX `bom`"))?;
    let mut sbom = Sbom {
        format: Format {
            family: Family::CycloneDx,
            spec_version: spec_version.to_string(),
            encoding: Encoding::Xml,
        },
        serial: root.attribute("serialNumber").map(str::to_string),
        name: None,
        subject: None,
        components: Vec::new(),
        dependencies: Vec::new(),
    };

    let mut pending: Vec<(Node<'_, '_>, Option<String>)> = Vec::new();
    let subject = child(root, "metadata").and_then(|m| child(m, "component"));
    if let Some(subject) = subject {
        pending.push((subject, None));
    }
    if let Some(list) = child(root, "components") {
        let items: Vec<_> = children(list, "component").collect();
        pending.extend(items.into_iter().rev().map(|node| (node, None)));
    }
    flatten(doc, &mut sbom, pending)?;
    if subject.is_some() {
        sbom.subject = sbom.components.first().map(|c| c.bom_ref.clone());
        sbom.name = sbom.components.first().map(|c| c.name.clone());
    }

    if let Some(list) = child(root, "dependencies") {
        sbom.dependencies = read_dependencies(doc, list)?;
    }
    Ok(sbom)
}

fn flatten<'a, 'i>(
    doc: &Document<'_>,
    sbom: &mut Sbom,
    mut pending: Vec<(Node<'a, 'i>, Option<String>)>,
) -> Result<(), Error> {
    while let Some((node, parent)) = pending.pop() {
        let mut component = read_component(doc, node)?;
        component.parent = parent;

        if let Some(list) = child(node, "components") {
            let items: Vec<_> = children(list, "component").collect();
            for item in items.into_iter().rev() {
                pending.push((item, Some(component.bom_ref.clone())));
            }
        }
        sbom.components.push(component);
    }
    Ok(())
}

fn read_component(doc: &Document<'_>, node: Node<'_, '_>) -> Result<Component, Error> {
    let kind = node
        .attribute("type")
        .ok_or_else(|| Error::invalid(at(doc, node), "component has no `type` attribute"))?;
    let name = text(node, "name")
        .ok_or_else(|| Error::invalid(at(doc, node), "component has no `name` element"))?;
    let bom_ref = match node.attribute("bom-ref") {
        Some(reference) => reference.to_string(),
        None => synthetic_ref(node),
    };
    let mut component = Component::new(bom_ref, ComponentKind::from_word(kind), name);

    component.version = text(node, "version");
    component.purl = text(node, "purl");
    component.cpes = text(node, "cpe").into_iter().collect();
    component.hashes = read_hashes(node);
    component.supplier = read_supplier(node);
    component.licenses = read_licenses(node);
    Ok(component)
}

fn read_hashes(node: Node<'_, '_>) -> Vec<Hash> {
    let Some(list) = child(node, "hashes") else {
        return Vec::new();
    };
    children(list, "hash")
        .filter_map(|hash| {
            let alg = hash.attribute("alg")?;
            let hex = hash.text()?.trim().to_ascii_lowercase();
            Some(Hash {
                alg: normalise_hash_alg(alg),
                hex,
            })
        })
        .collect()
}

fn read_supplier(node: Node<'_, '_>) -> Option<Supplier> {
    let supplier = child(node, "supplier")?;
    Some(Supplier {
        name: text(supplier, "name")?,
        country: child(supplier, "address").and_then(|a| text(a, "country")),
    })
}

fn read_licenses(node: Node<'_, '_>) -> Vec<String> {
    let Some(list) = child(node, "licenses") else {
        return Vec::new();
    };
    let mut licenses = Vec::new();
    for item in list.children().filter(Node::is_element) {
        match item.tag_name().name() {
            "license" => licenses.extend(text(item, "id").or_else(|| text(item, "name"))),
            "expression" => licenses.extend(item.text().map(|t| t.trim().to_string())),
            _ => {}
        }
    }
    licenses
}

/// `<dependency ref="a"><dependency ref="b"/><provides ref="c"/></dependency>`.
fn read_dependencies(doc: &Document<'_>, list: Node<'_, '_>) -> Result<Vec<Dependency>, Error> {
    let mut edges = Vec::new();
    for entry in children(list, "dependency") {
        let from = entry
            .attribute("ref")
            .ok_or_else(|| Error::invalid(at(doc, entry), "dependency has no `ref`"))?;
        for target in entry.children().filter(Node::is_element) {
            let relationship = match target.tag_name().name() {
                "dependency" => "DEPENDS_ON",
                "provides" => "PROVIDES",
                _ => continue,
            };
            let to = target
                .attribute("ref")
                .ok_or_else(|| Error::invalid(at(doc, target), "dependency has no `ref`"))?;
            edges.push(Dependency {
                from: from.to_string(),
                to: to.to_string(),
                relationship: relationship.to_string(),
            });
        }
    }
    Ok(edges)
}

/// The first child element called `name`.
pub(crate) fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// Child elements called `name`.
pub(crate) fn children<'a, 'i>(
    node: Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// The trimmed text of the first child element called `name`.
fn text(node: Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name)
        .and_then(|c| c.text())
        .map(|t| t.trim().to_string())
}

/// The line and column where `node` starts.
pub(crate) fn at(doc: &Document<'_>, node: Node<'_, '_>) -> Location {
    let pos = doc.text_pos_at(node.range().start);
    Location::Line {
        line: pos.row as usize,
        column: pos.col as usize,
    }
}

/// A reference for a component without `bom-ref`: its node number in the document
/// (cheap to compute; a line number would rescan the text for every component).
fn synthetic_ref(node: Node<'_, '_>) -> String {
    format!("xml-node-{}", node.id().get())
}
