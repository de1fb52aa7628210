//! CycloneDX VEX read into the neutral model: each entry of `vulnerabilities[]` with
//! an `analysis.state` is one statement about the components its `affects` names.
//!
//! The BOM describes `metadata.component`: when that has an identity Keelson can
//! match (a purl, or a Keelson build reference) and an affected reference is another
//! component, the statement is about that component *of* the described product.
//! A reference that resolves to nothing matchable is an error naming it, so a
//! statement never widens to products it did not name.

use std::collections::{BTreeMap, HashMap};

use keelson_core::Tlp;
use keelson_vulndb::Purl;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::model::{
    BUILD_URN, Justification, Product, Statement, Status, VexDocument, Vulnerability,
};
use crate::Error;
use crate::json::{items, text};

/// Reads a CycloneDX (1.4-1.6 JSON) BOM that carries VEX analyses.
pub fn parse_cyclonedx(bytes: &[u8]) -> Result<VexDocument, Error> {
    let root: Value = serde_json::from_slice(bytes).map_err(|e| Error::from_json(&e))?;
    if text(&root, "bomFormat") != Some("CycloneDX") {
        return Err(Error::invalid("/bomFormat", "not a CycloneDX BOM"));
    }
    let refs = identities(&root)?;
    let subject = root
        .pointer("/metadata/component/bom-ref")
        .and_then(Value::as_str)
        .and_then(|r| refs.get(r).cloned());

    let mut statements = Vec::new();
    for (i, node) in items(&root, "vulnerabilities").iter().enumerate() {
        let at = format!("/vulnerabilities/{i}");
        statements.push(statement_in(node, &at, &refs, subject.as_ref())?);
    }
    let timestamp = root
        .pointer("/metadata/timestamp")
        .and_then(Value::as_str)
        .map(|t| parse_time(t, "/metadata/timestamp"))
        .transpose()?;
    Ok(VexDocument {
        id: text(&root, "serialNumber").unwrap_or_default().to_owned(),
        author: author(&root),
        author_namespace: None,
        timestamp: timestamp.unwrap_or(OffsetDateTime::UNIX_EPOCH),
        last_updated: None,
        version: root.get("version").and_then(Value::as_u64).unwrap_or(1) as u32,
        tlp: Tlp::Clear,
        statements,
    })
}

fn parse_time(value: &str, at: &str) -> Result<OffsetDateTime, Error> {
    OffsetDateTime::parse(value, &Rfc3339)
        .map_err(|e| Error::invalid(at, format!("{value:?} is not an RFC 3339 time: {e}")))
}

/// The first author, else the supplier or manufacturer of the BOM.
fn author(root: &Value) -> String {
    let pointers = [
        "/metadata/authors/0/name",
        "/metadata/supplier/name",
        "/metadata/manufacturer/name",
        "/metadata/manufacture/name",
    ];
    pointers
        .iter()
        .find_map(|p| root.pointer(p).and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned()
}

/// Every `bom-ref` of the BOM (the described component, components at any depth)
/// that has an identity Keelson matches on. A component whose purl does not parse
/// is an error; one without a purl is simply not matchable.
fn identities(root: &Value) -> Result<HashMap<String, Product>, Error> {
    let mut refs = HashMap::new();
    if let Some(subject) = root.pointer("/metadata/component") {
        identity(subject, "/metadata/component", &mut refs)?;
    }
    let mut stack: Vec<(String, &Value)> = items(root, "components")
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("/components/{i}"), c))
        .collect();
    while let Some((at, component)) = stack.pop() {
        identity(component, &at, &mut refs)?;
        for (i, child) in items(component, "components").iter().enumerate() {
            stack.push((format!("{at}/components/{i}"), child));
        }
    }
    Ok(refs)
}

fn identity(component: &Value, at: &str, refs: &mut HashMap<String, Product>) -> Result<(), Error> {
    let Some(reference) = text(component, "bom-ref") else {
        return Ok(());
    };
    let product = match (text(component, "purl"), reference.strip_prefix(BUILD_URN)) {
        (Some(purl), _) => Product::Purl(purl.parse().map_err(|e| {
            Error::invalid(format!("{at}/purl"), format!("{purl:?} is not a purl: {e}"))
        })?),
        (None, Some(build)) => Product::Build(build.to_owned()),
        (None, None) => return Ok(()),
    };
    refs.insert(reference.to_owned(), product);
    Ok(())
}

