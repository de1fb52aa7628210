//! SPDX 2.2 and 2.3 documents, JSON and tag-value, read into the component graph.
//! Packages become components; files and snippets are not components (their
//! relationships are kept as edges).

pub(crate) mod json;
pub(crate) mod tag_value;

use crate::model::{Dependency, Sbom, Supplier};

/// The SPDX ID of the document itself.
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";

/// `Organization: Acme (ops@acme.example)` or `Person: Jane` → the name; `NOASSERTION`
/// → none.
pub(crate) fn parse_supplier(text: &str) -> Option<Supplier> {
    let text = text.trim();
    let name = text.split_once(':').map_or(text, |(_, rest)| rest).trim();
    let name = match name.rfind(" (") {
        Some(cut) if name.ends_with(')') => name[..cut].trim(),
        _ => name,
    };
    if name.is_empty() || text.eq_ignore_ascii_case("NOASSERTION") {
        return None;
    }
    Some(Supplier {
        name: name.to_string(),
        country: None,
    })
}

/// Keeps a licence field unless it says nothing (`NOASSERTION`, `NONE`, empty).
pub(crate) fn meaningful_license(text: &str) -> Option<String> {
    let text = text.trim();
    let empty = text.is_empty()
        || text.eq_ignore_ascii_case("NOASSERTION")
        || text.eq_ignore_ascii_case("NONE");
    (!empty).then(|| text.to_string())
}

/// What an external reference contributes to a component.
pub(crate) enum ExternalId {
    /// A package URL.
    Purl,
    /// A CPE name.
    Cpe,
}

/// Classifies an external reference by its type (`purl`, `cpe22Type`, `cpe23Type`).
pub(crate) fn external_id(reference_type: &str) -> Option<ExternalId> {
    match reference_type.trim() {
        "purl" => Some(ExternalId::Purl),
        "cpe22Type" | "cpe23Type" => Some(ExternalId::Cpe),
        _ => None,
    }
}

/// Records the described package as the subject: the first `DESCRIBES` target of the
/// document that is a package.
pub(crate) fn settle_subject(sbom: &mut Sbom) {
    let described = sbom.dependencies.iter().find(|edge| {
        edge.from == DOCUMENT_ID
            && edge.relationship == "DESCRIBES"
            && sbom.components.iter().any(|c| c.bom_ref == edge.to)
    });
    sbom.subject = described.map(|edge| edge.to.clone());
}

/// A `DESCRIBES` edge from the document.
pub(crate) fn describes(target: &str) -> Dependency {
    Dependency {
        from: DOCUMENT_ID.to_string(),
        to: target.to_string(),
        relationship: "DESCRIBES".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supplier_loses_prefix_and_email() {
        let supplier = parse_supplier("Organization: ExampleCodeInspect (contact@example.com)");
        assert_eq!(
            supplier.map(|s| s.name),
            Some("ExampleCodeInspect".to_string())
        );
        assert_eq!(parse_supplier("NOASSERTION"), None);
    }
}
