//! CSAF 2.0 validation against the OASIS validator test suite (`testcases.json`: which
//! files must fail which mandatory test, and which must pass) and against real CISA,
//! Red Hat and OASIS example advisories, which must validate clean.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use keelson_exchange::csaf::{self, NOT_IMPLEMENTED, Validation};
use serde_json::Value;

const SUITE: &str = "csaf/oasis-csaf/csaf_2.0/test/validator/data";

fn read_json(path: &Path) -> Value {
    let Ok(bytes) = std::fs::read(path) else {
        panic!("cannot read {}", path.display())
    };
    match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(error) => panic!("{}: {error}", path.display()),
    }
}

fn validate(path: &Path) -> Validation {
    let Ok(bytes) = std::fs::read(path) else {
        panic!("cannot read {}", path.display())
    };
    csaf::validate(&bytes)
}

/// One case of `testcases.json`.
struct Case {
    test: String,
    file: PathBuf,
    /// Listed under `failures` (must fail this test) rather than `valid`.
    must_fail_test: bool,
    /// The file's expected overall verdict.
    valid: bool,
}

fn cases(suite: &Path) -> Vec<Case> {
    let index = read_json(&suite.join("testcases.json"));
    let mut cases = Vec::new();
    for test in index["tests"].as_array().into_iter().flatten() {
        let id = test["id"].as_str().unwrap_or_default();
        for (key, must_fail_test) in [("failures", true), ("valid", false)] {
            for case in test[key].as_array().into_iter().flatten() {
                cases.push(Case {
                    test: id.to_owned(),
                    file: suite.join(case["name"].as_str().unwrap_or_default()),
                    must_fail_test,
                    valid: case["valid"].as_bool().unwrap_or(true),
                });
            }
        }
    }
    cases
}

/// Whether Keelson agrees with one case: the overall verdict, and for a must-fail
/// case of a mandatory test, a violation of exactly that test.
fn agrees(case: &Case, verdict: &Validation) -> bool {
    if verdict.valid != case.valid {
        return false;
    }
    let mandatory = case.test.starts_with("6.1.");
    !(mandatory && case.must_fail_test) || verdict.errors.iter().any(|e| e.test == case.test)
}

/// Cases the suite marks valid although they break a mandatory test other than the
/// one they were written for; Keelson reports that test, as section 6.1.25 says
/// ("the same hash algorithm MUST NOT be used more than once in one item of hashes").
const SUITE_ERRATA: &[(&str, &str, &str)] = &[
    (
        "optional/oasis_csaf_tc-csaf_2_0-2021-6-2-08-02.json",
        "6.1.25",
        "md5 appears twice in one file_hashes list",
    ),
    (
        "optional/oasis_csaf_tc-csaf_2_0-2021-6-2-09-02.json",
        "6.1.25",
        "sha1 appears twice in one file_hashes list",
    ),
];

fn erratum(case: &Case, verdict: &Validation) -> Option<&'static str> {
    let (_, test, why) = SUITE_ERRATA
        .iter()
        .find(|(name, _, _)| case.file.ends_with(name))?;
    let only_that = !verdict.errors.is_empty() && verdict.errors.iter().all(|e| e.test == *test);
    only_that.then_some(*why)
}

#[derive(Default)]
struct Tally {
    ran: usize,
    agreed: usize,
    not_judged: usize,
}

