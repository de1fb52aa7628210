//! NVD CVE API 2.0 records: one `cve` object (as mirrored file by file) or an API
//! response page with `vulnerabilities[].cve`, read into [`Advisory`].

use serde::Deserialize;
use serde_json::Value;

use super::{Advisory, Parsed, SeverityMetric, Source};
use crate::cpe::nvd::NvdConfiguration;
use crate::error::Error;

/// NVD metric lists and the scheme name each one is reported under, newest first.
const METRICS: [(&str, &str); 4] = [
    ("cvssMetricV40", "CVSS_V4"),
    ("cvssMetricV31", "CVSS_V3.1"),
    ("cvssMetricV30", "CVSS_V3"),
    ("cvssMetricV2", "CVSS_V2"),
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCve {
    id: String,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    last_modified: Option<String>,
    #[serde(default)]
    vuln_status: Option<String>,
    #[serde(default)]
    descriptions: Vec<RawText>,
    #[serde(default)]
    metrics: Option<Value>,
    #[serde(default)]
    weaknesses: Vec<RawWeakness>,
    #[serde(default)]
    configurations: Vec<NvdConfiguration>,
}

#[derive(Deserialize)]
struct RawText {
    lang: String,
    value: String,
}

#[derive(Deserialize)]
struct RawWeakness {
    #[serde(default)]
    description: Vec<RawText>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMetric {
    #[serde(default)]
    source: Option<String>,
    cvss_data: RawCvssData,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCvssData {
    vector_string: String,
}

/// Read NVD JSON: a single `cve` object, or an API response whose `vulnerabilities[]`
/// each hold one. Every CVE that cannot be read is one error naming it.
pub fn parse_nvd(bytes: &[u8]) -> Parsed<Advisory> {
    let mut parsed = Parsed::default();
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => parsed.extend(parse_nvd_value(&value)),
        Err(e) => parsed.errors.push(Error::record("nvd", "document", e)),
    }
    parsed
}

fn parse_nvd_value(value: &Value) -> Parsed<Advisory> {
    let mut parsed = Parsed::default();
    let Some(list) = value.get("vulnerabilities") else {
        parsed.push(parse_nvd_cve(value));
        return parsed;
    };
    let Some(list) = list.as_array() else {
        let why = "vulnerabilities is not an array";
        parsed.errors.push(Error::record("nvd", "document", why));
        return parsed;
    };
    for (index, item) in list.iter().enumerate() {
        let result = match item.get("cve") {
            Some(cve) => parse_nvd_cve(cve),
            None => Err(Error::record(
                "nvd",
                format!("vulnerabilities[{index}]"),
                "no cve",
            )),
        };
        parsed.push(result);
    }
    parsed
}

/// Read one NVD `cve` object.
pub fn parse_nvd_cve(value: &Value) -> Result<Advisory, Error> {
    let label = value
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("without id");
    let raw = RawCve::deserialize(value).map_err(|e| Error::record("nvd", label, e))?;
    let severity = metrics(raw.metrics.as_ref()).map_err(|e| Error::record("nvd", label, e))?;

    let mut advisory = Advisory::new(raw.id, Source::Nvd);
    advisory.summary = english(&raw.descriptions);
    advisory.published = raw.published;
    advisory.modified = raw.last_modified.clone();
    if raw.vuln_status.as_deref() == Some("Rejected") {
        advisory.withdrawn = raw.last_modified;
    }
    advisory.severity = severity;
    advisory.cwes = cwes(&raw.weaknesses);
    advisory.cpe_configurations = raw.configurations;
    Ok(advisory)
}

fn english(texts: &[RawText]) -> Option<String> {
    texts
        .iter()
        .find(|t| t.lang == "en")
        .map(|t| t.value.clone())
}

fn metrics(value: Option<&Value>) -> Result<Vec<SeverityMetric>, String> {
    let mut out = Vec::new();
    let Some(value) = value else {
        return Ok(out);
    };
    for (key, scheme) in METRICS {
        let Some(list) = value.get(key) else {
            continue;
        };
        let list = Vec::<RawMetric>::deserialize(list).map_err(|e| format!("{key}: {e}"))?;
        out.extend(list.into_iter().map(|m| SeverityMetric {
            scheme: scheme.to_owned(),
            value: m.cvss_data.vector_string,
            source: m.source,
        }));
    }
    Ok(out)
}

/// CWE IDs of every weakness source, once each; NVD's placeholders name no weakness.
fn cwes(weaknesses: &[RawWeakness]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for text in weaknesses.iter().flat_map(|w| &w.description) {
        if text.value.starts_with("CWE-") && !out.contains(&text.value) {
            out.push(text.value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bad_cve_does_not_hide_the_others() {
        let page = br#"{"vulnerabilities": [
            {"cve": {"id": "CVE-2000-0001"}},
            {"cve": {"id": "CVE-2000-0002", "configurations": [{"nodes": "x"}]}},
            {"nocve": true}]}"#;
        let parsed = parse_nvd(page);
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.errors.len(), 2);
        assert!(parsed.errors[0].to_string().contains("CVE-2000-0002"));
        assert!(parsed.errors[1].to_string().contains("vulnerabilities[2]"));
    }

    #[test]
    fn placeholders_are_not_cwes() {
        let cve = serde_json::json!({"id": "CVE-2000-0003", "weaknesses": [
            {"description": [{"lang": "en", "value": "NVD-CWE-noinfo"}]},
            {"description": [{"lang": "en", "value": "CWE-79"}]},
            {"description": [{"lang": "en", "value": "CWE-79"}]}]});
        let advisory = parse_nvd_cve(&cve).map(|a| a.cwes);
        assert_eq!(advisory, Ok(vec!["CWE-79".to_owned()]));
    }
}
