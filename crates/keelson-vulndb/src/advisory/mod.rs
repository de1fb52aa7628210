//! The advisory model every feed is read into (OSV, NVD CVE 2.0, CSAF 2.0) and the enrichments
//! attached by CVE ID (CISA KEV, FIRST EPSS), with one parser per feed.
//!
//! Parsers take bytes or a `serde_json::Value` from the caller and return every record
//! they could read plus one error per record they could not: a bad record never hides
//! the good ones.

mod csaf;
mod epss;
mod kev;
mod nvd;
mod osv;

use serde::Serialize;

use crate::cpe::nvd::NvdConfiguration;
use crate::error::Error;
use crate::osv_range::OsvAffected;
use crate::purl::Purl;

pub use csaf::{
    CsafHash, CsafProduct, CsafProductStatus, CsafRemediation, CsafStatement, ProductStatus,
    StatusVerdict, parse_csaf, parse_csaf_value,
};
pub use epss::{EpssFile, EpssScore, parse_epss_csv};
pub use kev::{KevEntry, parse_kev};
pub use nvd::{parse_nvd, parse_nvd_cve};
pub use osv::{osv_package_purl, parse_osv, parse_osv_value, parse_osv_zip};

/// Where an advisory record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Source {
    /// An OSV record (GHSA, PYSEC, GO, RUSTSEC, distributions, ...).
    Osv,
    /// An NVD CVE API 2.0 record.
    Nvd,
    /// A CSAF 2.0 advisory.
    Csaf,
}

/// One severity metric as the feed gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeverityMetric {
    /// The scheme: `CVSS_V2`, `CVSS_V3`, `CVSS_V3.1`, `CVSS_V4`, or a feed's own word.
    pub scheme: String,
    /// The vector string (CVSS) or the score text (other schemes).
    pub value: String,
    /// Who assessed it (NVD `source`, e.g. `nvd@nist.gov`), when the feed says.
    pub source: Option<String>,
}

/// One affected package of an OSV record: its identity as a purl (without version) and
/// the ranges and versions that decide affectedness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AffectedPackage {
    /// The package as a purl without version; `None` when neither the record's purl nor
    /// its ecosystem and name give one (such entries cannot be matched by purl).
    pub purl: Option<Purl>,
    /// The OSV `affected[]` entry (package, ranges, versions).
    pub entry: OsvAffected,
}

/// One advisory record, whatever feed it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advisory {
    /// The record's own ID (`CVE-2023-32681`, `GHSA-j8r2-6x86-q33q`, `PYSEC-2023-74`).
    pub id: String,
    /// IDs of the same vulnerability in other databases.
    pub aliases: Vec<String>,
    /// One-line summary (OSV `summary`, else the first English NVD description).
    pub summary: Option<String>,
    /// Publication time as the feed writes it (RFC 3339 or NVD's local form).
    pub published: Option<String>,
    /// Last modification time as the feed writes it.
    pub modified: Option<String>,
    /// When the record was withdrawn (OSV `withdrawn`, NVD status `Rejected`); a
    /// withdrawn advisory is kept but never matched.
    pub withdrawn: Option<String>,
    /// Severity metrics, in feed order.
    pub severity: Vec<SeverityMetric>,
    /// CWE IDs (`CWE-79`); NVD's `NVD-CWE-noinfo`/`NVD-CWE-Other` are dropped.
    pub cwes: Vec<String>,
    /// Affected packages (OSV).
    pub affected: Vec<AffectedPackage>,
    /// CPE applicability (NVD).
    pub cpe_configurations: Vec<NvdConfiguration>,
    /// Product statuses of CSAF documents (one statement per CSAF record; a merged
    /// view holds the statements of every document about the vulnerability).
    pub csaf: Vec<CsafStatement>,
    /// KEV entry, filled by the knowledge base from its KEV data.
    pub kev: Option<KevEntry>,
    /// EPSS (score, percentile), filled by the knowledge base from its EPSS data.
    pub epss: Option<(f64, f64)>,
    /// The feed of the record.
    pub source: Source,
}

impl Advisory {
    /// An advisory with only an ID and a source, for building records by hand.
    pub fn new(id: impl Into<String>, source: Source) -> Self {
        Advisory {
            id: id.into(),
            aliases: Vec::new(),
            summary: None,
            published: None,
            modified: None,
            withdrawn: None,
            severity: Vec::new(),
            cwes: Vec::new(),
            affected: Vec::new(),
            cpe_configurations: Vec::new(),
            csaf: Vec::new(),
            kev: None,
            epss: None,
            source,
        }
    }

    /// The record's ID followed by its aliases.
    pub fn ids(&self) -> impl Iterator<Item = &str> + Clone {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// What a parser read: every record it could, and one error per record it could not.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    /// The records read, in input order.
    pub records: Vec<T>,
    /// One error per record that was refused, with its ID or position.
    pub errors: Vec<Error>,
}

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Parsed {
            records: Vec::new(),
            errors: Vec::new(),
        }
    }
}

impl<T> Parsed<T> {
    pub(crate) fn push(&mut self, result: Result<T, Error>) {
        match result {
            Ok(record) => self.records.push(record),
            Err(error) => self.errors.push(error),
        }
    }

    fn extend(&mut self, other: Parsed<T>) {
        self.records.extend(other.records);
        self.errors.extend(other.errors);
    }
}

/// Whether `id` is a CVE ID (`CVE-YYYY-NNNN...`), the key of KEV and EPSS data.
pub fn is_cve_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, number)) = rest.split_once('-') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    year.len() == 4 && digits(year) && number.len() >= 4 && digits(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_ids_follow_the_cve_grammar() {
        assert!(is_cve_id("CVE-2023-32681"));
        assert!(is_cve_id("CVE-2021-1234567"));
        assert!(!is_cve_id("CVE-23-1234"));
        assert!(!is_cve_id("CVE-2023-123"));
        assert!(!is_cve_id("GHSA-j8r2-6x86-q33q"));
        assert!(!is_cve_id("cve-2023-32681"));
    }
}
