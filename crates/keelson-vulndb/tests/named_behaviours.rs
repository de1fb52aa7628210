//! Behaviours other scanners are known to get wrong, pinned with the exact values from
//! Keelson's brief. Expected values come from the ecosystems' own rules (dpkg, PEP 440,
//! apk-tools, the OSV evaluation algorithm), not from this crate.

use std::cmp::Ordering;

use keelson_vulndb::{OsvAffected, Scheme, VersRange};

fn affected(json: &str) -> OsvAffected {
    serde_json::from_str(json).expect("valid OSV affected entry")
}

#[test]
fn debian_epoch_2_9_0_0_is_not_inside_less_than_8_4_0() {
    let range = VersRange::parse("vers:deb/<8.4.0").expect("valid vers");
    assert_eq!(range.contains("2:9.0.0"), Ok(false));

    let osv = affected(
        r#"{"package": {"ecosystem": "Debian:12", "name": "x"},
            "ranges": [{"type": "ECOSYSTEM",
                        "events": [{"introduced": "0"}, {"fixed": "8.4.0"}]}]}"#,
    );
    assert!(!osv.evaluate("2:9.0.0").expect("evaluates").affected);
    assert!(osv.evaluate("8.3.0").expect("evaluates").affected);
}

#[test]
fn pep440_release_candidate_sorts_before_its_release() {
    assert_eq!(
        Scheme::Pep440.compare("24.7.0rc1", "24.7.0"),
        Ok(Ordering::Less)
    );
}

#[test]
fn alpine_rc_suffix_sorts_before_the_release() {
    assert_eq!(
        Scheme::Alpine.compare("1.6_rc1-r0", "1.6-r0"),
        Ok(Ordering::Less)
    );
}

#[test]
fn osv_range_with_two_intervals_is_evaluated_per_interval() {
    let osv = affected(
        r#"{"package": {"ecosystem": "PyPI", "name": "django"},
            "ranges": [{"type": "ECOSYSTEM", "events": [
                {"introduced": "0"}, {"fixed": "1.11.27"},
                {"introduced": "2.2"}, {"fixed": "2.2.9"}]}]}"#,
    );
    let is_affected = |v: &str| osv.evaluate(v).expect("evaluates").affected;
    assert!(is_affected("2.2.5"));
    assert!(!is_affected("1.11.27"));
    assert!(!is_affected("6.0.4"));
}

#[test]
fn osv_range_introduced_zero_covers_a_security_placeholder_version() {
    let osv = affected(
        r#"{"package": {"ecosystem": "npm", "name": "x"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}"#,
    );
    assert!(osv.evaluate("0.0.1-security").expect("evaluates").affected);
}
