//! The CSAF part of the purl pass: a component is a CSAF product when the product's
//! purl names the same package and the same version (or the product's `vers:` range
//! contains the version); the document's status for that product then decides.
//!
//! **Invariant: a supplier's not-affected statement only silences its own record's
//! fallback.** `fixed` and `known_not_affected` mark the pair decided (the CPE pass is
//! skipped for it) but never remove a finding another record makes by its ranges.

use std::cmp::Ordering;

use super::{Evidence, EvidenceDetail, MatchMethod, Prepared, Scan};
use crate::advisory::{Advisory, CsafProductStatus, CsafStatement, StatusVerdict};
use crate::purl::Purl;
use crate::vers::VersRange;
use crate::version::Scheme;

/// The evidence of the first affected CSAF product the component is, if any.
pub(super) fn evidence(
    scan: &mut Scan,
    pair: (usize, usize),
    advisory: &Advisory,
    item: &Prepared,
    purl: &Purl,
    version: &str,
) -> Option<Evidence> {
    for statement in &advisory.csaf {
        for product in &statement.products {
            let Some(product_purl) = &product.product.purl else {
                continue;
            };
            if !product_purl.matches_package(purl) {
                continue;
            }
            match is_same_version(product, product_purl, version) {
                Ok(false) => continue,
                Ok(true) => {}
                Err(why) => {
                    let id = &product.product.product_id;
                    let why = format!("{} product {id} not judged: {why}", statement.document);
                    scan.warn(item.component, why);
                    continue;
                }
            }
            match product.status.verdict() {
                StatusVerdict::Affected => {
                    scan.decided.insert(pair);
                    return Some(describe(&advisory.id, statement, product, purl, version));
                }
                StatusVerdict::NotAffected => {
                    scan.decided.insert(pair);
                }
                StatusVerdict::Open => {}
            }
        }
    }
    None
}

/// Whether the component's version is the product's: the purl's version, else the
/// product's `vers:` range, else its `product_version` branch.
fn is_same_version(
    product: &CsafProductStatus,
    product_purl: &Purl,
    version: &str,
) -> Result<bool, String> {
    let scheme = Scheme::for_ecosystem(product_purl.ty());
    if let Some(own) = product_purl.version() {
        return Ok(equal_versions(scheme, own, version));
    }
    if let Some(range) = &product.product.version_range {
        let range = VersRange::parse(range).map_err(|e| e.to_string())?;
        return range.contains(version).map_err(|e| e.to_string());
    }
    match &product.product.version {
        Some(own) => Ok(equal_versions(scheme, own, version)),
        None => Err("the product gives no version".to_owned()),
    }
}

/// Equal in the ecosystem's scheme (`1.0` is `1.0.0` for Maven); exact text otherwise.
fn equal_versions(scheme: Option<Scheme>, a: &str, b: &str) -> bool {
    match scheme.map(|s| s.compare(a, b)) {
        Some(Ok(order)) => order == Ordering::Equal,
        _ => a == b,
    }
}

fn describe(
    record: &str,
    statement: &CsafStatement,
    product: &CsafProductStatus,
    purl: &Purl,
    version: &str,
) -> Evidence {
    let product_id = product.product.product_id.clone();
    let status = product.status.name();
    let reason = format!(
        "{version} is product {product_id} of CSAF {} vulnerabilities[{}], {status}",
        statement.document, statement.vulnerability
    );
    Evidence {
        method: MatchMethod::Purl,
        identifier: purl.to_string(),
        record: record.to_owned(),
        reason,
        detail: EvidenceDetail::CsafProduct {
            document: statement.document.clone(),
            vulnerability: statement.vulnerability,
            product_id,
            status: status.to_owned(),
        },
    }
}
