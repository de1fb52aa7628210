//! Scores every vector of the shared CVSS corpus against the expected values
//! published with it (RedHat/FIRST calculators, FIRST macro-scores, NVD).

use std::collections::BTreeMap;
use std::path::PathBuf;

use keelson_cvss::{ErrorKind, Vector};

/// One expected case: the vector and its expected (base, temporal, environmental)
/// for v2/v3, or the single score for v4.0.
struct Case {
    vector: String,
    base: Option<f64>,
    temporal: Option<f64>,
    environmental: Option<f64>,
    /// Whether temporal/environmental were given as a group triple (None = not computed).
    triple: bool,
    score: Option<f64>,
    severity: Option<String>,
}

fn corpus_file(relative: &str) -> Option<PathBuf> {
    let path = keelson_testkit::corpus_path(relative);
    if path.is_none() {
        eprintln!("corpus file {relative} missing; skipping");
    }
    path
}

/// Lines that hold a case, counted without the case parser.
fn case_lines(text: &str) -> usize {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .count()
}

fn number(text: &str) -> Option<f64> {
    let text = text.trim();
    if text == "None" {
        return None;
    }
    let value: f64 = text
        .parse()
        .unwrap_or_else(|_| panic!("bad number {text:?}"));
    Some(value.abs())
}

/// `VECTOR - (base, temporal, environmental)`, `VECTOR - (score,)` or `VECTOR - score`.
fn redhat_case(line: &str) -> Case {
    let (vector, expected) = line.split_once(" - ").expect("redhat line has ' - '");
    let inner = expected
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')');
    let parts: Vec<&str> = inner.split(',').filter(|p| !p.trim().is_empty()).collect();
    let mut case = Case {
        vector: vector.trim().to_owned(),
        base: None,
        temporal: None,
        environmental: None,
        triple: false,
        score: None,
        severity: None,
    };
    match parts.as_slice() {
        [score] => case.score = number(score),
        [base, temporal, environmental] => {
            case.base = number(base);
            case.temporal = number(temporal);
            case.environmental = number(environmental);
            case.triple = true;
        }
        _ => panic!("unexpected expectation in {line:?}"),
    }
    case
}

/// The text after `'key': ` in a Python-dict line, without quotes.
fn dict_field<'a>(line: &'a str, key: &str) -> &'a str {
    let marker = format!("'{key}': ");
    let start = line.find(&marker).expect("key present") + marker.len();
    let rest = &line[start..];
    if let Some(quoted) = rest.strip_prefix('\'') {
        return &quoted[..quoted.find('\'').expect("closing quote")];
    }
    rest.split([',', '}']).next().expect("value").trim()
}

fn close(expected: f64, actual: f64) -> bool {
    (expected - actual).abs() < 1e-9
}

/// Checks one case; returns the vector's version on success, a message on failure.
fn check(case: &Case) -> Result<String, String> {
    let vector: Vector = case
        .vector
        .parse()
        .map_err(|e| format!("{}: rejected: {e}", case.vector))?;
    let scores = vector.scores();
    let mismatch = |what: &str, want: f64, got: Option<f64>| {
        format!("{}: {what} expected {want}, got {got:?}", case.vector)
    };

    if let Some(want) = case.base
        && !close(want, scores.base)
    {
        return Err(mismatch("base", want, Some(scores.base)));
    }
    if case.triple {
        check_optional(case.temporal, scores.temporal)
            .map_err(|got| mismatch("temporal", case.temporal.unwrap_or(-1.0), got))?;
        check_optional(case.environmental, scores.environmental)
            .map_err(|got| mismatch("environmental", case.environmental.unwrap_or(-1.0), got))?;
    }
    if let Some(want) = case.score
        && !close(want, vector.score())
    {
        return Err(mismatch("score", want, Some(vector.score())));
    }
    if let Some(want) = &case.severity {
        let got = vector.severity().to_string();
        if !want.eq_ignore_ascii_case(&got) {
            return Err(format!(
                "{}: severity expected {want}, got {got}",
                case.vector
            ));
        }
    }
    check_canonical_round_trip(&vector)?;
    Ok(vector.version().to_string())
}

/// A redhat v2 "None" means the group is not computed; anything else must match.
fn check_optional(want: Option<f64>, got: Option<f64>) -> Result<(), Option<f64>> {
    match (want, got) {
        (None, None) => Ok(()),
        (Some(w), Some(g)) if close(w, g) => Ok(()),
        _ => Err(got),
    }
}

/// The canonical form must re-parse to itself with the same scores.
fn check_canonical_round_trip(vector: &Vector) -> Result<(), String> {
    let text = vector.to_string();
    let again: Vector = text
        .parse()
        .map_err(|e| format!("{text}: canonical rejected: {e}"))?;
    if again.to_string() != text || again.scores() != vector.scores() {
        return Err(format!("{text}: canonical form does not round-trip"));
    }
    Ok(())
}

