//! CSAF 2.0 documents (security advisory and VEX profiles, and any other category that
//! lists vulnerabilities) read into [`Advisory`] records: one record per
//! `/vulnerabilities[]` entry, carrying the status the document gives each product and
//! the product tree identifiers (purl, CPE, hashes) that let a component be recognised.
//!
//! A record's ID is `TRACKING-ID/CVE` (`RHSA-2024:4546/CVE-2024-28849`) with the CVE as
//! alias, so that the knowledge base merges it with the OSV and NVD records of the same
//! CVE while two documents about one CVE stay two records.

mod node;
mod tree;

use serde::Serialize;
use serde_json::Value;

use super::{Advisory, Parsed, SeverityMetric, Source, is_cve_id};
use crate::error::Error;
use crate::purl::Purl;
use node::{Fault, Node};
use tree::{Products, read_products};

/// What a CSAF document says about one product for one vulnerability
/// (`/vulnerabilities[]/product_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    /// The first version known to be affected.
    FirstAffected,
    /// Known to be affected.
    KnownAffected,
    /// The last version known to be affected.
    LastAffected,
    /// The first version that contains the fix.
    FirstFixed,
    /// Contains the fix.
    Fixed,
    /// The version the vendor recommends (contains the fix).
    Recommended,
    /// Known not to be affected.
    KnownNotAffected,
    /// Not yet known.
    UnderInvestigation,
}

/// Whether a status makes a matching component a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusVerdict {
    /// The product is affected: a finding.
    Affected,
    /// The supplier says the product is not (or no longer) affected.
    NotAffected,
    /// No statement yet; other sources decide.
    Open,
}

impl ProductStatus {
    const ALL: [ProductStatus; 8] = [
        ProductStatus::FirstAffected,
        ProductStatus::KnownAffected,
        ProductStatus::LastAffected,
        ProductStatus::FirstFixed,
        ProductStatus::Fixed,
        ProductStatus::Recommended,
        ProductStatus::KnownNotAffected,
        ProductStatus::UnderInvestigation,
    ];

    /// The member name in `product_status` (`known_affected`, `fixed`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ProductStatus::FirstAffected => "first_affected",
            ProductStatus::KnownAffected => "known_affected",
            ProductStatus::LastAffected => "last_affected",
            ProductStatus::FirstFixed => "first_fixed",
            ProductStatus::Fixed => "fixed",
            ProductStatus::Recommended => "recommended",
            ProductStatus::KnownNotAffected => "known_not_affected",
            ProductStatus::UnderInvestigation => "under_investigation",
        }
    }

    /// Reads a member name of `product_status`.
    pub fn from_name(name: &str) -> Option<ProductStatus> {
        ProductStatus::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What the status means for a component that is this product.
    pub fn verdict(self) -> StatusVerdict {
        match self {
            ProductStatus::FirstAffected
            | ProductStatus::KnownAffected
            | ProductStatus::LastAffected => StatusVerdict::Affected,
            ProductStatus::FirstFixed
            | ProductStatus::Fixed
            | ProductStatus::Recommended
            | ProductStatus::KnownNotAffected => StatusVerdict::NotAffected,
            ProductStatus::UnderInvestigation => StatusVerdict::Open,
        }
    }
}

/// A product of the product tree and the identifiers it is recognised by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsafProduct {
    /// The document's product ID (`CSAFPID-0001`, `AppStream-9.4.0.Z.EUS:kernel-0:...`).
    pub product_id: String,
    /// The product's full name.
    pub name: String,
    /// `product_identification_helper.purl` (of the referenced product for a
    /// relationship), with its version.
    pub purl: Option<Purl>,
    /// `product_identification_helper.cpe` as written (CPE 2.2 URI or 2.3 string).
    pub cpe: Option<String>,
    /// `product_identification_helper.hashes`, one entry per file hash.
    pub hashes: Vec<CsafHash>,
    /// The name of the nearest `product_version` branch above the product.
    pub version: Option<String>,
    /// The name of the nearest `product_version_range` branch (a `vers:` range).
    pub version_range: Option<String>,
}

/// One file hash of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsafHash {
    /// The file the hash is of.
    pub filename: String,
    /// The algorithm as written (`sha256`).
    pub algorithm: String,
    /// The hash value, lower case.
    pub value: String,
}

