//! The CSAF 2.0 VEX profile (`csaf_vex`): a product tree of the statements' products,
//! one vulnerability per VEX vulnerability with its product status, justifications as
//! flags, impact statements as threats and action statements as remediations.

use std::collections::BTreeMap;

use keelson_core::Tlp;
use keelson_vulndb::Purl;
use serde_json::{Value, json};

use super::model::{Product, Statement, Status, VexDocument, Vulnerability, rfc3339};
use crate::Error;

/// The CSAF VEX document of `vex`. CSAF needs the publisher's namespace URL; without
/// one the document cannot be written.
pub fn to_csaf(vex: &VexDocument) -> Result<Value, Error> {
    let Some(namespace) = &vex.author_namespace else {
        let reason = "CSAF needs the publisher's namespace URL (author_namespace)";
        return Err(unrepresentable(reason));
    };
    if vex.id.trim().is_empty() || vex.id.trim() != vex.id {
        return Err(unrepresentable(
            "the tracking ID must be non-empty text without outer spaces",
        ));
    }
    let ids = product_ids(vex);
    let vulnerabilities = by_vulnerability(&vex.statements);
    Ok(json!({
        "document": document(vex, namespace),
        "product_tree": product_tree(&ids, namespace),
        "vulnerabilities": vulnerabilities.iter()
            .map(|(vulnerability, statements)| vulnerability_out(vulnerability, statements, &ids))
            .collect::<Vec<_>>(),
    }))
}

fn unrepresentable(reason: &str) -> Error {
    Error::Unrepresentable {
        format: "CSAF",
        reason: reason.to_owned(),
    }
}

/// CSAF 2.0 speaks TLP 1.0. AMBER+STRICT has no TLP 1.0 label; it becomes RED, the
/// stricter neighbour, so that a reader who knows only the label never shares more.
fn tlp_label(tlp: Tlp) -> &'static str {
    match tlp {
        Tlp::Clear => "WHITE",
        Tlp::Green => "GREEN",
        Tlp::Amber => "AMBER",
        Tlp::AmberStrict | Tlp::Red => "RED",
    }
}

fn document(vex: &VexDocument, namespace: &str) -> Value {
    let released = rfc3339(vex.timestamp);
    let current = rfc3339(vex.last_updated.unwrap_or(vex.timestamp));
    let version = vex.version.max(1);
    let mut history =
        vec![json!({ "number": "1", "date": released, "summary": "Initial version." })];
    for number in 2..=version {
        let date = if number == version {
            &current
        } else {
            &released
        };
        history.push(json!({ "number": number.to_string(), "date": date, "summary": "Updated." }));
    }
    json!({
        "category": "csaf_vex",
        "csaf_version": "2.0",
        "title": format!("VEX statements of {}", vex.author),
        "publisher": { "category": "vendor", "name": vex.author, "namespace": namespace },
        "distribution": {
            "text": format!("TLP:{} (TLP 2.0) as marked in Keelson.", vex.tlp.as_str()),
            "tlp": { "label": tlp_label(vex.tlp), "url": "https://www.first.org/tlp/" },
        },
        "tracking": {
            "id": vex.id,
            "status": "final",
            "version": version.to_string(),
            "initial_release_date": released,
            "current_release_date": current,
            "revision_history": history,
        },
    })
}

/// What a product ID of the written document stands for: a product, or one component
/// of a product (a `default_component_of` relationship).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Named {
    Whole(Product),
    Part { whole: Product, part: Purl },
}

/// What a statement's status is about: each product's named components, else the
/// product itself.
fn targets(statement: &Statement) -> Vec<Named> {
    let mut out = Vec::new();
    for product in &statement.products {
        match statement.components.get(product) {
            Some(parts) if !parts.is_empty() => out.extend(parts.iter().map(|part| Named::Part {
                whole: product.clone(),
                part: part.clone(),
            })),
            _ => out.push(Named::Whole(product.clone())),
        }
    }
    out
}

/// One product ID per distinct product, component and relationship, in a stable
/// order.
fn product_ids(vex: &VexDocument) -> BTreeMap<Named, String> {
    let mut ids = BTreeMap::new();
    for named in vex.statements.iter().flat_map(targets) {
        if let Named::Part { whole, part } = &named {
            ids.entry(Named::Whole(whole.clone()))
                .or_insert(String::new());
            ids.entry(Named::Whole(Product::Purl(part.clone())))
                .or_insert(String::new());
        }
        ids.entry(named).or_insert(String::new());
    }
    for (n, id) in ids.values_mut().enumerate() {
        *id = format!("CSAFPID-{:04}", n + 1);
    }
    ids
}

/// The product tree: every whole product by name, every component as a relationship.
fn product_tree(ids: &BTreeMap<Named, String>, namespace: &str) -> Value {
    let mut names = Vec::new();
    let mut relationships = Vec::new();
    for (named, id) in ids {
        match named {
            Named::Whole(product) => names.push(full_product_name(product, id, namespace)),
            Named::Part { whole, part } => {
                let part_product = Product::Purl(part.clone());
                // `product_ids` gives every part's whole and component an ID of its own.
                let (Some(whole_id), Some(part_id)) = (
                    ids.get(&Named::Whole(whole.clone())),
                    ids.get(&Named::Whole(part_product.clone())),
                ) else {
                    continue;
                };
                relationships.push(json!({
                    "category": "default_component_of",
                    "full_product_name": {
                        "name": format!("{} in {}", part_product.name(), whole.name()),
                        "product_id": id,
                    },
                    "product_reference": part_id,
                    "relates_to_product_reference": whole_id,
                }));
            }
        }
    }
    let mut tree = json!({ "full_product_names": names });
    if !relationships.is_empty() {
        tree["relationships"] = json!(relationships);
    }
    tree
}

