//! SARIF 2.1.0 read into security-test results: the corpus's real Trivy report,
//! with every result kept and each fault named by pointer.

use keelson_exchange::sarif::parse_sarif;
use serde_json::Value;

const TRIVY: &str = "openvex/vexctl/examples/sarif/nginx-trivy.sarif.json";

#[test]
fn every_result_of_the_trivy_report_is_read_with_its_rule_and_location() {
    let Some(path) = keelson_testkit::corpus_path(TRIVY) else {
        return;
    };
    let bytes = std::fs::read(&path).expect("read");
    let raw: Value = serde_json::from_slice(&bytes).expect("json");
    let raw_results = raw["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();

    let results = match parse_sarif(&bytes) {
        Ok(results) => results,
        Err(error) => panic!("{error}"),
    };
    assert_eq!(results.len(), raw_results.len());
    let rules = raw["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (result, raw) in results.iter().zip(&raw_results) {
        assert_eq!(result.tool, "Trivy");
        assert_eq!(result.rule_id, raw["ruleId"].as_str().unwrap_or_default());
        assert_eq!(result.level, raw["level"].as_str().unwrap_or("warning"));
        let uri = raw["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_default();
        assert!(result.location.as_deref().unwrap_or("").starts_with(uri));
        let index = raw["ruleIndex"].as_u64().unwrap_or(0) as usize;
        let stated = rules[index]["properties"]["security-severity"].as_str();
        let stated = stated.and_then(|s| s.parse::<f64>().ok());
        assert_eq!(result.security_severity, stated, "{}", result.rule_id);
    }
}

#[test]
fn a_document_that_is_not_sarif_2_1_0_or_a_result_without_rule_is_named() {
    let wrong = parse_sarif(br#"{"version": "2.0.0", "runs": []}"#);
    assert!(
        wrong
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
            .starts_with("/version")
    );
    let text = br#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}},
        "results": [{"message": {"text": "m"}}]}]}"#;
    let error = parse_sarif(text)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.starts_with("/runs/0/results/0/ruleId"), "{error}");
}

#[test]
fn the_rules_security_severity_and_default_level_apply_to_their_results() {
    let text = br#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "fuzz",
        "rules": [{"id": "UDS-CRASH", "defaultConfiguration": {"level": "error"},
                   "properties": {"security-severity": "8.2"}}]}},
        "results": [{"ruleIndex": 0, "message": {"text": "ECU reset on 0x27 request"},
                     "partialFingerprints": {"crash/v1": "abc"}}]}]}"#;
    let results = parse_sarif(text).unwrap_or_default();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].rule_id, "UDS-CRASH");
    assert_eq!(results[0].level, "error");
    assert_eq!(results[0].security_severity, Some(8.2));
    assert_eq!(results[0].fingerprint, "crash/v1:abc");
}
