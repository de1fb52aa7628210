//! What an import changed, in the terms a stored match result depends on: the package
//! and CPE product index keys of every record added or replaced (before and after the
//! change), and every vulnerability ID whose merged view or enrichment moved.
//!
//! A match result for a set of components can only change when an import touches one
//! of the components' index keys, or one of the vulnerabilities already found (a KEV or
//! EPSS change, a merge that gives a finding another primary ID). A caller that keeps
//! results per SBOM asks [`Touched::reaches`] and matches again only what it reaches.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::advisory::Advisory;
use crate::cpe::Cpe;
use crate::kb::{IndexKeys, package_key, product_key};
use crate::matcher::{Component, Finding};
use crate::purl::Purl;

/// The index keys and vulnerability IDs one or more imports touched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Touched {
    /// `type/namespace/name` of affected purls (OSV) and product purls (CSAF).
    pub packages: BTreeSet<String>,
    /// `vendor:product` of vulnerable CPE criteria.
    pub products: BTreeSet<String>,
    /// A vulnerable CPE criterion with a wildcard vendor or product changed: every
    /// component with a CPE may be reached.
    pub any_product: bool,
    /// Record IDs and aliases whose merged view or KEV/EPSS enrichment changed.
    pub vulnerabilities: BTreeSet<String>,
}

impl Touched {
    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
            && self.products.is_empty()
            && !self.any_product
            && self.vulnerabilities.is_empty()
    }

    /// Adds what another import touched.
    pub fn extend(&mut self, other: Touched) {
        self.packages.extend(other.packages);
        self.products.extend(other.products);
        self.any_product |= other.any_product;
        self.vulnerabilities.extend(other.vulnerabilities);
    }

    /// Whether matching `components` again could give other findings than `findings`,
    /// the result of matching them before the import.
    pub fn reaches(&self, components: &[Component], findings: &[Finding]) -> bool {
        let found = findings
            .iter()
            .flat_map(|finding| std::iter::once(&finding.vulnerability).chain(&finding.aliases))
            .any(|id| self.vulnerabilities.contains(id));
        found
            || components
                .iter()
                .any(|component| self.reaches_component(component))
    }

    fn reaches_component(&self, component: &Component) -> bool {
        let by_purl = component
            .purl
            .as_deref()
            .and_then(|text| text.parse::<Purl>().ok())
            .is_some_and(|purl| self.packages.contains(&package_key(&purl)));
        let cpe = component
            .cpe
            .as_deref()
            .and_then(|text| text.parse::<Cpe>().ok());
        let by_cpe = cpe.is_some_and(|cpe| {
            self.any_product || product_key(&cpe).is_some_and(|key| self.products.contains(&key))
        });
        by_purl || by_cpe
    }

    /// Records the index keys and IDs of one advisory (the old or the new content).
    pub(crate) fn advisory(&mut self, advisory: &Advisory) {
        self.vulnerabilities
            .extend(advisory.ids().map(str::to_owned));
        let keys = IndexKeys::of(advisory);
        self.packages.extend(keys.packages);
        for key in keys.products {
            match key {
                Some(key) => {
                    self.products.insert(key);
                }
                None => self.any_product = true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FeedKind, KnowledgeBase, match_components};

    fn osv(id: &str, alias: &str, purl: &str, fixed: &str) -> Vec<u8> {
        serde_json::json!({
            "id": id, "modified": "2024-01-01T00:00:00Z", "aliases": [alias],
            "affected": [{
                "package": {"ecosystem": "npm", "name": purl.trim_start_matches("pkg:npm/"), "purl": purl},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": fixed}]}]
            }]
        })
        .to_string()
        .into_bytes()
    }

    fn component(purl: &str) -> Component {
        Component {
            reference: purl.to_owned(),
            name: purl.to_owned(),
            version: None,
            purl: Some(purl.to_owned()),
            cpe: None,
        }
    }

    fn kev(cve: &str) -> Vec<u8> {
        serde_json::json!({"catalogVersion": "1", "vulnerabilities": [
            {"cveID": cve, "dateAdded": "2024-02-01"}
        ]})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn an_advisory_reaches_only_components_of_its_package() {
        let mut kb = KnowledgeBase::new();
        let left_pad = [component("pkg:npm/left-pad@1.0.0")];
        let lodash = [component("pkg:npm/lodash@4.0.0")];

        let report = kb.import_feed(
            FeedKind::Osv,
            &osv("GHSA-1", "CVE-2024-0001", "pkg:npm/left-pad", "1.3.0"),
        );

        assert_eq!(report.added, 1);
        assert!(report.touched.reaches(&left_pad, &[]));
        assert!(!report.touched.reaches(&lodash, &[]));
    }

    #[test]
    fn an_unchanged_record_touches_nothing() {
        let mut kb = KnowledgeBase::new();
        let record = osv("GHSA-1", "CVE-2024-0001", "pkg:npm/left-pad", "1.3.0");
        kb.import_feed(FeedKind::Osv, &record);

        let again = kb.import_feed(FeedKind::Osv, &record);

        assert_eq!(again.unchanged, 1);
        assert!(again.touched.is_empty());
    }

    #[test]
    fn an_update_touches_the_package_it_no_longer_names() {
        let mut kb = KnowledgeBase::new();
        kb.import_feed(
            FeedKind::Osv,
            &osv("GHSA-1", "CVE-2024-0001", "pkg:npm/left-pad", "1.3.0"),
        );
        let left_pad = [component("pkg:npm/left-pad@1.0.0")];

        let moved = kb.import_feed(
            FeedKind::Osv,
            &osv("GHSA-1", "CVE-2024-0001", "pkg:npm/right-pad", "1.3.0"),
        );

        assert_eq!(moved.updated, 1);
        assert!(moved.touched.reaches(&left_pad, &[]));
    }

    #[test]
    fn a_kev_entry_reaches_the_findings_of_its_cve_only() {
        let mut kb = KnowledgeBase::new();
        kb.import_feed(
            FeedKind::Osv,
            &osv("GHSA-1", "CVE-2024-0001", "pkg:npm/left-pad", "1.3.0"),
        );
        let left_pad = [component("pkg:npm/left-pad@1.0.0")];
        let findings = match_components(&kb, &left_pad);
        assert_eq!(findings.len(), 1);

        let listed = kb.import_feed(FeedKind::Kev, &kev("CVE-2024-0001"));
        let other = kb.import_feed(FeedKind::Kev, &kev("CVE-2023-9999"));

        assert!(listed.touched.reaches(&left_pad, &findings));
        assert!(!other.touched.reaches(&left_pad, &findings));
    }
}