fn statement_in(
    node: &Value,
    at: &str,
    refs: &HashMap<String, Product>,
    subject: Option<&Product>,
) -> Result<Statement, Error> {
    let id = text(node, "id").unwrap_or_default();
    if id.is_empty() {
        return Err(Error::invalid(
            format!("{at}/id"),
            "the vulnerability has no id",
        ));
    }
    let aliases = items(node, "references")
        .iter()
        .filter_map(|r| text(r, "id").map(str::to_owned))
        .collect();
    let mut products: Vec<Product> = Vec::new();
    let mut components: BTreeMap<Product, Vec<Purl>> = BTreeMap::new();
    for (j, affect) in items(node, "affects").iter().enumerate() {
        let at = format!("{at}/affects/{j}/ref");
        let reference = text(affect, "ref").unwrap_or_default();
        let Some(product) = refs.get(reference) else {
            let why = format!("{reference:?} names no component with a purl or a Keelson build");
            return Err(Error::invalid(at, why));
        };
        match (subject, product) {
            (Some(whole), Product::Purl(part)) if whole != product => {
                components
                    .entry(whole.clone())
                    .or_default()
                    .push(part.clone());
                if !products.contains(whole) {
                    products.push(whole.clone());
                }
            }
            _ if !products.contains(product) => products.push(product.clone()),
            _ => {}
        }
    }
    if products.is_empty() {
        return Err(Error::invalid(
            format!("{at}/affects"),
            "names no component",
        ));
    }
    Ok(Statement {
        vulnerability: Vulnerability {
            id: id.to_owned(),
            aliases,
            description: text(node, "description").map(str::to_owned),
        },
        products,
        components,
        status: status_in(node, at)?,
        timestamp: node
            .pointer("/analysis/lastUpdated")
            .and_then(Value::as_str)
            .map(|t| parse_time(t, &format!("{at}/analysis/lastUpdated")))
            .transpose()?,
    })
}

fn status_in(node: &Value, at: &str) -> Result<Status, Error> {
    let analysis = node.get("analysis").unwrap_or(&Value::Null);
    let detail = text(analysis, "detail").map(str::to_owned);
    match text(analysis, "state") {
        Some("not_affected" | "false_positive") => {
            let label = text(analysis, "justification");
            let justification = label.and_then(vex_justification);
            // A CycloneDX justification finer than VEX's five is kept in the words.
            let impact = match (label, justification) {
                (Some(label), None) => Some(match &detail {
                    Some(detail) => format!("{label}: {detail}"),
                    None => label.to_owned(),
                }),
                _ => detail,
            };
            Ok(Status::NotAffected {
                justification,
                impact,
            })
        }
        Some("exploitable") => Ok(Status::Affected {
            action: action(node, analysis, detail),
        }),
        Some("resolved" | "resolved_with_pedigree") => Ok(Status::Fixed),
        Some("in_triage") => Ok(Status::UnderInvestigation),
        Some(other) => Err(Error::invalid(
            format!("{at}/analysis/state"),
            format!("unknown state {other:?}"),
        )),
        None => Err(Error::invalid(
            format!("{at}/analysis/state"),
            "missing: without an analysis the entry is not a VEX statement",
        )),
    }
}

/// What to do: the recommendation, else the analysis detail and responses.
fn action(node: &Value, analysis: &Value, detail: Option<String>) -> String {
    if let Some(recommendation) = text(node, "recommendation") {
        return recommendation.to_owned();
    }
    let responses: Vec<&str> = items(analysis, "response")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match (detail, responses.is_empty()) {
        (Some(detail), _) => detail,
        (None, false) => format!("Response: {}.", responses.join(", ")),
        (None, true) => String::new(),
    }
}

/// The VEX justification a CycloneDX one states no less than; `None` for the
/// `requires_*` family, which has no VEX equivalent.
fn vex_justification(label: &str) -> Option<Justification> {
    match label {
        "code_not_present" => Some(Justification::VulnerableCodeNotPresent),
        "code_not_reachable" => Some(Justification::VulnerableCodeNotInExecutePath),
        "protected_by_compiler"
        | "protected_at_runtime"
        | "protected_at_perimeter"
        | "protected_by_mitigating_control" => Some(Justification::InlineMitigationsAlreadyExist),
        _ => None,
    }
}