/// One product and the status the document gives it for the vulnerability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsafProductStatus {
    /// The status.
    pub status: ProductStatus,
    /// The product.
    pub product: CsafProduct,
}

/// One remediation of the vulnerability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsafRemediation {
    /// `vendor_fix`, `workaround`, `mitigation`, `no_fix_planned`, `none_available`.
    pub category: String,
    /// What to do.
    pub details: String,
    /// The products it applies to.
    pub product_ids: Vec<String>,
    /// Where to read more.
    pub url: Option<String>,
}

/// What one CSAF document states about one vulnerability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsafStatement {
    /// The document's `/document/tracking/id`.
    pub document: String,
    /// The document's category (`csaf_security_advisory`, `csaf_vex`, ...).
    pub category: String,
    /// The publisher's name.
    pub publisher: String,
    /// The index of the vulnerability in `/vulnerabilities`.
    pub vulnerability: usize,
    /// Every product the vulnerability's `product_status` names, with its status.
    pub products: Vec<CsafProductStatus>,
    /// The remediations, in document order.
    pub remediations: Vec<CsafRemediation>,
}

/// The parts of `/document` every record of the document shares.
struct DocumentInfo {
    tracking_id: String,
    category: String,
    publisher: String,
    title: Option<String>,
    published: Option<String>,
    modified: Option<String>,
}

/// Read a CSAF 2.0 document: one advisory per vulnerability. A document whose
/// `document` or `product_tree` cannot be read gives one error and no record; a
/// vulnerability that cannot be read gives one error, the others are kept.
pub fn parse_csaf(bytes: &[u8]) -> Parsed<Advisory> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => parse_csaf_value(&value),
        Err(e) => {
            let mut parsed = Parsed::default();
            parsed
                .errors
                .push(csaf_error("document", Fault::new("/", e.to_string())));
            parsed
        }
    }
}

/// Read a CSAF 2.0 document from a parsed JSON value (see [`parse_csaf`]).
pub fn parse_csaf_value(value: &Value) -> Parsed<Advisory> {
    let mut parsed = Parsed::default();
    let root = Node::root(value);
    let label = tracking_label(value);
    let header = read_document(&root).and_then(|doc| Ok((doc, read_products(&root)?)));
    let (document, products) = match header {
        Ok(header) => header,
        Err(fault) => {
            parsed.errors.push(csaf_error(&label, fault));
            return parsed;
        }
    };
    let vulnerabilities = match root.items("vulnerabilities") {
        Ok(items) => items,
        Err(fault) => {
            parsed.errors.push(csaf_error(&label, fault));
            return parsed;
        }
    };
    for (index, node) in vulnerabilities.iter().enumerate() {
        let result = read_vulnerability(&document, &products, node, index);
        parsed.push(result.map_err(|fault| csaf_error(&label, fault)));
    }
    parsed
}

fn tracking_label(value: &Value) -> String {
    value
        .pointer("/document/tracking/id")
        .and_then(Value::as_str)
        .unwrap_or("document")
        .to_owned()
}

fn csaf_error(document: &str, fault: Fault) -> Error {
    Error::Csaf {
        document: document.to_owned(),
        pointer: fault.pointer,
        reason: fault.reason,
    }
}

fn read_document(root: &Node) -> Result<DocumentInfo, Fault> {
    let document = root.require("document")?;
    let version = document.require("csaf_version")?;
    if version.text()? != "2.0" {
        let why = format!("CSAF version {:?} is not supported (2.0 is)", version.value);
        return Err(version.fault(why));
    }
    let tracking = document.require("tracking")?;
    Ok(DocumentInfo {
        tracking_id: tracking.req_text("id")?.to_owned(),
        category: document.req_text("category")?.to_owned(),
        publisher: document.require("publisher")?.req_text("name")?.to_owned(),
        title: document.opt_text("title")?.map(str::to_owned),
        published: tracking
            .opt_text("initial_release_date")?
            .map(str::to_owned),
        modified: tracking
            .opt_text("current_release_date")?
            .map(str::to_owned),
    })
}

