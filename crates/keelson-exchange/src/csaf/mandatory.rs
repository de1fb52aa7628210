//! The mandatory tests of CSAF 2.0 section 6.1, in section order, and which of them
//! Keelson does not judge (fully) yet.

use serde_json::Value;

use super::{Violation, cvss, document, product_ids, profiles, revisions, vulnerabilities};

type Test = fn(&Value) -> Vec<Violation>;

/// Every mandatory test Keelson runs, by section number.
const TESTS: &[(&str, Test)] = &[
    ("6.1.1", product_ids::missing_product_definition),
    ("6.1.2", product_ids::multiple_product_definition),
    ("6.1.3", product_ids::circular_product_definition),
    ("6.1.4", product_ids::missing_group_definition),
    ("6.1.5", product_ids::multiple_group_definition),
    ("6.1.6", vulnerabilities::contradicting_product_status),
    ("6.1.7", vulnerabilities::multiple_scores_per_version),
    ("6.1.8", cvss::invalid_cvss),
    ("6.1.9", cvss::cvss_computation),
    ("6.1.10", cvss::inconsistent_cvss),
    ("6.1.11", document::cwe),
    ("6.1.12", document::language),
    ("6.1.13", product_ids::purl),
    ("6.1.14", revisions::sorted_history),
    ("6.1.15", document::translator),
    ("6.1.16", revisions::latest_document_version),
    ("6.1.17", revisions::draft_status),
    ("6.1.18", revisions::released_history),
    ("6.1.19", revisions::pre_release_revisions),
    ("6.1.20", revisions::non_draft_version),
    ("6.1.21", revisions::missing_revision),
    ("6.1.22", revisions::repeated_revision),
    ("6.1.23", vulnerabilities::repeated_cve),
    ("6.1.24", vulnerabilities::repeated_involvement),
    ("6.1.25", product_ids::repeated_hash_algorithm),
    ("6.1.26", document::prohibited_category),
    ("6.1.27.1", profiles::document_notes),
    ("6.1.27.2", profiles::document_references),
    ("6.1.27.3", profiles::informational_without_vulnerabilities),
    ("6.1.27.4", profiles::product_tree),
    ("6.1.27.5", profiles::vulnerability_notes),
    ("6.1.27.6", profiles::product_status),
    ("6.1.27.7", profiles::vex_product_status),
    ("6.1.27.8", profiles::vulnerability_id),
    ("6.1.27.9", profiles::impact_statement),
    ("6.1.27.10", profiles::action_statement),
    ("6.1.27.11", profiles::vulnerabilities_present),
    ("6.1.28", document::translation),
    ("6.1.29", vulnerabilities::remediation_without_product),
    ("6.1.30", revisions::mixed_versioning),
    ("6.1.31", product_ids::version_range_in_product_version),
    ("6.1.32", vulnerabilities::flag_without_product),
    ("6.1.33", vulnerabilities::multiple_flags_per_product),
];

/// The section numbers of every mandatory test that runs.
pub const IMPLEMENTED: &[&str] = &[
    "6.1.1",
    "6.1.2",
    "6.1.3",
    "6.1.4",
    "6.1.5",
    "6.1.6",
    "6.1.7",
    "6.1.8",
    "6.1.9",
    "6.1.10",
    "6.1.11",
    "6.1.12",
    "6.1.13",
    "6.1.14",
    "6.1.15",
    "6.1.16",
    "6.1.17",
    "6.1.18",
    "6.1.19",
    "6.1.20",
    "6.1.21",
    "6.1.22",
    "6.1.23",
    "6.1.24",
    "6.1.25",
    "6.1.26",
    "6.1.27.1",
    "6.1.27.2",
    "6.1.27.3",
    "6.1.27.4",
    "6.1.27.5",
    "6.1.27.6",
    "6.1.27.7",
    "6.1.27.8",
    "6.1.27.9",
    "6.1.27.10",
    "6.1.27.11",
    "6.1.28",
    "6.1.29",
    "6.1.30",
    "6.1.31",
    "6.1.32",
    "6.1.33",
];

/// Mandatory tests that run only in part, with what is missing.
pub const NOT_IMPLEMENTED: &[(&str, &str)] = &[];

/// Runs every mandatory test.
pub(crate) fn run(document: &Value) -> Vec<Violation> {
    TESTS.iter().flat_map(|(_, test)| test(document)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_list_matches_the_tests_that_run() {
        let run: Vec<&str> = TESTS.iter().map(|(id, _)| *id).collect();
        assert_eq!(run, IMPLEMENTED);
    }
}
