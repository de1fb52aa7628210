//! Mandatory tests about the vulnerabilities section: product status, scores per
//! product, CVE and involvement uniqueness, and remediations and flags that must name
//! products (6.1.6, 6.1.7, 6.1.23, 6.1.24, 6.1.29, 6.1.32, 6.1.33).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::Violation;
use crate::json::{items, strings, text};

/// The status groups of 6.1.6: a product may sit in lists of one group only.
const STATUS_GROUPS: [(&str, &[&str]); 4] = [
    (
        "affected",
        &["first_affected", "known_affected", "last_affected"],
    ),
    ("not affected", &["known_not_affected"]),
    ("fixed", &["first_fixed", "fixed"]),
    ("under investigation", &["under_investigation"]),
];

/// Product group ID to the product IDs it holds.
pub(crate) fn group_members(document: &Value) -> BTreeMap<&str, Vec<&str>> {
    let mut members = BTreeMap::new();
    if let Some(tree) = document.get("product_tree") {
        for group in items(tree, "product_groups") {
            if let Some(id) = text(group, "group_id") {
                let ids: Vec<&str> = strings(group, "product_ids").map(|(_, s)| s).collect();
                members.insert(id, ids);
            }
        }
    }
    members
}

/// The product IDs an item (remediation, threat, flag) names, directly or by group.
pub(crate) fn products_named<'a>(
    item: &'a Value,
    groups: &BTreeMap<&str, Vec<&'a str>>,
) -> BTreeSet<&'a str> {
    let mut named: BTreeSet<&str> = strings(item, "product_ids").map(|(_, s)| s).collect();
    for (_, group) in strings(item, "group_ids") {
        named.extend(groups.get(group).into_iter().flatten().copied());
    }
    named
}

/// 6.1.6 Contradicting Product Status.
pub(crate) fn contradicting_product_status(document: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for (v, vulnerability) in items(document, "vulnerabilities").iter().enumerate() {
        let Some(status) = vulnerability.get("product_status") else {
            continue;
        };
        let mut group_of: BTreeMap<&str, &str> = BTreeMap::new();
        for (group, lists) in STATUS_GROUPS {
            for list in lists {
                for (i, product) in strings(status, list) {
                    match group_of.get(product) {
                        Some(other) if *other != group => {
                            let path = format!("/vulnerabilities/{v}/product_status/{list}/{i}");
                            let message =
                                format!("product {product:?} is both {other} and {group}");
                            out.push(Violation::new("6.1.6", path, message));
                        }
                        _ => {
                            group_of.insert(product, group);
                        }
                    }
                }
            }
        }
    }
    out
}

/// 6.1.7 Multiple Scores with same Version per Product.
pub(crate) fn multiple_scores_per_version(document: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for (v, vulnerability) in items(document, "vulnerabilities").iter().enumerate() {
        let mut seen: BTreeSet<(&str, &str)> = BTreeSet::new();
        for (s, score) in items(vulnerability, "scores").iter().enumerate() {
            let versions: Vec<&str> = ["cvss_v2", "cvss_v3"]
                .iter()
                .filter_map(|key| score.get(*key).and_then(|c| text(c, "version")))
                .collect();
            for (p, product) in strings(score, "products") {
                for version in &versions {
                    if !seen.insert((product, version)) {
                        let path = format!("/vulnerabilities/{v}/scores/{s}/products/{p}");
                        let message =
                            format!("product {product:?} has a second CVSS {version} score");
                        out.push(Violation::new("6.1.7", path, message));
                    }
                }
            }
        }
    }
    out
}

/// 6.1.23 Multiple Use of Same CVE.
pub(crate) fn repeated_cve(document: &Value) -> Vec<Violation> {
    let mut first: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (v, vulnerability) in items(document, "vulnerabilities").iter().enumerate() {
        let Some(cve) = text(vulnerability, "cve") else {
            continue;
        };
        match first.get(cve) {
            Some(earlier) => out.push(Violation::new(
                "6.1.23",
                format!("/vulnerabilities/{v}/cve"),
                format!("{cve} is already the subject of /vulnerabilities/{earlier}"),
            )),
            None => {
                first.insert(cve, v);
            }
        }
    }
    out
}

/// 6.1.24 Multiple Definition in Involvements: one party, one date, one entry.
pub(crate) fn repeated_involvement(document: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for (v, vulnerability) in items(document, "vulnerabilities").iter().enumerate() {
        let mut seen = BTreeSet::new();
        for (i, involvement) in items(vulnerability, "involvements").iter().enumerate() {
            let (Some(party), Some(date)) = (text(involvement, "party"), text(involvement, "date"))
            else {
                continue;
            };
            let instant =
                super::revisions::instant(date).map_or(date.to_owned(), |t| t.to_string());
            if !seen.insert((party, instant)) {
                let path = format!("/vulnerabilities/{v}/involvements/{i}");
                let message = format!("party {party:?} already has an involvement at {date}");
                out.push(Violation::new("6.1.24", path, message));
            }
        }
    }
    out
}

fn without_products(test: &str, section: &str, document: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for (v, vulnerability) in items(document, "vulnerabilities").iter().enumerate() {
        for (i, item) in items(vulnerability, section).iter().enumerate() {
            let names_any = ["product_ids", "group_ids"]
                .iter()
                .any(|key| item.get(*key).is_some());
            if !names_any {
                let path = format!("/vulnerabilities/{v}/{section}/{i}");
                let message = "names neither product_ids nor group_ids";
                out.push(Violation::new(test, path, message));
            }
        }
    }
    out
}

/// 6.1.29 Remediation without Product Reference.
pub(crate) fn remediation_without_product(document: &Value) -> Vec<Violation> {
    without_products("6.1.29", "remediations", document)
}

/// 6.1.32 Flag without Product Reference.
pub(crate) fn flag_without_product(document: &Value) -> Vec<Violation> {
    without_products("6.1.32", "flags", document)
}

/// 6.1.33 Multiple Flags with VEX Justification Codes per Product.
pub(crate) fn multiple_flags_per_product(document: &Value) -> Vec<Violation> {
    let groups = group_members(document);
    let mut out = Vec::new();
    for (v, vulnerability) in items(document, "vulnerabilities").iter().enumerate() {
        let mut flagged: BTreeMap<&str, usize> = BTreeMap::new();
        for (f, flag) in items(vulnerability, "flags").iter().enumerate() {
            for product in products_named(flag, &groups) {
                if let Some(earlier) = flagged.insert(product, f)
                    && earlier != f
                {
                    let path = format!("/vulnerabilities/{v}/flags/{f}");
                    let message =
                        format!("product {product:?} already has a flag (flags/{earlier})");
                    out.push(Violation::new("6.1.33", path, message));
                }
            }
        }
    }
    out
}
