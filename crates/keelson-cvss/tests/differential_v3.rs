//! Differential check of this crate's own v3.0/v3.1 equations against the
//! RustSec `cvss` crate, an independent implementation, over random vectors
//! with every temporal and environmental metric drawn too. The shared corpus
//! has no v3.1 temporal/environmental cases, so this is their only oracle.

use std::str::FromStr;

use keelson_cvss::Vector;
use proptest::prelude::*;

/// v3.x metrics with their allowed values, in specification order.
const METRICS: &[(&str, &[&str])] = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "R"]),
    ("S", &["U", "C"]),
    ("C", &["H", "L", "N"]),
    ("I", &["H", "L", "N"]),
    ("A", &["H", "L", "N"]),
    ("E", &["X", "H", "F", "P", "U"]),
    ("RL", &["X", "U", "W", "T", "O"]),
    ("RC", &["X", "C", "R", "U"]),
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "R"]),
    ("MS", &["X", "U", "C"]),
    ("MC", &["X", "H", "L", "N"]),
    ("MI", &["X", "H", "L", "N"]),
    ("MA", &["X", "H", "L", "N"]),
];

fn vector_text(minor: u8, picks: &[usize]) -> String {
    let mut text = format!("CVSS:3.{minor}");
    for ((name, values), pick) in METRICS.iter().zip(picks) {
        text.push_str(&format!("/{name}:{}", values[pick % values.len()]));
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn v3_scores_agree_with_the_rustsec_crate(
        minor in 0u8..=1,
        picks in proptest::collection::vec(0usize..5, METRICS.len()),
    ) {
        let text = vector_text(minor, &picks);
        let ours = Vector::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let theirs = cvss::v3::Vector::from_str(&text)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;

        let scores = ours.scores();
        prop_assert_eq!(scores.base, theirs.base_score().value(), "base {}", text);
        prop_assert_eq!(scores.temporal, Some(theirs.temporal_score().value()), "temporal {}", text);
        prop_assert_eq!(
            scores.environmental,
            Some(theirs.environmental_score().value()),
            "environmental {}",
            text
        );
    }
}
