//! CSAF 2.0 VEX read into the neutral model: one statement per product a
//! vulnerability's `product_status` lists, with its justification (flags), impact
//! (threats) and action (remediations).
//!
//! A product is known by its purl, or by a Keelson build URI in
//! `x_generic_uris`. A `default_component_of` relationship names a component of a
//! product, and becomes that product with that component (or the component alone
//! when the product has no purl: its purl names the exact package version). A
//! product ID that resolves to none of these is an error naming where it is used.

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
use crate::json::{items, strings, text};

/// What a product ID of the document stands for.
#[derive(Debug, Clone)]
enum Named {
    Whole(Product),
    Part { whole: Product, part: Purl },
}

/// Reads a CSAF 2.0 document (any profile) for the product statuses of its
/// vulnerabilities.
pub fn parse_csaf_vex(bytes: &[u8]) -> Result<VexDocument, Error> {
    let root: Value = serde_json::from_slice(bytes).map_err(|e| Error::from_json(&e))?;
    let document = root
        .get("document")
        .ok_or_else(|| Error::invalid("/document", "missing"))?;
    let names = product_names(&root)?;
    let mut statements = Vec::new();
    for (i, node) in items(&root, "vulnerabilities").iter().enumerate() {
        let at = format!("/vulnerabilities/{i}");
        statements.extend(vulnerability_statements(node, &at, &names)?);
    }

    let tracking = document.get("tracking").unwrap_or(&Value::Null);
    let released = time_at(tracking, "initial_release_date", "/document/tracking")?;
    let current = time_at(tracking, "current_release_date", "/document/tracking")?;
    Ok(VexDocument {
        id: text(tracking, "id").unwrap_or_default().to_owned(),
        author: text_at(document, "/publisher/name"),
        author_namespace: document
            .pointer("/publisher/namespace")
            .and_then(Value::as_str)
            .map(str::to_owned),
        timestamp: released.or(current).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        last_updated: current.filter(|c| Some(*c) != released),
        version: text(tracking, "version")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1),
        tlp: tlp(&text_at(document, "/distribution/tlp/label")),
        statements,
    })
}

