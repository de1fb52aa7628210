//! Malformed vectors are rejected with a specific reason, and no input panics.

use keelson_cvss::{CvssError, ErrorKind, Vector, assess};
use proptest::prelude::*;

fn error(text: &str) -> CvssError {
    match text.parse::<Vector>() {
        Ok(v) => panic!("{text:?} accepted as {v}"),
        Err(e) => e,
    }
}

const GOOD: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

#[test]
fn empty_and_blank_input_is_empty() {
    assert_eq!(error("").kind(), ErrorKind::Empty);
    assert_eq!(error("  \t").kind(), ErrorKind::Empty);
}

#[test]
fn garbage_is_a_malformed_component() {
    let e = error("hello world");
    assert_eq!(e.kind(), ErrorKind::Syntax);
    assert_eq!(
        e.to_string(),
        "malformed component `hello world` at offset 0: expected METRIC:VALUE"
    );
}

#[test]
fn duplicate_metric_names_the_metric_and_offset() {
    let e = error("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L");
    assert_eq!(
        e,
        CvssError::DuplicateMetric {
            offset: 45,
            metric: "AV".into()
        }
    );
}

#[test]
fn missing_attack_vector_is_a_missing_mandatory_metric() {
    let e = error("CVSS:3.1/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    assert_eq!(e.kind(), ErrorKind::MissingMetric);
    assert_eq!(e.metric(), Some("AV"));
    let e = error("CVSS:4.0/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N");
    assert_eq!(e.metric(), Some("AV"));
    assert_eq!(error("AC:L/Au:N/C:P/I:P/A:P").metric(), Some("AV"));
}

#[test]
fn lowercase_value_is_a_bad_value_listing_the_allowed_ones() {
    let e = error("CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    assert_eq!(
        e.to_string(),
        "bad value `n` for metric `AV` at offset 9: expected one of [N,A,L,P]"
    );
}

#[test]
fn lowercase_metric_is_unknown() {
    let e = error("CVSS:3.1/av:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    assert_eq!(e.kind(), ErrorKind::UnknownMetric);
    assert_eq!(e.metric(), Some("av"));
}

#[test]
fn unknown_version_prefix_is_reported_as_such() {
    for prefix in ["CVSS:3.2", "CVSS:2.0", "CVSS:5.0", "cvss:3.1", "CVSS:"] {
        let text = format!("{prefix}/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
        let e = error(&text);
        assert_eq!(
            e,
            CvssError::UnknownPrefix {
                prefix: prefix.into()
            },
            "{text}"
        );
    }
}

#[test]
fn trailing_and_doubled_slashes_are_empty_components() {
    let e = error(&format!("{GOOD}/"));
    assert_eq!(
        e,
        CvssError::EmptyComponent {
            offset: GOOD.len() + 1
        }
    );
    assert_eq!(error("CVSS:3.1//AV:N").kind(), ErrorKind::Syntax);
}

#[test]
fn metric_from_another_version_is_unknown() {
    // AT exists only in v4.0.
    let e = error(&format!("{GOOD}/AT:N"));
    assert_eq!(e.kind(), ErrorKind::UnknownMetric);
    assert!(e.to_string().contains("for CVSS 3.1"), "{e}");
}

#[test]
fn not_defined_is_not_allowed_for_base_metrics() {
    assert_eq!(
        error("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").kind(),
        ErrorKind::BadValue
    );
}

/// Prefix-ish head and up to 35 `NAME:VALUE` components, slashes optional.
const VECTOR_LIKE: &str = "(CVSS:[0-9.]{0,4}/)?([A-Za-z]{1,4}:[A-Za-z]{0,6}/?){0,35}";

proptest! {
    #[test]
    fn arbitrary_strings_never_panic(text in "\\PC*") {
        let _ = assess(&text);
    }

    #[test]
    fn vector_like_strings_never_panic(text in VECTOR_LIKE) {
        let _ = assess(&text);
    }

    #[test]
    fn truncating_a_valid_vector_never_panics(cut in 0usize..200) {
        let full = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U/MSI:S";
        let text: String = full.chars().take(cut).collect();
        let _ = assess(&text);
    }
}