/// A product by name; a purl as its identification helper, a Keelson build by its
/// URI (under the publisher's namespace) so that the document reads back.
fn full_product_name(product: &Product, id: &str, namespace: &str) -> Value {
    let mut out = json!({ "name": product.name(), "product_id": id });
    match product {
        Product::Purl(purl) => {
            out["product_identification_helper"] = json!({ "purl": purl.to_string() });
        }
        Product::Build(_) => {
            let uri = json!({ "namespace": namespace, "uri": product.iri() });
            out["product_identification_helper"] = json!({ "x_generic_uris": [uri] });
        }
    }
    out
}

/// Statements grouped by vulnerability ID, in first-seen order.
fn by_vulnerability(statements: &[Statement]) -> Vec<(&Vulnerability, Vec<&Statement>)> {
    let mut groups: Vec<(&Vulnerability, Vec<&Statement>)> = Vec::new();
    for statement in statements {
        match groups
            .iter_mut()
            .find(|(v, _)| v.id == statement.vulnerability.id)
        {
            Some((_, members)) => members.push(statement),
            None => groups.push((&statement.vulnerability, vec![statement])),
        }
    }
    groups
}

fn is_cve(id: &str) -> bool {
    let mut parts = id.splitn(3, '-');
    let (Some("CVE"), Some(year), Some(number)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    year.len() == 4 && number.len() >= 4 && digits(year) && digits(number)
}

fn vulnerability_out(
    vulnerability: &Vulnerability,
    statements: &[&Statement],
    ids: &BTreeMap<Named, String>,
) -> Value {
    let names = std::iter::once(&vulnerability.id).chain(&vulnerability.aliases);
    let cve = names.clone().find(|id| is_cve(id));
    let others: Vec<Value> = names
        .filter(|id| Some(*id) != cve)
        .map(|id| json!({ "system_name": id.split('-').next().unwrap_or(id), "text": id }))
        .collect();
    let note = vulnerability.description.clone().unwrap_or_else(|| {
        format!(
            "Exploitability of {} in the products listed.",
            vulnerability.id
        )
    });
    let mut out = json!({ "notes": [{ "category": "description", "text": note }] });
    if let Some(cve) = cve {
        out["cve"] = json!(cve);
    }
    if !others.is_empty() {
        out["ids"] = json!(others);
    }
    // A later statement on the same product supersedes an earlier one; keeping both
    // would give the product two statuses (6.1.6) or two flags (6.1.33).
    let mut latest: BTreeMap<Named, usize> = BTreeMap::new();
    for (i, statement) in statements.iter().enumerate() {
        for named in targets(statement) {
            latest.insert(named, i);
        }
    }
    let mut sections = Sections::default();
    for (i, statement) in statements.iter().enumerate() {
        let current: Vec<Named> = targets(statement)
            .into_iter()
            .filter(|p| latest.get(p) == Some(&i))
            .collect();
        if !current.is_empty() {
            sections.add(statement, &current, ids);
        }
    }
    sections.write(&mut out);
    out
}

/// The parts of one CSAF vulnerability that statements fill in.
#[derive(Default)]
struct Sections {
    status: BTreeMap<&'static str, Vec<String>>,
    flags: Vec<Value>,
    threats: Vec<Value>,
    remediations: Vec<Value>,
}

impl Sections {
    fn add(&mut self, statement: &Statement, current: &[Named], ids: &BTreeMap<Named, String>) {
        let products: Vec<String> = current.iter().filter_map(|p| ids.get(p).cloned()).collect();
        let list = match &statement.status {
            Status::NotAffected {
                justification,
                impact,
            } => {
                if let Some(justification) = justification {
                    self.flags
                        .push(json!({ "label": justification.label(), "product_ids": products }));
                }
                let details = impact.clone().or_else(|| {
                    justification.map(|j| format!("Not affected: {}.", j.label().replace('_', " ")))
                });
                let details = details.unwrap_or_else(|| "Not affected.".to_owned());
                self.threats.push(
                    json!({ "category": "impact", "details": details, "product_ids": products }),
                );
                "known_not_affected"
            }
            Status::Affected { action } => {
                let details = if action.trim().is_empty() {
                    "No action stated."
                } else {
                    action
                };
                self.remediations.push(
                    json!({ "category": "mitigation", "details": details, "product_ids": products }),
                );
                "known_affected"
            }
            Status::Fixed => "fixed",
            Status::UnderInvestigation => "under_investigation",
        };
        let entry = self.status.entry(list).or_default();
        for id in products {
            if !entry.contains(&id) {
                entry.push(id);
            }
        }
    }

    fn write(self, out: &mut Value) {
        out["product_status"] = json!(self.status);
        for (key, items) in [
            ("flags", self.flags),
            ("threats", self.threats),
            ("remediations", self.remediations),
        ] {
            if !items.is_empty() {
                out[key] = json!(items);
            }
        }
    }
}
