//! Evidence for the README decision to score v3.x with this crate's own
//! equations: the RustSec `cvss` crate's v3.1 Roundup departs from Appendix A.

use keelson_cvss::roundup_v31;

#[test]
fn rustsec_v31_roundup_truncates_where_appendix_a_rounds_to_nearest() {
    // Appendix A: round(4.000006 * 100000) = 400001, not a multiple of 10000,
    // so the result is (floor(400001 / 10000) + 1) / 10 = 4.1.
    let input = 4.000_006;
    assert_eq!(roundup_v31(input), 4.1);

    // The library truncates 400000.6 to 400000 and returns 4.0.
    let library = cvss::v3::Score::new(input).roundup().value();
    assert_eq!(
        library, 4.0,
        "if this fails the library was fixed; revisit the README"
    );
}

#[test]
fn rustsec_v3_parser_accepts_a_vector_without_attack_vector() {
    let text = "CVSS:3.1/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    let library = text.parse::<cvss::v3::Vector>();
    assert!(
        library.is_ok(),
        "if this fails the library now rejects it; revisit the README"
    );

    let ours = text.parse::<keelson_cvss::Vector>();
    assert_eq!(
        ours.err()
            .and_then(|e| e.metric().map(str::to_owned))
            .as_deref(),
        Some("AV")
    );
}
