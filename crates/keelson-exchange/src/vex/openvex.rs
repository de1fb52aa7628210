//! OpenVEX 0.2: written from the neutral model, and read (0.2 and the legacy 0.0.x
//! shapes) into it.

use std::collections::BTreeMap;

use keelson_core::Tlp;
use keelson_vulndb::Purl;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::model::{
    BUILD_URN, Justification, Product, Statement, Status, VexDocument, Vulnerability, rfc3339,
};
use crate::Error;
use crate::json::{items, text};

const CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

/// OpenVEX wants the document `@id` to be an IRI; a plain ID (a CSAF tracking ID such
/// as `KEELSON-VEX-2026-0001`) is written under this URN prefix and read back without.
const DOCUMENT_URN: &str = "urn:keelson:vex:";

fn has_scheme(id: &str) -> bool {
    let Some((scheme, _)) = id.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

fn document_iri(id: &str) -> String {
    if has_scheme(id) {
        id.to_owned()
    } else {
        format!("{DOCUMENT_URN}{id}")
    }
}

/// The OpenVEX 0.2 document of `vex`.
pub fn to_openvex(vex: &VexDocument) -> Value {
    let mut document = json!({
        "@context": CONTEXT,
        "@id": document_iri(&vex.id),
        "author": vex.author,
        "timestamp": rfc3339(vex.timestamp),
        "version": vex.version,
        "statements": vex.statements.iter().map(statement_out).collect::<Vec<_>>(),
    });
    if let Some(updated) = vex.last_updated {
        document["last_updated"] = json!(rfc3339(updated));
    }
    document
}

fn statement_out(statement: &Statement) -> Value {
    let mut vulnerability = json!({ "name": statement.vulnerability.id });
    if !statement.vulnerability.aliases.is_empty() {
        vulnerability["aliases"] = json!(statement.vulnerability.aliases);
    }
    if let Some(description) = &statement.vulnerability.description {
        vulnerability["description"] = json!(description);
    }
    let mut out = json!({
        "vulnerability": vulnerability,
        "products": statement.products.iter()
            .map(|p| product_out(p, statement.components.get(p))).collect::<Vec<_>>(),
        "status": statement.status.label(),
    });
    if let Some(at) = statement.timestamp {
        out["timestamp"] = json!(rfc3339(at));
    }
    match &statement.status {
        Status::NotAffected {
            justification,
            impact,
        } => {
            if let Some(justification) = justification {
                out["justification"] = json!(justification.label());
            }
            if let Some(impact) = impact {
                out["impact_statement"] = json!(impact);
            }
        }
        Status::Affected { action } => out["action_statement"] = json!(action),
        Status::Fixed | Status::UnderInvestigation => {}
    }
    out
}

fn product_out(product: &Product, components: Option<&Vec<Purl>>) -> Value {
    let mut out = match product {
        Product::Purl(purl) => purl_out(purl),
        Product::Build(_) => json!({ "@id": product.iri() }),
    };
    if let Some(components) = components.filter(|c| !c.is_empty()) {
        out["subcomponents"] = components.iter().map(purl_out).collect();
    }
    out
}

fn purl_out(purl: &Purl) -> Value {
    json!({ "@id": purl.to_string(), "identifiers": { "purl": purl.to_string() } })
}

/// Reads an OpenVEX document (0.2, or the legacy 0.0.x shape where vulnerabilities and
/// products are plain strings). A product that is neither a purl nor a Keelson build
/// URN is an error naming it: a statement must never widen to products it did not name.
pub fn parse_openvex(bytes: &[u8]) -> Result<VexDocument, Error> {
    let root: Value = serde_json::from_slice(bytes).map_err(|e| Error::from_json(&e))?;
    if !root.is_object() {
        return Err(Error::invalid("", "an OpenVEX document is a JSON object"));
    }
    let timestamp = required_time(&root, "timestamp", "")?;
    let mut statements = Vec::new();
    for (i, statement) in items(&root, "statements").iter().enumerate() {
        statements.push(statement_in(statement, &format!("/statements/{i}"))?);
    }
    Ok(VexDocument {
        id: document_id(text(&root, "@id").unwrap_or_default()),
        author: text(&root, "author").unwrap_or_default().to_owned(),
        author_namespace: None,
        timestamp,
        last_updated: optional_time(&root, "last_updated", "")?,
        version: root.get("version").and_then(Value::as_u64).unwrap_or(1) as u32,
        tlp: Tlp::Clear,
        statements,
    })
}

fn document_id(iri: &str) -> String {
    iri.strip_prefix(DOCUMENT_URN).unwrap_or(iri).to_owned()
}

fn parse_time(value: &str, at: &str) -> Result<OffsetDateTime, Error> {
    OffsetDateTime::parse(value, &Rfc3339)
        .map_err(|e| Error::invalid(at, format!("{value:?} is not an RFC 3339 time: {e}")))
}

fn required_time(node: &Value, key: &str, at: &str) -> Result<OffsetDateTime, Error> {
    let path = format!("{at}/{key}");
    match text(node, key) {
        Some(value) => parse_time(value, &path),
        None => Err(Error::invalid(path, "missing")),
    }
}

fn optional_time(node: &Value, key: &str, at: &str) -> Result<Option<OffsetDateTime>, Error> {
    text(node, key)
        .map(|value| parse_time(value, &format!("{at}/{key}")))
        .transpose()
}

fn statement_in(node: &Value, at: &str) -> Result<Statement, Error> {
    let vulnerability =
        vulnerability_in(node.get("vulnerability"), &format!("{at}/vulnerability"))?;
    let mut products = Vec::new();
    let mut components = BTreeMap::new();
    for (i, node) in items(node, "products").iter().enumerate() {
        let at = format!("{at}/products/{i}");
        let product = product_in(node, &at)?;
        let parts = subcomponents_in(node, &at)?;
        if !parts.is_empty() {
            components.insert(product.clone(), parts);
        }
        products.push(product);
    }
    Ok(Statement {
        vulnerability,
        products,
        components,
        status: status_in(node, at)?,
        timestamp: optional_time(node, "timestamp", at)?,
    })
}

fn vulnerability_in(node: Option<&Value>, at: &str) -> Result<Vulnerability, Error> {
    let (id, aliases, description) = match node {
        Some(Value::String(id)) => (id.clone(), Vec::new(), None),
        Some(Value::Object(map)) => (
            map_text(map, "name")
                .or_else(|| map_text(map, "@id"))
                .unwrap_or_default(),
            items(&Value::Object(map.clone()), "aliases")
                .iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect(),
            map_text(map, "description"),
        ),
        _ => return Err(Error::invalid(at, "missing vulnerability")),
    };
    if id.is_empty() {
        return Err(Error::invalid(at, "the vulnerability has no name"));
    }
    Ok(Vulnerability {
        id,
        aliases,
        description,
    })
}

fn map_text(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn product_in(node: &Value, at: &str) -> Result<Product, Error> {
    let id = match node {
        Value::String(id) => Some(id.as_str()),
        _ => node
            .get("identifiers")
            .and_then(|ids| text(ids, "purl"))
            .or_else(|| text(node, "@id")),
    };
    let Some(id) = id else {
        return Err(Error::invalid(at, "the product has neither @id nor a purl"));
    };
    if let Some(build) = id.strip_prefix(BUILD_URN) {
        return Ok(Product::Build(build.to_owned()));
    }
    id.parse()
        .map(Product::Purl)
        .map_err(|e| Error::invalid(at, format!("{id:?} is not a purl Keelson can match: {e}")))
}

/// The subcomponents of a product: each must be a purl, as a component is matched by
/// its package URL.
fn subcomponents_in(node: &Value, at: &str) -> Result<Vec<Purl>, Error> {
    let mut parts = Vec::new();
    for (i, part) in items(node, "subcomponents").iter().enumerate() {
        let at = format!("{at}/subcomponents/{i}");
        match product_in(part, &at)? {
            Product::Purl(purl) => parts.push(purl),
            Product::Build(_) => {
                return Err(Error::invalid(
                    at,
                    "a subcomponent must be a purl, not a build",
                ));
            }
        }
    }
    Ok(parts)
}

fn status_in(node: &Value, at: &str) -> Result<Status, Error> {
    let status = text(node, "status").unwrap_or_default();
    match status {
        "not_affected" => {
            let justification = text(node, "justification")
                .map(|label| {
                    Justification::from_label(label).ok_or_else(|| {
                        Error::invalid(format!("{at}/justification"), format!("unknown {label:?}"))
                    })
                })
                .transpose()?;
            Ok(Status::NotAffected {
                justification,
                impact: text(node, "impact_statement").map(str::to_owned),
            })
        }
        "affected" => Ok(Status::Affected {
            action: text(node, "action_statement")
                .unwrap_or_default()
                .to_owned(),
        }),
        "fixed" => Ok(Status::Fixed),
        "under_investigation" => Ok(Status::UnderInvestigation),
        other => Err(Error::invalid(
            format!("{at}/status"),
            format!("unknown status {other:?}"),
        )),
    }
}
