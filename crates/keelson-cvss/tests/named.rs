//! Named scores from the FIRST specification examples and calculators, and
//! the `assess` output shape the CLI prints.

use keelson_cvss::{Severity, Vector, Version, assess};

fn vector(text: &str) -> Vector {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn v31_scope_changed_low_privileges_scores_9_9() {
    let v = vector("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H");
    assert_eq!(v.score(), 9.9);
    assert_eq!(v.severity(), Severity::Critical);
}

#[test]
fn v31_scope_changed_user_interaction_scores_9_6() {
    assert_eq!(
        vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H").score(),
        9.6
    );
}

#[test]
fn v31_no_impact_scores_zero_with_severity_none() {
    let v = vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N");
    assert_eq!(v.score(), 0.0);
    assert_eq!(v.severity(), Severity::None);
}

#[test]
fn v40_network_high_impact_scores_9_3_as_cvss_b() {
    let v = vector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N");
    assert_eq!(v.score(), 9.3);
    assert_eq!(v.nomenclature(), Some("CVSS-B"));
}

#[test]
fn v40_unreported_exploit_lowers_to_8_1_as_cvss_bt() {
    let v = vector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U");
    assert_eq!(v.score(), 8.1);
    assert_eq!(v.base_score(), 9.3);
    assert_eq!(v.scores().temporal, Some(8.1));
    assert_eq!(v.nomenclature(), Some("CVSS-BT"));
    assert_eq!(v.severity(), Severity::High);
}

#[test]
fn v2_severity_follows_nvd_bands() {
    // NVD rates v2 0.0-3.9 Low, 4.0-6.9 Medium, 7.0-10.0 High.
    assert_eq!(Severity::of(Version::V2, 0.0), Severity::Low);
    assert_eq!(Severity::of(Version::V2, 4.0), Severity::Medium);
    assert_eq!(Severity::of(Version::V2, 6.9), Severity::Medium);
    assert_eq!(Severity::of(Version::V2, 7.0), Severity::High);
    assert_eq!(Severity::of(Version::V2, 10.0), Severity::High);
}

#[test]
fn v3_and_v4_severity_bands_match_the_specification() {
    for version in [Version::V3_1, Version::V4_0] {
        assert_eq!(Severity::of(version, 0.0), Severity::None);
        assert_eq!(Severity::of(version, 0.1), Severity::Low);
        assert_eq!(Severity::of(version, 3.9), Severity::Low);
        assert_eq!(Severity::of(version, 4.0), Severity::Medium);
        assert_eq!(Severity::of(version, 7.0), Severity::High);
        assert_eq!(Severity::of(version, 8.9), Severity::High);
        assert_eq!(Severity::of(version, 9.0), Severity::Critical);
    }
}

#[test]
fn version_displays_as_the_specification_number() {
    let shown: Vec<String> = [Version::V2, Version::V3_0, Version::V3_1, Version::V4_0]
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(shown, ["2.0", "3.0", "3.1", "4.0"]);
}

#[test]
fn v2_score_is_environmental_when_given_else_temporal() {
    // Expected values: RedHat vectors_calculator2 (NVD calculator output).
    let temporal_only = vector("AV:A/AC:M/Au:N/C:C/I:N/A:P/E:POC/RL:W/RC:UC");
    assert_eq!(
        (temporal_only.base_score(), temporal_only.score()),
        (6.4, 4.9)
    );
    let both = vector("AV:A/AC:H/Au:S/C:N/I:P/A:P/E:POC/RL:OF/RC:C/CDP:LM/TD:M/CR:M/IR:L/AR:L");
    assert_eq!((both.base_score(), both.score()), (2.9, 2.8));
}

#[test]
fn assess_gives_canonical_vector_and_json_line() {
    let line = assess("CVSS:3.0/S:U/AV:N/AC:L/PR:H/UI:N/C:L/I:L/A:N/E:F/RL:X")
        .unwrap_or_else(|e| panic!("{e}"));
    let json = serde_json::to_value(&line).unwrap_or_default();
    // Expected scores: RedHat vectors_calculator3 (3.8 base, 3.7 temporal).
    let expected = serde_json::json!({
        "vector": "CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N/E:F",
        "version": "3.0",
        "score": 3.7,
        "base_score": 3.8,
        "severity": "Low",
    });
    assert_eq!(json, expected);
}

#[test]
fn v2_canonical_form_has_no_prefix_and_drops_not_defined() {
    let v = vector(" AV:N/AC:L/Au:N/C:P/I:P/A:P/E:ND ");
    assert_eq!(v.to_string(), "AV:N/AC:L/Au:N/C:P/I:P/A:P");
    assert_eq!(v.version(), Version::V2);
}
