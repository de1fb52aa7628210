//! CycloneDX 1.5/1.6 VEX: a BOM whose components are the products and whose
//! `vulnerabilities[]` carry the analysis and the components they affect.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::model::{Justification, Product, Statement, Status, VexDocument, rfc3339};

/// The CycloneDX specification version to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycloneDxVersion {
    V1_5,
    V1_6,
}

impl CycloneDxVersion {
    fn spec(self) -> &'static str {
        match self {
            Self::V1_5 => "1.5",
            Self::V1_6 => "1.6",
        }
    }
}

/// The CycloneDX VEX BOM of `vex`. The serial number is written only when the
/// document ID is a `urn:uuid:` (the form CycloneDX requires).
pub fn to_cyclonedx(vex: &VexDocument, version: CycloneDxVersion) -> Value {
    let subject = single_subject(vex);
    let products: BTreeSet<Product> = vex
        .statements
        .iter()
        .flat_map(affected)
        .filter(|p| Some(p) != subject.as_ref())
        .collect();
    let mut bom = json!({
        "bomFormat": "CycloneDX",
        "specVersion": version.spec(),
        "version": vex.version.max(1),
        "metadata": {
            "timestamp": rfc3339(vex.last_updated.unwrap_or(vex.timestamp)),
            "authors": [{ "name": vex.author }],
        },
        "components": products.iter().map(component).collect::<Vec<_>>(),
        "vulnerabilities": vex.statements.iter().enumerate()
            .map(|(i, s)| vulnerability(i, s, vex)).collect::<Vec<_>>(),
    });
    if let Some(subject) = &subject {
        bom["metadata"]["component"] = component(subject);
    }
    if is_uuid_urn(&vex.id) {
        bom["serialNumber"] = json!(vex.id);
    }
    bom
}

/// The one product every statement is about (a build's VEX), which the BOM then
/// describes as its `metadata.component`; `None` when the statements name several.
fn single_subject(vex: &VexDocument) -> Option<Product> {
    let subjects: BTreeSet<&Product> = vex.statements.iter().flat_map(|s| &s.products).collect();
    match subjects.into_iter().collect::<Vec<_>>().as_slice() {
        [only] => Some((*only).clone()),
        _ => None,
    }
}

/// What a statement's `affects` lists: a product's components where it names them
/// (the components are what the vulnerability is in), else the product itself.
fn affected(statement: &Statement) -> Vec<Product> {
    let mut out = Vec::new();
    for product in &statement.products {
        match statement.components.get(product) {
            Some(parts) if !parts.is_empty() => {
                out.extend(parts.iter().cloned().map(Product::Purl));
            }
            _ => out.push(product.clone()),
        }
    }
    out.sort();
    out.dedup();
    out
}

fn is_uuid_urn(id: &str) -> bool {
    let Some(uuid) = id.strip_prefix("urn:uuid:") else {
        return false;
    };
    let groups: Vec<&str> = uuid.split('-').collect();
    let lengths = groups.iter().map(|g| g.len()).collect::<Vec<_>>();
    lengths == [8, 4, 4, 4, 12]
        && uuid
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
}

fn component(product: &Product) -> Value {
    match product {
        Product::Purl(purl) => {
            let mut out = json!({
                "type": "library",
                "bom-ref": product.iri(),
                "name": purl.name(),
                "purl": purl.to_string(),
            });
            if let Some(version) = purl.version() {
                out["version"] = json!(version);
            }
            out
        }
        Product::Build(id) => json!({ "type": "firmware", "bom-ref": product.iri(), "name": id }),
    }
}

fn vulnerability(index: usize, statement: &Statement, vex: &VexDocument) -> Value {
    let vulnerability = &statement.vulnerability;
    let mut out = json!({
        "bom-ref": format!("vex-statement-{index}"),
        "id": vulnerability.id,
        "analysis": analysis(&statement.status),
        "affects": affected(statement).iter().map(|p| json!({ "ref": p.iri() })).collect::<Vec<_>>(),
    });
    if let Some(at) = statement.timestamp.or(Some(vex.timestamp)) {
        out["analysis"]["firstIssued"] = json!(rfc3339(vex.timestamp));
        out["analysis"]["lastUpdated"] = json!(rfc3339(at.max(vex.timestamp)));
    }
    if !vulnerability.aliases.is_empty() {
        let references: Vec<Value> = vulnerability
            .aliases
            .iter()
            .map(|alias| json!({ "id": alias, "source": { "name": source_name(alias) } }))
            .collect();
        out["references"] = json!(references);
    }
    if let Some(description) = &vulnerability.description {
        out["description"] = json!(description);
    }
    out
}

/// The database an identifier's prefix names (`CVE`, `GHSA`, …).
fn source_name(id: &str) -> &str {
    id.split('-').next().unwrap_or(id)
}

fn analysis(status: &Status) -> Value {
    match status {
        Status::NotAffected {
            justification,
            impact,
        } => {
            let mut out = json!({ "state": "not_affected" });
            if let Some(justification) = justification {
                out["justification"] = json!(cyclonedx_justification(*justification));
            }
            if let Some(impact) = impact {
                out["detail"] = json!(impact);
            }
            out
        }
        Status::Affected { action } => json!({ "state": "exploitable", "detail": action }),
        Status::Fixed => json!({ "state": "resolved" }),
        Status::UnderInvestigation => json!({ "state": "in_triage" }),
    }
}

/// CycloneDX's justification vocabulary is finer than VEX's five; each VEX
/// justification maps to the CycloneDX value that states no more than it does.
fn cyclonedx_justification(justification: Justification) -> &'static str {
    match justification {
        Justification::ComponentNotPresent | Justification::VulnerableCodeNotPresent => {
            "code_not_present"
        }
        Justification::VulnerableCodeNotInExecutePath => "code_not_reachable",
        Justification::VulnerableCodeCannotBeControlledByAdversary => "requires_environment",
        Justification::InlineMitigationsAlreadyExist => "protected_by_mitigating_control",
    }
}
