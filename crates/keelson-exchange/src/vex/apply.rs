//! Applying VEX statements to findings: a statement changes the status of a finding
//! only when it names exactly that product (and component) and that vulnerability.
//!
//! A finding is a vulnerability on a component (a purl) inside products: the build it
//! was found in and what that build's SBOMs describe. A statement product without
//! components names the component itself or every component of a build; a product
//! with components names only those components, and only inside that product.

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
    /// The products the component is part of (its build, the build's SBOM subjects).
    pub within: Vec<Product>,
    /// The component the vulnerability was matched on.
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

impl Statement {
    /// Whether the statement is about `vulnerability` on `component` inside the
    /// products `within` (see the module documentation for the rule).
    /// A finding matched by CPE has no purl (`component` is `None`): only statements
    /// about its whole product apply to it.
    pub fn applies_to(
        &self,
        within: &[Product],
        component: Option<&Purl>,
        vulnerability: &str,
    ) -> bool {
        if !self.vulnerability.is_named(vulnerability) {
            return false;
        }
        self.products
            .iter()
            .any(|product| match self.components.get(product) {
                Some(parts) if !parts.is_empty() => {
                    within.contains(product) && component.is_some_and(|c| parts.contains(c))
                }
                _ => {
                    within.contains(product)
                        || component.is_some_and(|c| *product == Product::Purl(c.clone()))
                }
            })
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
            let names = statement.applies_to(
                &finding.within,
                Some(&finding.product),
                &finding.vulnerability,
            );
            if names && finding.status != status {
                finding.status = status;
                changed += 1;
            }
        }
    }
    changed
}
