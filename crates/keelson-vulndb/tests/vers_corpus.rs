//! The vers-spec and univers test suites: version ordering per scheme, canonical parsing,
//! validation (normalisation) and containment.

mod common;

use std::cmp::Ordering;

use common::load;
use keelson_testkit::{corpus_path, files_under};
use keelson_vulndb::{Scheme, VersRange};
use serde_json::Value;

/// Files of the vers-spec suite this crate does not run, and why.
const EXCLUDED_FILES: [(&str, &str); 13] = [
    (
        "alpm_version_cmp_test.json",
        "alpm (Arch Linux) scheme not implemented",
    ),
    (
        "conan_version_cmp_test.json",
        "conan scheme not implemented",
    ),
    (
        "datetime_version_cmp_test.json",
        "datetime scheme not implemented",
    ),
    (
        "gentoo_version_cmp_test.json",
        "gentoo scheme not implemented",
    ),
    (
        "openssl_version_cmp_test.json",
        "openssl scheme not implemented",
    ),
    (
        "conan_range_from_native_basic_test.json",
        "native range syntax conversion not in scope",
    ),
    (
        "conan_range_from_native_test.json",
        "native range syntax conversion not in scope",
    ),
    (
        "gem_range_from_native_test.json",
        "native range syntax conversion not in scope",
    ),
    (
        "nginx_range_from_native_test.json",
        "native range syntax conversion not in scope",
    ),
    (
        "npm_range_from_native_test.json",
        "native range syntax conversion not in scope",
    ),
    (
        "nuget_range_from_native_test.json",
        "native range syntax conversion not in scope",
    ),
    (
        "openssl_range_from_native_test.json",
        "native range syntax conversion not in scope",
    ),
    (
        "pypi_range_from_native_test.json",
        "native range syntax conversion not in scope",
    ),
];

fn tests_of(doc: &Value) -> Vec<Value> {
    doc.get("tests")
        .or(Some(doc))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn scheme_of(name: &str) -> Scheme {
    Scheme::for_ecosystem(name).unwrap_or_else(|| panic!("scheme {name} is not mapped"))
}

fn strings(value: &Value) -> Vec<String> {
    let items = value.as_array().expect("a list of versions");
    items
        .iter()
        .map(|v| v.as_str().expect("a version string").to_owned())
        .collect()
}

/// Sort with the scheme and compare against the expected order.
fn check_comparison(case: &Value) -> Result<(), String> {
    let input = &case["input"];
    let scheme = scheme_of(input["input_scheme"].as_str().unwrap_or_default());
    let mut versions = strings(&input["versions"]);
    let mut failure = None;
    versions.sort_by(|a, b| {
        scheme.compare(a, b).unwrap_or_else(|e| {
            failure.get_or_insert(e.to_string());
            Ordering::Equal
        })
    });
    if let Some(e) = failure {
        return Err(e);
    }
    match case["test_type"].as_str() {
        Some("equality") => {
            let [a, b] = versions.as_slice() else {
                return Err("need two versions".into());
            };
            let equal = scheme.compare(a, b).map_err(|e| e.to_string())? == Ordering::Equal;
            expect(
                equal == case["expected_output"].as_bool().unwrap_or(false),
                case,
                &equal,
            )
        }
        _ => {
            // Expected lists hold each scheme's normalised spelling (NuGet lowercases), so
            // positions are compared as versions, not as text.
            let want = strings(&case["expected_output"]);
            let same = want.len() == versions.len()
                && versions
                    .iter()
                    .zip(&want)
                    .all(|(a, b)| scheme.compare(a, b).is_ok_and(|o| o == Ordering::Equal));
            expect(same, case, &versions)
        }
    }
}

fn expect(ok: bool, case: &Value, got: &dyn std::fmt::Debug) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("case {case} gave {got:?}"))
    }
}

fn check_range_case(case: &Value) -> Result<(), String> {
    let expected = &case["expected_output"];
    let wants_failure = case["expected_failure"].as_bool().unwrap_or(false);
    match case["test_type"].as_str() {
        Some("parse") => {
            let parsed = VersRange::parse_canonical(case["input"].as_str().unwrap_or_default());
            match parsed {
                Err(_) if wants_failure => Ok(()),
                Err(e) => Err(format!("case {case}: {e}")),
                Ok(r) => expect(!wants_failure && same_constraints(&r, expected), case, &r),
            }
        }
        Some("validate") => {
            let parsed = VersRange::parse(case["input"].as_str().unwrap_or_default());
            let text = parsed.map(|r| r.to_string()).map_err(|e| e.to_string())?;
            expect(Some(text.as_str()) == expected.as_str(), case, &text)
        }
        Some("containment") => {
            let range = VersRange::parse(case["input"]["vers"].as_str().unwrap_or_default())
                .map_err(|e| e.to_string())?;
            let version = case["input"]["version"].as_str().unwrap_or_default();
            let inside = range.contains(version).map_err(|e| e.to_string())?;
            expect(Some(inside) == expected.as_bool(), case, &inside)
        }
        _ => check_comparison(case),
    }
}

