//! The profile tests of 6.1.27: what each document category other than CSAF Base
//! must carry.

use std::collections::BTreeSet;

use serde_json::Value;

use super::Violation;
use super::vulnerabilities::{group_members, products_named};
use crate::json::{items, strings, text};

const INCIDENT: &str = "csaf_security_incident_response";
const INFORMATIONAL: &str = "csaf_informational_advisory";
const ADVISORY: &str = "csaf_security_advisory";
const VEX: &str = "csaf_vex";

fn category(document: &Value) -> Option<&str> {
    document.get("document").and_then(|d| text(d, "category"))
}

fn in_profiles(document: &Value, profiles: &[&str]) -> bool {
    category(document).is_some_and(|c| profiles.contains(&c))
}

/// 6.1.27.1 Document Notes: incident responses and informational advisories explain
/// themselves in a note of category description, details, general or summary.
pub(crate) fn document_notes(document: &Value) -> Vec<Violation> {
    if !in_profiles(document, &[INCIDENT, INFORMATIONAL]) {
        return Vec::new();
    }
    let notes = document
        .get("document")
        .map(|d| items(d, "notes"))
        .unwrap_or(&[]);
    let explains = notes.iter().any(|note| {
        matches!(
            text(note, "category"),
            Some("description" | "details" | "general" | "summary")
        )
    });
    if explains {
        return Vec::new();
    }
    let message = "needs a document note of category description, details, general or summary";
    vec![Violation::new("6.1.27.1", "/document/notes", message)]
}

/// 6.1.27.2 Document References: incident responses and informational advisories
/// name at least one external reference.
pub(crate) fn document_references(document: &Value) -> Vec<Violation> {
    if !in_profiles(document, &[INCIDENT, INFORMATIONAL]) {
        return Vec::new();
    }
    let references = document.get("document").map(|d| items(d, "references"));
    let external = references
        .unwrap_or(&[])
        .iter()
        .any(|r| text(r, "category") == Some("external"));
    if external {
        return Vec::new();
    }
    let message = "needs a document reference of category external";
    vec![Violation::new("6.1.27.2", "/document/references", message)]
}

/// 6.1.27.3 Vulnerabilities: an informational advisory has none.
pub(crate) fn informational_without_vulnerabilities(document: &Value) -> Vec<Violation> {
    if in_profiles(document, &[INFORMATIONAL]) && document.get("vulnerabilities").is_some() {
        let message = "an informational advisory must not have vulnerabilities";
        return vec![Violation::new("6.1.27.3", "/vulnerabilities", message)];
    }
    Vec::new()
}

/// 6.1.27.4 Product Tree: security advisories and VEX documents have one.
pub(crate) fn product_tree(document: &Value) -> Vec<Violation> {
    if in_profiles(document, &[ADVISORY, VEX]) && document.get("product_tree").is_none() {
        let message = "this profile needs a product_tree";
        return vec![Violation::new("6.1.27.4", "", message)];
    }
    Vec::new()
}

/// 6.1.27.11 Vulnerabilities: security advisories and VEX documents have them.
pub(crate) fn vulnerabilities_present(document: &Value) -> Vec<Violation> {
    if in_profiles(document, &[ADVISORY, VEX]) && document.get("vulnerabilities").is_none() {
        let message = "this profile needs vulnerabilities";
        return vec![Violation::new("6.1.27.11", "", message)];
    }
    Vec::new()
}

/// Each vulnerability of the given profiles that lacks what `has` asks for.
fn each_vulnerability(
    document: &Value,
    profiles: &[&str],
    test: &str,
    message: &str,
    has: impl Fn(&Value) -> bool,
) -> Vec<Violation> {
    if !in_profiles(document, profiles) {
        return Vec::new();
    }
    items(document, "vulnerabilities")
        .iter()
        .enumerate()
        .filter(|(_, vulnerability)| !has(vulnerability))
        .map(|(v, _)| Violation::new(test, format!("/vulnerabilities/{v}"), message))
        .collect()
}

/// 6.1.27.5 Vulnerability Notes.
pub(crate) fn vulnerability_notes(document: &Value) -> Vec<Violation> {
    each_vulnerability(document, &[ADVISORY, VEX], "6.1.27.5", "needs notes", |v| {
        v.get("notes").is_some()
    })
}

/// 6.1.27.6 Product Status (security advisories).
pub(crate) fn product_status(document: &Value) -> Vec<Violation> {
    each_vulnerability(
        document,
        &[ADVISORY],
        "6.1.27.6",
        "needs product_status",
        |v| v.get("product_status").is_some(),
    )
}

/// 6.1.27.7 VEX Product Status: at least one of the four VEX status lists.
pub(crate) fn vex_product_status(document: &Value) -> Vec<Violation> {
    let message = "needs one of fixed, known_affected, known_not_affected or under_investigation";
    each_vulnerability(document, &[VEX], "6.1.27.7", message, |v| {
        v.get("product_status").is_some_and(|status| {
            [
                "fixed",
                "known_affected",
                "known_not_affected",
                "under_investigation",
            ]
            .iter()
            .any(|list| status.get(*list).is_some())
        })
    })
}

/// 6.1.27.8 Vulnerability ID: a `cve` or `ids`.
pub(crate) fn vulnerability_id(document: &Value) -> Vec<Violation> {
    each_vulnerability(document, &[VEX], "6.1.27.8", "needs a cve or ids", |v| {
        v.get("cve").is_some() || v.get("ids").is_some()
    })
}

/// Products in `list` of each vulnerability that no item of the sections `covers`.
fn uncovered(
    document: &Value,
    test: &str,
    list: &str,
    what: &str,
    covers: impl Fn(&Value) -> Vec<&Value>,
) -> Vec<Violation> {
    if !in_profiles(document, &[VEX]) {
        return Vec::new();
    }
    let groups = group_members(document);
    let mut out = Vec::new();
    for (v, vulnerability) in items(document, "vulnerabilities").iter().enumerate() {
        let Some(status) = vulnerability.get("product_status") else {
            continue;
        };
        let covered: BTreeSet<&str> = covers(vulnerability)
            .into_iter()
            .flat_map(|item| products_named(item, &groups))
            .collect();
        for (i, product) in strings(status, list) {
            if !covered.contains(product) {
                let path = format!("/vulnerabilities/{v}/product_status/{list}/{i}");
                out.push(Violation::new(
                    test,
                    path,
                    format!("{product:?} has no {what}"),
                ));
            }
        }
    }
    out
}

/// 6.1.27.9 Impact Statement: every known-not-affected product has a flag or a threat
/// of category impact.
pub(crate) fn impact_statement(document: &Value) -> Vec<Violation> {
    uncovered(
        document,
        "6.1.27.9",
        "known_not_affected",
        "impact statement",
        |v| {
            let flags = items(v, "flags").iter();
            let impacts = items(v, "threats")
                .iter()
                .filter(|t| text(t, "category") == Some("impact"));
            flags.chain(impacts).collect()
        },
    )
}

/// 6.1.27.10 Action Statement: every known-affected product has a remediation.
pub(crate) fn action_statement(document: &Value) -> Vec<Violation> {
    uncovered(
        document,
        "6.1.27.10",
        "known_affected",
        "action statement",
        |v| items(v, "remediations").iter().collect(),
    )
}
