//! Test support shared by Keelson's crates.
//!
//! The public test corpus lives beside the repository (`../shared/corpus` by
//! default, or wherever `KEELSON_CORPUS` points). Tests that need it call
//! [`corpus`] or [`corpus_path`]: when the corpus is missing they print why
//! and return `None` so the test can skip, unless `KEELSON_REQUIRE_CORPUS=1`
//! is set (as CI does), in which case a missing corpus fails the test.

use std::path::{Path, PathBuf};

/// The environment variable that points at the corpus.
pub const CORPUS_VAR: &str = "KEELSON_CORPUS";

/// The environment variable that turns a missing corpus into a failure.
pub const REQUIRE_CORPUS_VAR: &str = "KEELSON_REQUIRE_CORPUS";

/// The repository root, found from this crate's manifest directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// The corpus root, or `None` (after saying so on stderr) when it is absent.
///
/// # Panics
///
/// When the corpus is absent and `KEELSON_REQUIRE_CORPUS=1`.
pub fn corpus() -> Option<PathBuf> {
    let root = match std::env::var_os(CORPUS_VAR) {
        Some(value) => {
            let path = PathBuf::from(value);
            if path.is_absolute() {
                path
            } else {
                repo_root().join(path)
            }
        }
        None => repo_root().join("../shared/corpus"),
    };
    if root.is_dir() {
        return Some(root);
    }
    missing(&root)
}

/// A path inside the corpus, or `None` when the corpus (or that path) is absent.
///
/// # Panics
///
/// When the path is absent and `KEELSON_REQUIRE_CORPUS=1`.
pub fn corpus_path(relative: &str) -> Option<PathBuf> {
    let path = corpus()?.join(relative);
    if path.exists() {
        return Some(path);
    }
    missing(&path)
}

/// Whether CI demands that corpus tests run.
pub fn corpus_required() -> bool {
    std::env::var(REQUIRE_CORPUS_VAR).is_ok_and(|value| value == "1")
}

fn missing(path: &Path) -> Option<PathBuf> {
    if corpus_required() {
        panic!(
            "corpus path {} is missing and {REQUIRE_CORPUS_VAR}=1 demands it",
            path.display()
        );
    }
    eprintln!(
        "skipping: corpus path {} is missing (set {CORPUS_VAR})",
        path.display()
    );
    None
}

/// Every file under `dir` (recursively) whose name satisfies `keep`, sorted.
pub fn files_under(dir: &Path, keep: impl Fn(&Path) -> bool + Copy) -> Vec<PathBuf> {
    let mut found = Vec::new();
    collect(dir, keep, &mut found);
    found.sort();
    found
}

fn collect(dir: &Path, keep: impl Fn(&Path) -> bool + Copy, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, keep, found);
        } else if keep(&path) {
            found.push(path);
        }
    }
}

/// Whether `python3` can import `module` (a test oracle such as cantools); when it cannot,
/// says so on stderr so the test can skip, unless the corpus is required (as in CI).
///
/// # Panics
///
/// When the module is missing and `KEELSON_REQUIRE_CORPUS=1`.
pub fn python_oracle(module: &str, install: &str) -> bool {
    let probe = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output();
    if probe.is_ok_and(|out| out.status.success()) {
        return true;
    }
    assert!(
        !corpus_required(),
        "python3 with {module} is required ({install})"
    );
    eprintln!("skipping: python3 with {module} is not installed ({install})");
    false
}

/// The folder of the reference CSAF validator (BSI's csaf-validator-lib, installed by
/// `npm ci --prefix crates/keelson-exchange/tests/oracle`).
pub fn csaf_oracle_dir() -> PathBuf {
    repo_root().join("crates/keelson-exchange/tests/oracle")
}

/// Runs the reference CSAF validator (schema and every mandatory test) on a document
/// and returns its JSON verdict (`{"isValid", "tests", "errors"}`) as text. `None`
/// when node or the package is missing, said on stderr so the test can skip.
///
/// # Panics
///
/// When the validator is missing and `KEELSON_REQUIRE_CORPUS=1`, or cannot be run.
pub fn csaf_reference_verdict(document: &[u8]) -> Option<String> {
    let dir = csaf_oracle_dir();
    let package = dir.join("node_modules/@secvisogram/csaf-validator-lib/package.json");
    let node = std::process::Command::new("node").arg("--version").output();
    if !(node.is_ok_and(|out| out.status.success()) && package.is_file()) {
        let how = "node and `npm ci --prefix crates/keelson-exchange/tests/oracle`";
        assert!(
            !corpus_required(),
            "the CSAF reference validator needs {how}"
        );
        eprintln!("skipping: the CSAF reference validator needs {how}");
        return None;
    }
    let unique = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let file =
        std::env::temp_dir().join(format!("keelson-csaf-{}-{unique}.json", std::process::id()));
    if let Err(error) = std::fs::write(&file, document) {
        panic!("{}: {error}", file.display());
    }
    let output = std::process::Command::new("node")
        .current_dir(&dir)
        .arg("csaf_validate.mjs")
        .arg(&file)
        .output();
    let _ = std::fs::remove_file(&file);
    let output = match output {
        Ok(output) => output,
        Err(error) => panic!("cannot run node: {error}"),
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs the OASIS STIX 2.1 validator (PyPI `stix2-validator`, through
/// `crates/keelson-exchange/tests/oracle/stix_validate.py`) in strict mode on a
/// bundle, every warning an error except the checks in `disabled` (comma-separated
/// codes), and returns its JSON verdict (`{"valid", "errors", "warnings"}`) as text.
/// `None` when python3 or the package is missing, said on stderr so the test can skip.
///
/// # Panics
///
/// When the validator is missing and `KEELSON_REQUIRE_CORPUS=1`, or cannot be run.
pub fn stix_validator_verdict(bundle: &[u8], disabled: &str) -> Option<String> {
    if !python_oracle("stix2validator", "pip install stix2-validator==3.3.2") {
        return None;
    }
    let unique = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let file =
        std::env::temp_dir().join(format!("keelson-stix-{}-{unique}.json", std::process::id()));
    if let Err(error) = std::fs::write(&file, bundle) {
        panic!("{}: {error}", file.display());
    }
    let script = repo_root().join("crates/keelson-exchange/tests/oracle/stix_validate.py");
    let output = std::process::Command::new("python3")
        .arg(&script)
        .arg(&file)
        .args(["--strict", "--disable", disabled])
        .output();
    let _ = std::fs::remove_file(&file);
    let output = match output {
        Ok(output) => output,
        Err(error) => panic!("cannot run python3: {error}"),
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}
