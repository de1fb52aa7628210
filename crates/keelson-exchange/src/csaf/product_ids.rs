//! Where a CSAF document defines and references product and group IDs, and the
//! mandatory tests about the product tree: 6.1.1-6.1.5, 6.1.13, 6.1.25, 6.1.31.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::Violation;
use crate::json::{items, strings, text};

/// The product status lists of a vulnerability.
pub(crate) const STATUS_LISTS: [&str; 8] = [
    "first_affected",
    "first_fixed",
    "fixed",
    "known_affected",
    "known_not_affected",
    "last_affected",
    "recommended",
    "under_investigation",
];

/// A value found at a JSON pointer.
pub(crate) struct Found<'a> {
    pub(crate) path: String,
    pub(crate) value: &'a str,
}

/// Every full product name object (full_product_names, branch products, relationship
/// products) with its pointer.
pub(crate) fn full_product_names(document: &Value) -> Vec<(String, &Value)> {
    let mut found = Vec::new();
    let Some(tree) = document.get("product_tree") else {
        return found;
    };
    for (i, product) in items(tree, "full_product_names").iter().enumerate() {
        found.push((format!("/product_tree/full_product_names/{i}"), product));
    }
    for (path, branch) in branches(document) {
        if let Some(product) = branch.get("product") {
            found.push((format!("{path}/product"), product));
        }
    }
    for (i, relationship) in items(tree, "relationships").iter().enumerate() {
        if let Some(product) = relationship.get("full_product_name") {
            let path = format!("/product_tree/relationships/{i}/full_product_name");
            found.push((path, product));
        }
    }
    found
}

/// Every branch of the product tree, depth first, with its pointer.
pub(crate) fn branches(document: &Value) -> Vec<(String, &Value)> {
    let mut found = Vec::new();
    if let Some(tree) = document.get("product_tree") {
        collect_branches(tree, "/product_tree", &mut found);
    }
    found
}

fn collect_branches<'a>(node: &'a Value, path: &str, found: &mut Vec<(String, &'a Value)>) {
    for (i, branch) in items(node, "branches").iter().enumerate() {
        let here = format!("{path}/branches/{i}");
        found.push((here.clone(), branch));
        collect_branches(branch, &here, found);
    }
}

/// Every product ID definition, in document order.
pub(crate) fn product_definitions(document: &Value) -> Vec<Found<'_>> {
    full_product_names(document)
        .into_iter()
        .filter_map(|(path, product)| {
            text(product, "product_id").map(|value| Found {
                path: format!("{path}/product_id"),
                value,
            })
        })
        .collect()
}

/// Every product group ID definition.
pub(crate) fn group_definitions(document: &Value) -> Vec<Found<'_>> {
    let Some(tree) = document.get("product_tree") else {
        return Vec::new();
    };
    items(tree, "product_groups")
        .iter()
        .enumerate()
        .filter_map(|(i, group)| {
            text(group, "group_id").map(|value| Found {
                path: format!("/product_tree/product_groups/{i}/group_id"),
                value,
            })
        })
        .collect()
}

fn push_strings<'a>(found: &mut Vec<Found<'a>>, node: &'a Value, key: &str, path: &str) {
    for (i, value) in strings(node, key) {
        found.push(Found {
            path: format!("{path}/{key}/{i}"),
            value,
        });
    }
}

