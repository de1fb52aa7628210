//! CISA Known Exploited Vulnerabilities catalogue (JSON feed), keyed by CVE ID.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Parsed, is_cve_id};
use crate::error::Error;

/// One KEV catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct KevEntry {
    /// The CVE ID (`cveID`).
    pub cve: String,
    /// When CISA added it (`dateAdded`, `YYYY-MM-DD`).
    pub date_added: String,
    /// The remediation due date for US federal agencies (`dueDate`).
    pub due_date: Option<String>,
    /// `knownRansomwareCampaignUse` is `Known`.
    pub known_ransomware: bool,
    /// `vendorProject`.
    pub vendor_project: Option<String>,
    /// `product`.
    pub product: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKev {
    #[serde(rename = "cveID")]
    cve_id: String,
    date_added: String,
    #[serde(default)]
    due_date: Option<String>,
    #[serde(default)]
    known_ransomware_campaign_use: Option<String>,
    #[serde(default)]
    vendor_project: Option<String>,
    #[serde(default)]
    product: Option<String>,
}

/// Read the KEV JSON feed; each entry that cannot be read is one error with its index.
pub fn parse_kev(bytes: &[u8]) -> Parsed<KevEntry> {
    let mut parsed = Parsed::default();
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(e) => {
            parsed.errors.push(Error::record("kev", "document", e));
            return parsed;
        }
    };
    let Some(list) = value.get("vulnerabilities").and_then(Value::as_array) else {
        let why = "no vulnerabilities array";
        parsed.errors.push(Error::record("kev", "document", why));
        return parsed;
    };
    for (index, item) in list.iter().enumerate() {
        parsed.push(entry(index, item));
    }
    parsed
}

fn entry(index: usize, item: &Value) -> Result<KevEntry, Error> {
    let label = match item.get("cveID").and_then(Value::as_str) {
        Some(id) => format!("{id} (vulnerabilities[{index}])"),
        None => format!("vulnerabilities[{index}]"),
    };
    let raw = RawKev::deserialize(item).map_err(|e| Error::record("kev", &label, e))?;
    if !is_cve_id(&raw.cve_id) {
        return Err(Error::record("kev", &label, "cveID is not a CVE ID"));
    }
    let ransomware = raw.known_ransomware_campaign_use.as_deref();
    Ok(KevEntry {
        cve: raw.cve_id,
        date_added: raw.date_added,
        due_date: raw.due_date,
        known_ransomware: ransomware.is_some_and(|r| r.eq_ignore_ascii_case("known")),
        vendor_project: raw.vendor_project,
        product: raw.product,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_read_one_by_one() {
        let feed = br#"{"catalogVersion": "x", "vulnerabilities": [
            {"cveID": "CVE-2021-44228", "vendorProject": "Apache", "product": "Log4j2",
             "dateAdded": "2021-12-10", "dueDate": "2021-12-24",
             "knownRansomwareCampaignUse": "Known"},
            {"cveID": "CVE-2020-0001", "dateAdded": "2022-01-01",
             "knownRansomwareCampaignUse": "Unknown"},
            {"cveID": "not-a-cve", "dateAdded": "2022-01-01"},
            {"cveID": "CVE-2020-0002"}]}"#;
        let parsed = parse_kev(feed);
        assert_eq!(parsed.records.len(), 2);
        assert!(parsed.records[0].known_ransomware);
        assert!(!parsed.records[1].known_ransomware);
        assert_eq!(parsed.errors.len(), 2);
        assert!(
            parsed.errors[1]
                .to_string()
                .contains("CVE-2020-0002 (vulnerabilities[3])")
        );
    }
}