fn text_at(node: &Value, pointer: &str) -> String {
    node.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn time_at(node: &Value, key: &str, at: &str) -> Result<Option<OffsetDateTime>, Error> {
    let Some(value) = text(node, key) else {
        return Ok(None);
    };
    OffsetDateTime::parse(value, &Rfc3339)
        .map(Some)
        .map_err(|e| Error::invalid(format!("{at}/{key}"), format!("{value:?}: {e}")))
}

/// CSAF speaks TLP 1.0; WHITE is TLP 2.0's CLEAR. No label reads as CLEAR, as CSAF
/// documents without one are meant for publication.
fn tlp(label: &str) -> Tlp {
    match label {
        "GREEN" => Tlp::Green,
        "AMBER" => Tlp::Amber,
        "RED" => Tlp::Red,
        _ => Tlp::Clear,
    }
}

/// Every product ID of the product tree with an identity Keelson matches on.
fn product_names(root: &Value) -> Result<HashMap<String, Named>, Error> {
    let tree = root.get("product_tree").unwrap_or(&Value::Null);
    let mut wholes: HashMap<String, Product> = HashMap::new();
    for (i, product) in items(tree, "full_product_names").iter().enumerate() {
        let at = format!("/product_tree/full_product_names/{i}");
        add_product(product, &at, &mut wholes)?;
    }
    let mut stack: Vec<(String, &Value)> = items(tree, "branches")
        .iter()
        .enumerate()
        .map(|(i, b)| (format!("/product_tree/branches/{i}"), b))
        .collect();
    while let Some((at, branch)) = stack.pop() {
        if let Some(product) = branch.get("product") {
            add_product(product, &format!("{at}/product"), &mut wholes)?;
        }
        for (i, child) in items(branch, "branches").iter().enumerate() {
            stack.push((format!("{at}/branches/{i}"), child));
        }
    }

    let mut names: HashMap<String, Named> = wholes
        .iter()
        .map(|(id, product)| (id.clone(), Named::Whole(product.clone())))
        .collect();
    for relationship in items(tree, "relationships") {
        let component = text(relationship, "product_reference").and_then(|id| wholes.get(id));
        let whole =
            text(relationship, "relates_to_product_reference").and_then(|id| wholes.get(id));
        let id = relationship
            .pointer("/full_product_name/product_id")
            .and_then(Value::as_str);
        let is_component = text(relationship, "category") == Some("default_component_of");
        let (true, Some(Product::Purl(part)), Some(id)) = (is_component, component, id) else {
            continue;
        };
        // A product Keelson cannot identify (a CPE only, say) leaves the component,
        // whose purl names the exact package version the supplier speaks of.
        let named = match whole {
            Some(whole) => Named::Part {
                whole: whole.clone(),
                part: part.clone(),
            },
            None => Named::Whole(Product::Purl(part.clone())),
        };
        names.insert(id.to_owned(), named);
    }
    Ok(names)
}

fn add_product(
    product: &Value,
    at: &str,
    wholes: &mut HashMap<String, Product>,
) -> Result<(), Error> {
    let Some(id) = text(product, "product_id") else {
        return Ok(());
    };
    let helper = product
        .get("product_identification_helper")
        .unwrap_or(&Value::Null);
    if let Some(purl) = text(helper, "purl") {
        let purl = purl.parse().map_err(|e| {
            let at = format!("{at}/product_identification_helper/purl");
            Error::invalid(at, format!("{purl:?} is not a purl: {e}"))
        })?;
        wholes.insert(id.to_owned(), Product::Purl(purl));
        return Ok(());
    }
    let build = items(helper, "x_generic_uris")
        .iter()
        .filter_map(|uri| text(uri, "uri"))
        .find_map(|uri| uri.strip_prefix(BUILD_URN));
    if let Some(build) = build {
        wholes.insert(id.to_owned(), Product::Build(build.to_owned()));
    }
    Ok(())
}

/// The lists of `product_status` and the VEX status each one states.
const STATUS_LISTS: &[&str] = &[
    "known_not_affected",
    "known_affected",
    "first_affected",
    "last_affected",
    "fixed",
    "first_fixed",
    "recommended",
    "under_investigation",
];

fn vulnerability_statements(
    node: &Value,
    at: &str,
    names: &HashMap<String, Named>,
) -> Result<Vec<Statement>, Error> {
    let vulnerability = vulnerability_in(node, at)?;
    let mut statements = Vec::new();
    for list in STATUS_LISTS {
        for (j, id) in strings(node.get("product_status").unwrap_or(&Value::Null), list) {
            let at = format!("{at}/product_status/{list}/{j}");
            let Some(named) = names.get(id) else {
                let why = format!("product {id:?} has neither a purl nor a Keelson build URI");
                return Err(Error::invalid(at, why));
            };
            let mut statement = Statement {
                vulnerability: vulnerability.clone(),
                products: Vec::new(),
                components: BTreeMap::new(),
                status: status(node, list, id),
                timestamp: None,
            };
            match named {
                Named::Whole(product) => statement.products.push(product.clone()),
                Named::Part { whole, part } => {
                    statement.products.push(whole.clone());
                    statement
                        .components
                        .insert(whole.clone(), vec![part.clone()]);
                }
            }
            statements.push(statement);
        }
    }
    Ok(statements)
}

fn vulnerability_in(node: &Value, at: &str) -> Result<Vulnerability, Error> {
    let mut names: Vec<String> = text(node, "cve").map(str::to_owned).into_iter().collect();
    names.extend(
        items(node, "ids")
            .iter()
            .filter_map(|id| text(id, "text").map(str::to_owned)),
    );
    if names.is_empty() {
        return Err(Error::invalid(
            at,
            "the vulnerability has neither cve nor ids",
        ));
    }
    let description = items(node, "notes")
        .iter()
        .find(|n| text(n, "category") == Some("description"))
        .and_then(|n| text(n, "text"))
        .map(str::to_owned);
    let id = names.remove(0);
    Ok(Vulnerability {
        id,
        aliases: names,
        description,
    })
}

/// The texts of the entries of `key` (flags, threats, remediations) that name the
/// product, with the entry's `field`.
fn naming<'a>(node: &'a Value, key: &str, product: &str, field: &str) -> Vec<&'a str> {
    items(node, key)
        .iter()
        .filter(|entry| strings(entry, "product_ids").any(|(_, id)| id == product))
        .filter_map(|entry| text(entry, field))
        .collect()
}

fn status(node: &Value, list: &str, product: &str) -> Status {
    match list {
        "known_not_affected" => {
            let justification = naming(node, "flags", product, "label")
                .into_iter()
                .find_map(Justification::from_label);
            let impacts: Vec<&str> = items(node, "threats")
                .iter()
                .filter(|t| text(t, "category") == Some("impact"))
                .filter(|t| strings(t, "product_ids").any(|(_, id)| id == product))
                .filter_map(|t| text(t, "details"))
                .collect();
            Status::NotAffected {
                justification,
                impact: (!impacts.is_empty()).then(|| impacts.join(" ")),
            }
        }
        "known_affected" | "first_affected" | "last_affected" => Status::Affected {
            action: naming(node, "remediations", product, "details").join(" "),
        },
        "under_investigation" => Status::UnderInvestigation,
        _ => Status::Fixed,
    }
}
