//! Applying VEX statements to findings: a statement changes the status of a finding
//! only when it names exactly that product and that vulnerability.

use keelson_vulndb::Purl;

use super::model::{Product, Statement, Status};

/// What Keelson knows of one (product, vulnerability) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingStatus {
    /// Matched, nobody has said otherwise.
    Open,
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

/// One finding: a vulnerability matched on a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub product: Purl,
    pub vulnerability: String,
    pub status: FindingStatus,
}

fn finding_status(status: &Status) -> FindingStatus {
    match status {
        Status::NotAffected { .. } => FindingStatus::NotAffected,
        Status::Affected { .. } => FindingStatus::Affected,
        Status::Fixed => FindingStatus::Fixed,
        Status::UnderInvestigation => FindingStatus::UnderInvestigation,
    }
}

/// Applies the statements in order (a later statement on the same pair wins, as a
/// later VEX statement supersedes an earlier one) and returns how many findings
/// changed. A finding matches when its purl equals a statement product's normalised
/// purl and its vulnerability is the statement's ID or one of its aliases.
pub fn apply(statements: &[Statement], findings: &mut [Finding]) -> usize {
    let mut changed = 0;
    for statement in statements {
        let status = finding_status(&statement.status);
        for finding in findings.iter_mut() {
            let names_product = statement
                .products
                .iter()
                .any(|p| matches!(p, Product::Purl(purl) if *purl == finding.product));
            let names_vulnerability = statement.vulnerability.is_named(&finding.vulnerability);
            if names_product && names_vulnerability && finding.status != status {
                finding.status = status;
                changed += 1;
            }
        }
    }
    changed
}