/// Every reference to a product ID (the places section 6.1.1 lists).
pub(crate) fn product_references(document: &Value) -> Vec<Found<'_>> {
    let mut found = Vec::new();
    if let Some(tree) = document.get("product_tree") {
        for (i, group) in items(tree, "product_groups").iter().enumerate() {
            let path = format!("/product_tree/product_groups/{i}");
            push_strings(&mut found, group, "product_ids", &path);
        }
        for (i, relationship) in items(tree, "relationships").iter().enumerate() {
            for key in ["product_reference", "relates_to_product_reference"] {
                if let Some(value) = text(relationship, key) {
                    let path = format!("/product_tree/relationships/{i}/{key}");
                    found.push(Found { path, value });
                }
            }
        }
    }
    for (v, vulnerability) in items(document, "vulnerabilities").iter().enumerate() {
        let base = format!("/vulnerabilities/{v}");
        if let Some(status) = vulnerability.get("product_status") {
            for list in STATUS_LISTS {
                push_strings(&mut found, status, list, &format!("{base}/product_status"));
            }
        }
        for (section, key) in [
            ("remediations", "product_ids"),
            ("scores", "products"),
            ("threats", "product_ids"),
            ("flags", "product_ids"),
        ] {
            for (i, item) in items(vulnerability, section).iter().enumerate() {
                push_strings(&mut found, item, key, &format!("{base}/{section}/{i}"));
            }
        }
    }
    found
}

/// Every reference to a product group ID.
pub(crate) fn group_references(document: &Value) -> Vec<Found<'_>> {
    let mut found = Vec::new();
    for (v, vulnerability) in items(document, "vulnerabilities").iter().enumerate() {
        for section in ["remediations", "threats", "flags"] {
            for (i, item) in items(vulnerability, section).iter().enumerate() {
                let path = format!("/vulnerabilities/{v}/{section}/{i}");
                push_strings(&mut found, item, "group_ids", &path);
            }
        }
    }
    found
}

fn missing(test: &str, what: &str, defined: &[Found], references: &[Found]) -> Vec<Violation> {
    let known: BTreeSet<&str> = defined.iter().map(|d| d.value).collect();
    references
        .iter()
        .filter(|r| !known.contains(r.value))
        .map(|r| {
            let message = format!("{what} {:?} is referenced but never defined", r.value);
            Violation::new(test, r.path.clone(), message)
        })
        .collect()
}

fn duplicates(test: &str, what: &str, defined: &[Found]) -> Vec<Violation> {
    let mut first: BTreeMap<&str, &str> = BTreeMap::new();
    let mut out = Vec::new();
    for definition in defined {
        match first.get(definition.value) {
            Some(earlier) => out.push(Violation::new(
                test,
                definition.path.clone(),
                format!(
                    "{what} {:?} is already defined at {earlier}",
                    definition.value
                ),
            )),
            None => {
                first.insert(definition.value, &definition.path);
            }
        }
    }
    out
}

/// 6.1.1 Missing Definition of Product ID.
pub(crate) fn missing_product_definition(document: &Value) -> Vec<Violation> {
    let defined = product_definitions(document);
    let references = product_references(document);
    missing("6.1.1", "product ID", &defined, &references)
}

/// 6.1.2 Multiple Definition of Product ID.
pub(crate) fn multiple_product_definition(document: &Value) -> Vec<Violation> {
    duplicates("6.1.2", "product ID", &product_definitions(document))
}

/// 6.1.4 Missing Definition of Product Group ID.
pub(crate) fn missing_group_definition(document: &Value) -> Vec<Violation> {
    let defined = group_definitions(document);
    let references = group_references(document);
    missing("6.1.4", "product group ID", &defined, &references)
}

/// 6.1.5 Multiple Definition of Product Group ID.
pub(crate) fn multiple_group_definition(document: &Value) -> Vec<Violation> {
    duplicates("6.1.5", "product group ID", &group_definitions(document))
}

