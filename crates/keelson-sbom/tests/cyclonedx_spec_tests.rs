//! The CycloneDX specification's own test documents: every `valid-*` file of 1.4-1.6
//! must import and validate clean, every `invalid-*` file must be rejected.

use std::path::{Path, PathBuf};

use keelson_testkit::{corpus_path, files_under};

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn spec_files(folder: &str, extension: &str, prefix: &str) -> Option<Vec<PathBuf>> {
    let dir = corpus_path(&format!("cyclonedx/spec-tests/{folder}"))?;
    let files = files_under(&dir, |p| {
        let name = name_of(p);
        name.starts_with(prefix) && name.ends_with(extension)
    });
    Some(files)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Imports and validates every valid file; returns how many ran.
fn check_valid(files: &[PathBuf]) -> usize {
    let mut failures = Vec::new();
    for path in files {
        let bytes = read(path);
        if let Err(error) = keelson_sbom::import(&bytes) {
            failures.push(format!("{}: import: {error}", name_of(path)));
        }
        for problem in keelson_sbom::validate(&bytes) {
            failures.push(format!("{}: {problem}", name_of(path)));
        }
    }
    assert!(
        failures.is_empty(),
        "valid files failed:\n{}",
        failures.join("\n")
    );
    files.len()
}

/// Validates every invalid file; returns how many ran.
fn check_invalid(files: &[PathBuf]) -> usize {
    let accepted: Vec<String> = files
        .iter()
        .filter(|path| keelson_sbom::validate(&read(path)).is_empty())
        .map(|path| name_of(path))
        .collect();
    assert!(accepted.is_empty(), "invalid files accepted: {accepted:?}");
    files.len()
}

#[test]
fn every_valid_json_spec_test_imports_and_validates() {
    for version in ["1.4", "1.5", "1.6"] {
        let Some(files) = spec_files(version, ".json", "valid-") else {
            return;
        };
        assert!(!files.is_empty(), "no valid files for {version}");
        let ran = check_valid(&files);
        println!("cyclonedx {version} json: {ran} valid files imported and validated clean");
    }
}

#[test]
fn every_invalid_json_spec_test_is_rejected() {
    for version in ["1.4", "1.5", "1.6"] {
        let Some(files) = spec_files(version, ".json", "invalid-") else {
            return;
        };
        assert!(!files.is_empty(), "no invalid files for {version}");
        let ran = check_invalid(&files);
        println!("cyclonedx {version} json: {ran} invalid files rejected");
    }
}

#[test]
fn xml_spec_tests_follow_their_prefix() {
    let Some(valid) = spec_files("1.6-xml", ".xml", "valid-") else {
        return;
    };
    let Some(invalid) = spec_files("1.6-xml", ".xml", "invalid-") else {
        return;
    };
    assert!(!valid.is_empty() && !invalid.is_empty());

    let valid_ran = check_valid(&valid);
    let invalid_ran = check_invalid(&invalid);
    println!("cyclonedx 1.6 xml: {valid_ran} valid clean, {invalid_ran} invalid rejected");
}

#[test]
fn validation_lists_every_problem_not_just_the_first() {
    let Some(path) = corpus_path("cyclonedx/spec-tests/1.6/valid-bom-1.6.json") else {
        return;
    };
    let mut value: serde_json::Value =
        serde_json::from_slice(&read(&path)).unwrap_or_else(|e| panic!("{e}"));

    // Break two independent rules: a component type and the serial number.
    value["components"][0]["type"] = serde_json::json!("not-a-type");
    value["serialNumber"] = serde_json::json!("not-a-urn");
    let bytes = serde_json::to_vec(&value).unwrap_or_default();

    let problems = keelson_sbom::validate(&bytes);
    let at: Vec<String> = problems.iter().map(|p| p.at.to_string()).collect();
    assert!(at.contains(&"/components/0/type".to_string()), "{at:?}");
    assert!(at.contains(&"/serialNumber".to_string()), "{at:?}");
}