#[test]
fn keelson_agrees_with_every_case_of_the_oasis_validator_suite() {
    let Some(suite) = keelson_testkit::corpus_path(SUITE) else {
        return;
    };
    let partial: BTreeMap<&str, &str> = NOT_IMPLEMENTED.iter().copied().collect();
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut disagreements = Vec::new();
    for case in cases(&suite) {
        let verdict = validate(&case.file);
        let tally = tallies.entry(case.test.clone()).or_default();
        tally.ran += 1;
        if agrees(&case, &verdict) {
            tally.agreed += 1;
        } else if let Some(why) = erratum(&case, &verdict) {
            tally.agreed += 1;
            println!(
                "erratum {}: Keelson reports 6.1.25 ({why})",
                case.file.display()
            );
        } else if partial.contains_key(case.test.as_str()) {
            tally.not_judged += 1;
        } else {
            let errors = serde_json::to_string(&verdict.errors).unwrap_or_default();
            disagreements.push(format!("{} {}: {errors}", case.test, case.file.display()));
        }
    }

    let mut ran = 0;
    for (test, tally) in &tallies {
        ran += tally.ran;
        let note = partial
            .get(test.as_str())
            .map(|why| format!(" (partial: {why})"))
            .unwrap_or_default();
        println!(
            "{test}: {} cases, {} agree, {} not judged{note}",
            tally.ran, tally.agreed, tally.not_judged
        );
    }
    println!("{ran} cases in all");
    assert_eq!(ran, 239, "testcases.json lists 239 cases");
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

/// Each 6.1 test of the suite has at least one must-fail case; every one of them is
/// run, so a test id Keelson does not know would show up here.
#[test]
fn every_mandatory_test_of_the_suite_is_implemented_or_named_partial() {
    let Some(suite) = keelson_testkit::corpus_path(SUITE) else {
        return;
    };
    for case in cases(&suite) {
        let known = csaf::IMPLEMENTED.contains(&case.test.as_str());
        assert!(
            !case.test.starts_with("6.1.") || known,
            "{} is not implemented",
            case.test
        );
    }
}

const REAL_ADVISORIES: &[&str] = &[
    "csaf/cisa-csaf/csaf_files/IT/white/2024/va-24-201-01.json",
    "csaf/cisa-csaf/csaf_files/OT/white/2017/icsa-17-208-01.json",
    "csaf/cisa-csaf/csaf_files/OT/white/2022/icsa-22-063-01.json",
    "csaf/cisa-csaf/csaf_files/OT/white/2023/icsa-23-257-03.json",
    "csaf/cisa-csaf/csaf_files/OT/white/2024/icsa-24-074-07.json",
    "csaf/cisa-csaf/csaf_files/OT/white/2024/icsa-24-093-01.json",
    "csaf/cisa-csaf/csaf_files/OT/white/2024/icsa-24-130-02.json",
    "csaf/redhat/rhsa-2020_1358.json",
    "csaf/redhat/rhsa-2024_4546.json",
    "csaf/redhat/rhsa-2024_6220.json",
    "csaf/oasis-csaf/csaf_2.0/examples/csaf/rhsa-2019_1862.json",
    "csaf/oasis-csaf/csaf_2.0/examples/csaf/rhsa-2021_5186.json",
    "csaf/oasis-csaf/csaf_2.0/examples/csaf/rhsa-2021_5217.json",
    "csaf/oasis-csaf/csaf_2.0/examples/csaf/rhsa-2022_0011.json",
    "csaf/oasis-csaf/csaf_2.0/examples/csaf/bsi-2022-0001.json",
    "csaf/oasis-csaf/csaf_2.0/examples/csaf/cisco-sa-20180328-smi2.json",
];

/// Real advisories that break a mandatory test, each with the reason checked against
/// the specification text.
const KNOWN_VIOLATIONS: &[(&str, &str, &str)] = &[];

#[test]
fn real_cisa_red_hat_and_oasis_advisories_validate_clean() {
    let Some(corpus) = keelson_testkit::corpus() else {
        return;
    };
    let mut failures = Vec::new();
    for relative in REAL_ADVISORIES {
        let verdict = validate(&corpus.join(relative));
        let unexpected: Vec<_> = verdict
            .errors
            .iter()
            .filter(|e| {
                !KNOWN_VIOLATIONS
                    .iter()
                    .any(|k| k.0 == *relative && k.1 == e.test)
            })
            .collect();
        println!("{relative}: {} violations", verdict.errors.len());
        if !unexpected.is_empty() {
            let errors = serde_json::to_string(&unexpected).unwrap_or_default();
            failures.push(format!("{relative}: {errors}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn oasis_vex_profile_examples_validate_clean() {
    let Some(folder) =
        keelson_testkit::corpus_path("csaf/oasis-csaf/csaf_2.0/examples/csaf/csaf_vex")
    else {
        return;
    };
    let mut failures = Vec::new();
    let mut count = 0;
    let Ok(entries) = std::fs::read_dir(&folder) else {
        panic!("{}", folder.display())
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        count += 1;
        let verdict = validate(path);
        if !verdict.valid {
            let errors = serde_json::to_string(&verdict.errors).unwrap_or_default();
            failures.push(format!("{}: {errors}", path.display()));
        }
    }
    assert_eq!(count, 13, "the OASIS VEX example folder holds 13 documents");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