fn same_constraints(range: &VersRange, expected: &Value) -> bool {
    let got: Vec<(String, String)> = range
        .constraints()
        .iter()
        .map(|c| {
            let op = if c.comparator.as_str().is_empty() {
                "="
            } else {
                c.comparator.as_str()
            };
            (op.to_owned(), c.version.clone())
        })
        .collect();
    let want: Vec<(String, String)> = expected["version_constraints"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p[0].as_str().unwrap_or("").into(),
                p[1].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    range.scheme_name() == expected["scheme"].as_str().unwrap_or("") && got == want
}

/// Cases inside run files that are excluded, by input text, and why.
const EXCLUDED_CASES: [(&str, &str); 4] = [
    (
        "vers:datetime/2024-01-01t00:00:00z",
        "datetime scheme not implemented",
    ),
    (
        "vers:datetime/2024-01-01T00%3A00%3A00Z",
        "datetime scheme not implemented",
    ),
    (
        "vers:datetime/2024-01-01T00:00:00%ZZ",
        "datetime scheme not implemented",
    ),
    (
        "vers:datetime/2024-01-01T00%3a00%3a00Z",
        "datetime scheme not implemented",
    ),
];

#[test]
fn vers_spec_suite_passes() {
    let Some(dir) = corpus_path("vers/vers-spec/tests") else {
        return;
    };
    let files = files_under(&dir, |p| p.extension().is_some_and(|e| e == "json"));
    let (mut total, mut skipped_files, mut skipped_cases, mut failures) = (0, 0, 0, Vec::new());

    for file in &files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if let Some((_, why)) = EXCLUDED_FILES.iter().find(|(f, _)| *f == name) {
            eprintln!("vers: {name}: excluded ({why})");
            skipped_files += 1;
            continue;
        }
        let mut count = 0;
        for case in tests_of(&load(file)) {
            let input = case["input"].as_str().unwrap_or_default();
            if EXCLUDED_CASES.iter().any(|(i, _)| *i == input) {
                skipped_cases += 1;
                continue;
            }
            count += 1;
            if let Err(e) = check_range_case(&case) {
                failures.push(format!("{name}: {e}"));
            }
        }
        eprintln!("vers: {name}: {count} cases");
        total += count;
    }

    eprintln!("vers-spec: {total} cases, {} failures", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(skipped_files, EXCLUDED_FILES.len());
    assert_eq!(skipped_cases, EXCLUDED_CASES.len());
    assert!(total > 1700, "expected the full suite, ran {total}");
}

#[test]
fn univers_debian_ordering_passes() {
    let Some(path) = corpus_path("vers/univers/tests/data/schema/deb_version_python_pkg_test.json")
    else {
        return;
    };
    let cases = tests_of(&load(&path));
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| check_comparison(c).err())
        .collect();
    eprintln!("univers debian ordering: {} cases", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(cases.len(), 16);
}

#[test]
fn univers_vers_suite_passes() {
    let Some(path) = corpus_path("vers/univers/tests/data/test-suite-data.json") else {
        return;
    };
    let cases = tests_of(&load(&path));
    let mut ran = 0;
    let mut excluded = 0;
    for case in &cases {
        let input = case["vers"].as_str().unwrap_or_default();
        // The univers draft combined constraints with `&` and `,`, which the published
        // vers specification replaced by `|` alone.
        if input.contains('&') || input.contains(',') {
            eprintln!("univers: excluded {input:?} (pre-specification & and , syntax)");
            excluded += 1;
            continue;
        }
        let range = VersRange::parse(input).expect("valid vers");
        assert_eq!(
            Some(range.to_string().as_str()),
            case["canonical_vers"].as_str()
        );
        ran += 1;
    }
    eprintln!("univers vers suite: {ran} cases");
    assert_eq!((ran, excluded), (1, 1));
}

/// OpenSSL release order from univers, used as an independent check of the generic
/// scheme that NVD version bounds are compared with (letter releases follow their base).
const OPENSSL_EXCLUDED: [(&str, &str); 2] = [
    (
        "0.9.6-cvs",
        "OpenSSL-specific: a CVS snapshot placed before the letter release 0.9.6a",
    ),
    (
        "1.0.2zc-dev",
        "OpenSSL-specific: univers places -dev after its base, not before",
    ),
];

#[test]
fn generic_scheme_orders_openssl_releases() {
    let Some(path) = corpus_path("vers/univers/tests/data/openssl/openssl_versort_expected.json")
    else {
        return;
    };
    let expected: Vec<String> = load(&path)
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["string"].as_str().map(str::to_owned))
        .filter(|v| !OPENSSL_EXCLUDED.iter().any(|(x, _)| x == v))
        .collect();
    let mut wrong = Vec::new();
    for pair in expected.windows(2) {
        if let [a, b] = pair
            && Scheme::Generic.compare(a, b) != Ok(Ordering::Less)
        {
            wrong.push(format!("{a} < {b}"));
        }
    }
    eprintln!(
        "openssl order (generic scheme): {} versions",
        expected.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(expected.len() + OPENSSL_EXCLUDED.len(), 172);
}