/// 6.1.3 Circular Definition of Product ID: a product that a relationship defines must
/// not, following relationships back, be built from itself.
pub(crate) fn circular_product_definition(document: &Value) -> Vec<Violation> {
    let Some(tree) = document.get("product_tree") else {
        return Vec::new();
    };
    let relationships = items(tree, "relationships");
    let mut parts: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for relationship in relationships {
        let Some(defined) = relationship
            .get("full_product_name")
            .and_then(|p| text(p, "product_id"))
        else {
            continue;
        };
        let entry = parts.entry(defined).or_default();
        for key in ["product_reference", "relates_to_product_reference"] {
            entry.extend(text(relationship, key));
        }
    }
    let mut out = Vec::new();
    for (i, relationship) in relationships.iter().enumerate() {
        let defined = relationship
            .get("full_product_name")
            .and_then(|p| text(p, "product_id"));
        if let Some(defined) = defined
            && builds_on_itself(defined, &parts)
        {
            let path = format!("/product_tree/relationships/{i}/full_product_name/product_id");
            let message = format!("product ID {defined:?} is defined in terms of itself");
            out.push(Violation::new("6.1.3", path, message));
        }
    }
    out
}

fn builds_on_itself(start: &str, parts: &BTreeMap<&str, Vec<&str>>) -> bool {
    let mut seen = BTreeSet::new();
    let mut queue: Vec<&str> = parts.get(start).cloned().unwrap_or_default();
    while let Some(next) = queue.pop() {
        if next == start {
            return true;
        }
        if seen.insert(next) {
            queue.extend(parts.get(next).into_iter().flatten());
        }
    }
    false
}

/// 6.1.13 PURL: every purl of a product identification helper is a valid package URL.
pub(crate) fn purl(document: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for (path, product) in full_product_names(document) {
        let Some(helper) = product.get("product_identification_helper") else {
            continue;
        };
        if let Some(value) = text(helper, "purl")
            && let Err(error) = value.parse::<keelson_vulndb::Purl>()
        {
            let at = format!("{path}/product_identification_helper/purl");
            out.push(Violation::new(
                "6.1.13",
                at,
                format!("invalid purl: {error}"),
            ));
        }
    }
    out
}

/// 6.1.25 Multiple Use of Same Hash Algorithm: within one file hash item, each
/// algorithm at most once.
pub(crate) fn repeated_hash_algorithm(document: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for (path, product) in full_product_names(document) {
        let Some(helper) = product.get("product_identification_helper") else {
            continue;
        };
        for (h, hash) in items(helper, "hashes").iter().enumerate() {
            let mut seen = BTreeSet::new();
            for (f, file_hash) in items(hash, "file_hashes").iter().enumerate() {
                let Some(algorithm) = text(file_hash, "algorithm") else {
                    continue;
                };
                if !seen.insert(algorithm) {
                    let at = format!(
                        "{path}/product_identification_helper/hashes/{h}/file_hashes/{f}/algorithm"
                    );
                    let message = format!("hash algorithm {algorithm:?} is used twice");
                    out.push(Violation::new("6.1.25", at, message));
                }
            }
        }
    }
    out
}

/// Words and operators that state a range rather than one version (6.1.31).
const RANGE_WORDS: [&str; 7] = [
    "after", "all", "before", "earlier", "later", "prior", "versions",
];
const RANGE_OPERATORS: [&str; 4] = ["<", "<=", ">", ">="];

/// 6.1.31 Version Range in Product Version: a `product_version` branch names one
/// version; ranges belong in `product_version_range`.
pub(crate) fn version_range_in_product_version(document: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for (path, branch) in branches(document) {
        if text(branch, "category") != Some("product_version") {
            continue;
        }
        let Some(name) = text(branch, "name") else {
            continue;
        };
        if let Some(hit) = range_indicator(name) {
            let message = format!("product_version {name:?} states a range ({hit:?})");
            out.push(Violation::new("6.1.31", format!("{path}/name"), message));
        }
    }
    out
}

fn range_indicator(name: &str) -> Option<String> {
    if let Some(op) = RANGE_OPERATORS.iter().rev().find(|op| name.contains(**op)) {
        return Some((*op).to_owned());
    }
    let lower = name.to_lowercase();
    lower
        .split_whitespace()
        .find(|word| RANGE_WORDS.contains(word))
        .map(str::to_owned)
}