/// Runs all cases of one file, prints counts, and asserts none failed.
fn run(
    file: &str,
    cases: &[Case],
    expected_count: usize,
    per_version: &mut BTreeMap<String, usize>,
) {
    let mut failures = Vec::new();
    for case in cases {
        match check(case) {
            Ok(version) => *per_version.entry(version).or_default() += 1,
            Err(message) => failures.push(message),
        }
    }
    eprintln!(
        "cvss {file}: {} cases, {} failed",
        cases.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{file}: {} failures, first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert_eq!(cases.len(), expected_count, "{file}: case count");
    assert!(expected_count > 0, "{file}: no cases");
}

const REDHAT_FILES: &[&str] = &[
    "vectors_simple2",
    "vectors_calculator2",
    "vectors_cvsslib2",
    "vectors_simple3",
    "vectors_calculator3",
    "vectors_cvsslib3",
    "vectors_simple31",
    "vectors_simple4",
    "vectors_threat4",
    "vectors_security4",
    "vectors_supplemental4",
];

#[test]
fn redhat_vectors_score_exactly() {
    let mut per_version = BTreeMap::new();
    for name in REDHAT_FILES {
        let Some(path) = corpus_file(&format!("cvss/redhat-cvss/{name}")) else {
            return;
        };
        let text = std::fs::read_to_string(&path).expect("readable corpus file");
        let cases: Vec<Case> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(redhat_case)
            .collect();
        run(name, &cases, case_lines(&text), &mut per_version);
    }
    eprintln!("cvss redhat per version: {per_version:?}");
    let total: usize = per_version.values().sum();
    assert_eq!(total, 7667, "redhat total");
}

#[test]
fn first_macro_scores_score_exactly() {
    let Some(path) = corpus_file("cvss/first-cvss-resources/macro-scores") else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("readable corpus file");
    let cases: Vec<Case> = text
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .map(|line| Case {
            vector: dict_field(line, "vector").to_owned(),
            base: None,
            temporal: None,
            environmental: None,
            triple: false,
            score: number(dict_field(line, "score")),
            severity: Some(dict_field(line, "severity").to_owned()),
        })
        .collect();
    let mut per_version = BTreeMap::new();
    run("macro-scores", &cases, case_lines(&text), &mut per_version);
    assert_eq!(per_version.get("4.0"), Some(&270));
}

#[test]
fn nvd_scores_score_exactly() {
    let mut per_version = BTreeMap::new();
    for (name, count) in [("v30-scores.json", 3), ("v31-scores.json", 79)] {
        let Some(path) = corpus_file(&format!("cvss/nvd-go/{name}")) else {
            return;
        };
        let text = std::fs::read_to_string(&path).expect("readable corpus file");
        let items: Vec<serde_json::Value> = serde_json::from_str(&text).expect("json array");
        let cases: Vec<Case> = items
            .iter()
            .map(|item| Case {
                vector: item["vector"].as_str().expect("vector").to_owned(),
                base: item["score"].as_f64(),
                temporal: None,
                environmental: None,
                triple: false,
                score: item["score"].as_f64(),
                severity: item["severity"].as_str().map(str::to_owned),
            })
            .collect();
        // Independent count: occurrences of the "vector" key in the raw text.
        let raw_count = text.matches("\"vector\"").count();
        assert_eq!(raw_count, count, "{name}: raw count");
        run(name, &cases, raw_count, &mut per_version);
    }
    eprintln!("cvss nvd per version: {per_version:?}");
}

#[test]
fn first_negative_vectors_are_rejected_naming_metric_and_value() {
    let file = "cvss/first-cvss-resources/reference-scores-negative-slice";
    let Some(path) = corpus_file(file) else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("readable corpus file");
    let mut rejected = 0;

    for line in text.lines().filter(|l| l.trim_start().starts_with('{')) {
        let vector = dict_field(line, "vector");
        // Expected text: "Invalid vector, for key AC, value T is not in [L,H]".
        let message = dict_field(line, "error");
        let key = message
            .split("for key ")
            .nth(1)
            .and_then(|r| r.split(',').next());
        let value = message
            .split("value ")
            .nth(1)
            .and_then(|r| r.split(' ').next());

        let error = vector.parse::<Vector>().expect_err(vector);
        assert_eq!(error.kind(), ErrorKind::BadValue, "{vector}: {error}");
        assert_eq!(error.metric(), key, "{vector}: {error}");
        assert!(
            error
                .to_string()
                .contains(&format!("`{}`", value.unwrap_or("?"))),
            "{error}"
        );
        rejected += 1;
    }

    eprintln!("cvss v4.0 negative: {rejected} rejected");
    assert_eq!(rejected, 14);
}