fn read_vulnerability(
    document: &DocumentInfo,
    products: &Products,
    node: &Node,
    index: usize,
) -> Result<Advisory, Fault> {
    let cve = node.opt_text("cve")?;
    let ids = read_ids(node)?;
    let local = cve
        .map(str::to_owned)
        .or_else(|| ids.first().cloned())
        .unwrap_or_else(|| format!("vulnerabilities/{index}"));

    let mut advisory = Advisory::new(format!("{}/{local}", document.tracking_id), Source::Csaf);
    advisory.aliases = cve.into_iter().map(str::to_owned).collect();
    advisory
        .aliases
        .extend(ids.into_iter().filter(|id| is_cve_id(id)));
    advisory.aliases.sort();
    advisory.aliases.dedup();
    advisory.summary = summary(node)?.or_else(|| document.title.clone());
    advisory.published = node
        .opt_text("release_date")?
        .map(str::to_owned)
        .or_else(|| document.published.clone());
    advisory.modified = document.modified.clone();
    advisory.cwes = node
        .get("cwe")?
        .map(|cwe| cwe.req_text("id").map(str::to_owned))
        .transpose()?
        .into_iter()
        .collect();
    advisory.severity = read_scores(node, &document.publisher)?;
    advisory.csaf.push(CsafStatement {
        document: document.tracking_id.clone(),
        category: document.category.clone(),
        publisher: document.publisher.clone(),
        vulnerability: index,
        products: read_status(node, products)?,
        remediations: read_remediations(node)?,
    });
    Ok(advisory)
}

/// The texts of `ids[]` (`system_name` is kept out: IDs only merge as CVEs).
fn read_ids(node: &Node) -> Result<Vec<String>, Fault> {
    node.items("ids")?
        .iter()
        .map(|id| id.req_text("text").map(str::to_owned))
        .collect()
}

/// The vulnerability's title, else its first summary or description note.
fn summary(node: &Node) -> Result<Option<String>, Fault> {
    if let Some(title) = node.opt_text("title")? {
        return Ok(Some(title.to_owned()));
    }
    for note in node.items("notes")? {
        if matches!(note.req_text("category")?, "summary" | "description") {
            return Ok(Some(note.req_text("text")?.to_owned()));
        }
    }
    Ok(None)
}

/// CVSS v3 and v2 vectors of `scores[]`; the same vector given for several product
/// sets counts once.
fn read_scores(node: &Node, publisher: &str) -> Result<Vec<SeverityMetric>, Fault> {
    let mut metrics: Vec<SeverityMetric> = Vec::new();
    for score in node.items("scores")? {
        for (member, scheme) in [("cvss_v3", "CVSS_V3"), ("cvss_v2", "CVSS_V2")] {
            let Some(cvss) = score.get(member)? else {
                continue;
            };
            let metric = SeverityMetric {
                scheme: scheme.to_owned(),
                value: cvss.req_text("vectorString")?.to_owned(),
                source: Some(publisher.to_owned()),
            };
            if !metrics.contains(&metric) {
                metrics.push(metric);
            }
        }
    }
    Ok(metrics)
}

/// Every product ID of `product_status`, resolved in the product tree.
fn read_status(node: &Node, products: &Products) -> Result<Vec<CsafProductStatus>, Fault> {
    let mut statuses = Vec::new();
    let Some(status) = node.get("product_status")? else {
        return Ok(statuses);
    };
    for (name, list) in status.members()? {
        let Some(kind) = ProductStatus::from_name(name) else {
            return Err(list.fault(format!("{name:?} is not a product status")));
        };
        for id in list.elements()? {
            let text = id.text()?;
            let product = products.get(text).ok_or_else(|| {
                id.fault(format!(
                    "product ID {text:?} is not defined in the product tree"
                ))
            })?;
            statuses.push(CsafProductStatus {
                status: kind,
                product: product.clone(),
            });
        }
    }
    Ok(statuses)
}

fn read_remediations(node: &Node) -> Result<Vec<CsafRemediation>, Fault> {
    let mut remediations = Vec::new();
    for remediation in node.items("remediations")? {
        let product_ids = remediation
            .items("product_ids")?
            .iter()
            .map(|id| id.text().map(str::to_owned))
            .collect::<Result<_, _>>()?;
        remediations.push(CsafRemediation {
            category: remediation.req_text("category")?.to_owned(),
            details: remediation.req_text("details")?.to_owned(),
            product_ids,
            url: remediation.opt_text("url")?.map(str::to_owned),
        });
    }
    Ok(remediations)
}
