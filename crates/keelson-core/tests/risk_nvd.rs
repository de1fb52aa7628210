//! The CVSS-based attack feasibility (ISO/SAE 21434 Annex G.3) against the
//! NVD: every CVSS v3.1 metric of a real NVD API 2.0 response publishes its
//! exploitability sub-score, which is the annex's `E` to one decimal.

use keelson_core::risk::CvssExploitability;
use serde_json::Value;

#[test]
fn exploitability_matches_the_nvd_subscore_of_every_v31_metric() {
    let Some(path) = keelson_testkit::corpus_path("nvd/nvd-go/responses/cves-2023.json") else {
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let response: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let vulnerabilities = response["vulnerabilities"]
        .as_array()
        .cloned()
        .unwrap_or_default();

    let mut checked = 0;
    for vulnerability in &vulnerabilities {
        let metrics = &vulnerability["cve"]["metrics"]["cvssMetricV31"];
        for metric in metrics.as_array().into_iter().flatten() {
            let vector = metric["cvssData"]["vectorString"]
                .as_str()
                .unwrap_or_default();
            let published = metric["exploitabilityScore"].as_f64();
            let ours = CvssExploitability::from_vector(vector)
                .unwrap_or_else(|error| panic!("{error}"))
                .value();
            assert_eq!(Some((ours * 10.0).round() / 10.0), published, "{vector}");
            checked += 1;
        }
    }
    assert!(checked > 300, "only {checked} metrics in the response");
}
