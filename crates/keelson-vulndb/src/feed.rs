//! Feed files as published: which feed a file is (from its content, with
//! the name as a tie-breaker) and importing a whole file into a
//! [`KnowledgeBase`]. Callers keep the bytes; this module only reads them.

use serde_json::Value;

use crate::advisory::{
    Parsed, parse_csaf, parse_epss_csv, parse_kev, parse_nvd, parse_osv, parse_osv_zip,
};
use crate::kb::{ImportReport, KnowledgeBase};

/// The feeds Keelson reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeedKind {
    /// One OSV record (JSON).
    Osv,
    /// OSV's per-ecosystem zip of records.
    OsvZip,
    /// An NVD CVE API 2.0 response or feed file.
    Nvd,
    /// CISA's Known Exploited Vulnerabilities catalogue (JSON).
    Kev,
    /// FIRST EPSS scores (CSV).
    Epss,
    /// A CSAF 2.0 document (supplier advisory or VEX).
    Csaf,
}

impl FeedKind {
    /// The name stored and printed (`osv`, `osv-zip`, `nvd`, `kev`, `epss`, `csaf`).
    pub fn name(self) -> &'static str {
        match self {
            FeedKind::Osv => "osv",
            FeedKind::OsvZip => "osv-zip",
            FeedKind::Nvd => "nvd",
            FeedKind::Kev => "kev",
            FeedKind::Epss => "epss",
            FeedKind::Csaf => "csaf",
        }
    }

    /// Reads a stored name back.
    pub fn from_name(name: &str) -> Option<FeedKind> {
        [
            FeedKind::Osv,
            FeedKind::OsvZip,
            FeedKind::Nvd,
            FeedKind::Kev,
            FeedKind::Epss,
            FeedKind::Csaf,
        ]
        .into_iter()
        .find(|kind| kind.name() == name)
    }

    /// Which feed `bytes` are, or why they are none of them.
    pub fn detect(file_name: &str, bytes: &[u8]) -> Result<FeedKind, String> {
        if bytes.starts_with(b"PK\x03\x04") {
            return Ok(FeedKind::OsvZip);
        }
        let text_start = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_lowercase();
        if text_start.trim_start().starts_with('#') || text_start.starts_with("cve,epss") {
            return Ok(FeedKind::Epss);
        }
        let value: Value = serde_json::from_slice(bytes).map_err(|error| {
            format!("{file_name}: neither a zip, an EPSS CSV nor JSON ({error})")
        })?;
        json_kind(&value).ok_or_else(|| {
            format!(
                "{file_name}: JSON that is not an OSV record, an NVD CVE API 2.0 file, the \
                 CISA KEV catalogue or a CSAF document"
            )
        })
    }
}

fn json_kind(value: &Value) -> Option<FeedKind> {
    // Any document with a `document` object is taken as CSAF, so that a malformed one
    // is refused by the CSAF reader with the place of the fault rather than here.
    if value.get("document").is_some_and(Value::is_object) {
        return Some(FeedKind::Csaf);
    }
    let first = value.get("vulnerabilities").and_then(|list| list.get(0));
    if value.get("catalogVersion").is_some() || first.is_some_and(|v| v.get("cveID").is_some()) {
        return Some(FeedKind::Kev);
    }
    if first.is_some_and(|v| v.get("cve").is_some())
        || value.get("format") == Some(&"NVD_CVE".into())
    {
        return Some(FeedKind::Nvd);
    }
    if value.get("sourceIdentifier").is_some() && value.get("descriptions").is_some() {
        return Some(FeedKind::Nvd);
    }
    let is_osv = value.get("id").is_some()
        && (value.get("affected").is_some() || value.get("modified").is_some());
    is_osv.then_some(FeedKind::Osv)
}

impl KnowledgeBase {
    /// Imports one whole feed file of the given kind.
    pub fn import_feed(&mut self, kind: FeedKind, bytes: &[u8]) -> ImportReport {
        match kind {
            FeedKind::Osv => {
                let mut parsed = Parsed::default();
                parsed.push(parse_osv(bytes));
                self.import(parsed)
            }
            FeedKind::OsvZip => self.import(parse_osv_zip(bytes)),
            FeedKind::Nvd => self.import(parse_nvd(bytes)),
            FeedKind::Kev => self.import_kev(parse_kev(bytes)),
            FeedKind::Epss => {
                self.import_epss(parse_epss_csv(&String::from_utf8_lossy(bytes)).scores)
            }
            FeedKind::Csaf => self.import(parse_csaf(bytes)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_are_told_apart_by_content() {
        let cases: [(&[u8], Result<FeedKind, ()>); 8] = [
            (
                br#"{"id":"CVE-1","sourceIdentifier":"x","descriptions":[]}"#,
                Ok(FeedKind::Nvd),
            ),
            (b"PK\x03\x04rest", Ok(FeedKind::OsvZip)),
            (
                b"#model_version:v2025.03.14\ncve,epss,percentile\n",
                Ok(FeedKind::Epss),
            ),
            (
                br#"{"catalogVersion":"1","vulnerabilities":[]}"#,
                Ok(FeedKind::Kev),
            ),
            (
                br#"{"format":"NVD_CVE","vulnerabilities":[{"cve":{}}]}"#,
                Ok(FeedKind::Nvd),
            ),
            (
                br#"{"id":"GHSA-x","modified":"2024-01-01T00:00:00Z"}"#,
                Ok(FeedKind::Osv),
            ),
            (
                br#"{"document":{"category":"csaf_security_advisory"}}"#,
                Ok(FeedKind::Csaf),
            ),
            (br#"{"document":"not an object"}"#, Err(())),
        ];
        for (bytes, expected) in cases {
            let found = FeedKind::detect("f", bytes).map_err(|_| ());
            assert_eq!(found, expected, "{}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn kind_names_round_trip() {
        for kind in [
            FeedKind::Osv,
            FeedKind::OsvZip,
            FeedKind::Nvd,
            FeedKind::Kev,
            FeedKind::Epss,
            FeedKind::Csaf,
        ] {
            assert_eq!(FeedKind::from_name(kind.name()), Some(kind));
        }
    }
}
