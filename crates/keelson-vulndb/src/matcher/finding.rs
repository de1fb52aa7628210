//! What the matcher hands back: findings with their evidence, in the JSON shape of the
//! CLI and API contract (`vulnerability`, `aliases`, `purl` or `cpe`, `component`,
//! `version`, `severity`, `evidence`), and warnings for components it could not judge.

use keelson_core::Severity;
use serde::Serialize;

/// One component of an SBOM, as the SBOM side fills it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Component {
    /// The SBOM's reference for the component (CycloneDX `bom-ref`, SPDX ID).
    pub reference: String,
    /// Display name.
    pub name: String,
    /// Version; when absent the purl's or CPE's version is used.
    pub version: Option<String>,
    /// Package URL.
    pub purl: Option<String>,
    /// CPE 2.3 formatted string.
    pub cpe: Option<String>,
}

/// A vulnerability that applies to a component, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Primary ID: the CVE ID when any record or alias has one.
    pub vulnerability: String,
    /// Every other ID of the same vulnerability, sorted.
    pub aliases: Vec<String>,
    /// The component's purl, when the match was made by purl.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// The component's CPE, when the match was made by CPE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    /// The component's SBOM reference.
    pub component: String,
    /// The component's name.
    pub name: String,
    /// The version that was judged.
    pub version: String,
    /// Rating of the highest CVSS score among the vulnerability's metrics; `None`
    /// when no metric could be scored.
    pub severity: Option<Severity>,
    /// The metric that gave `severity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss: Option<CvssScore>,
    /// Listed in CISA KEV.
    pub kev: bool,
    /// EPSS probability, when scored.
    pub epss: Option<f64>,
    /// Why the vulnerability applies.
    pub evidence: Evidence,
}

/// The CVSS metric behind a finding's severity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CvssScore {
    /// The canonical vector string.
    pub vector: String,
    /// Its score.
    pub score: f64,
}

/// Which identifier of the component made the match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchMethod {
    /// Package URL against OSV affected packages and CSAF products.
    Purl,
    /// CPE against NVD configurations.
    Cpe,
}

/// Why a finding holds, in words and in structure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// How the component was identified.
    pub method: MatchMethod,
    /// The identifier used (the component's purl or CPE).
    pub identifier: String,
    /// The source record that decided (`PYSEC-2023-74`, `CVE-2023-29389`).
    pub record: String,
    /// One sentence saying why.
    pub reason: String,
    /// The range or configuration that matched.
    pub detail: EvidenceDetail,
}

/// The structured part of the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EvidenceDetail {
    /// Inside an OSV range interval.
    OsvRange {
        /// OSV ecosystem of the affected package.
        ecosystem: String,
        /// Package name in the ecosystem.
        package: String,
        /// Index into the record's `affected[]`.
        affected: usize,
        /// Index into that entry's `ranges[]`.
        range: usize,
        /// The introduced version that opened the interval.
        introduced: String,
        /// The fixed version that closes it, if known.
        fixed: Option<String>,
        /// The last affected version that closes it, if given instead.
        last_affected: Option<String>,
    },
    /// Listed in an OSV `versions` array.
    OsvListed {
        /// OSV ecosystem of the affected package.
        ecosystem: String,
        /// Package name in the ecosystem.
        package: String,
        /// Index into the record's `affected[]`.
        affected: usize,
        /// The listed version.
        version: String,
    },
    /// A CSAF product whose purl and version are the component's.
    CsafProduct {
        /// The CSAF document's tracking ID.
        document: String,
        /// Index into the document's `vulnerabilities[]`.
        vulnerability: usize,
        /// The product ID in the document's product tree.
        product_id: String,
        /// The status the document gives the product (`known_affected`, ...).
        status: String,
    },
    /// An NVD configuration that holds.
    NvdConfiguration {
        /// Index into the record's `configurations[]`.
        configuration: usize,
        /// The `vulnerable: true` criteria that matched.
        vulnerable: Vec<CriterionMatch>,
        /// The `vulnerable: false` platform criteria that held.
        platforms: Vec<CriterionMatch>,
    },
}

/// One NVD criterion and the inventory CPE that satisfied it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CriterionMatch {
    /// Node index in the configuration.
    pub node: usize,
    /// Criterion index in the node's `cpeMatch`.
    pub cpe_match: usize,
    /// The criterion's CPE pattern.
    pub criteria: String,
    /// NVD's match criteria ID.
    pub match_criteria_id: Option<String>,
    /// The inventory CPE (a component's, or an extra platform) that satisfied it.
    pub matched: String,
}

/// A component the matcher could not judge fully, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchWarning {
    /// The component's SBOM reference.
    pub component: String,
    /// What was not done and why.
    pub message: String,
}

/// Findings and warnings of one scan.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MatchReport {
    /// Findings, ordered by component then vulnerability.
    pub findings: Vec<Finding>,
    /// Components not matched or only partly judged.
    pub warnings: Vec<MatchWarning>,
}
