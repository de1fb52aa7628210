//! CVSS v2.0 and v4.0 arithmetic, delegated to the RustSec `cvss` crate.
//!
//! This crate validates and canonicalises the vector first, so the strings
//! handed over here are always well-formed and specification-ordered; a
//! refusal by the library is therefore reported as an internal error.

use std::str::FromStr;

use crate::catalogue::Group;
use crate::error::CvssError;
use crate::parse::Metrics;

const ALL: &[Group] = &[
    Group::Base,
    Group::Temporal,
    Group::Environmental,
    Group::Supplemental,
];

/// v2.0 base score, and temporal / environmental scores when their metrics are given.
pub(crate) fn v2_scores(metrics: &Metrics) -> Result<(f64, Option<f64>, Option<f64>), CvssError> {
    let text = metrics.canonical(ALL);
    let vector = cvss::v2::Vector::from_str(&text).map_err(|e| internal(&text, e))?;

    let base = vector.score().value();
    let temporal = metrics
        .any_given(Group::Temporal)
        .then(|| vector.temporal_score().value());
    let environmental = metrics
        .any_given(Group::Environmental)
        .then(|| vector.environmental_score().value());
    Ok((base, temporal, environmental))
}

/// The v4.0 score of the metrics of `groups` alone (base, base+threat, ...).
pub(crate) fn v4_score(metrics: &Metrics, groups: &[Group]) -> Result<f64, CvssError> {
    let text = metrics.canonical(groups);
    let vector = cvss::v4::Vector::from_str(&text).map_err(|e| internal(&text, e))?;
    Ok(vector.score().value())
}

fn internal(vector: &str, error: cvss::Error) -> CvssError {
    CvssError::Internal {
        vector: vector.to_owned(),
        reason: error.to_string(),
    }
}
