//! `keelson vulndb import` on the corpus's OSV and NVD records: every
//! record counted once per ID (IDs read here straight from the files),
//! re-import changes nothing, and a file that is no feed stops the run
//! before anything is stored.

mod support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use keelson_store::testing::TempDir;
use keelson_testkit::{corpus_path, files_under};
use support::{keelson, stderr, stdout_json};

/// NVD `cve` objects and OSV records of the corpus, one record per file.
fn feed_files() -> Option<Vec<PathBuf>> {
    let nvd = corpus_path("nvd/fkie-nvd-json-data-feeds")?;
    let linter = corpus_path("osv/osv-schema/tools/osv-linter/testdata")?;
    let ghsa = corpus_path("osv/osv-schema/tools/ghsa/testdata")?;
    let json = |path: &Path| {
        path.extension()
            .is_some_and(|extension| extension == "json")
    };
    let converted = |path: &Path| path.to_string_lossy().ends_with(".osv.json");
    let mut files: Vec<PathBuf> = files_under(&nvd, json);
    files.extend(files_under(&linter, json));
    files.extend(files_under(&ghsa, converted));
    Some(files)
}

/// The feed files with one file per record ID (the linter's test data holds
/// deliberately different records under one ID; a second import of those
/// would rightly count as an update).
fn distinct_feed_files() -> Option<Vec<PathBuf>> {
    let mut seen = HashSet::new();
    let files = feed_files()?;
    Some(
        files
            .into_iter()
            .filter(|path| seen.insert(record_id(path)))
            .collect(),
    )
}

fn record_id(path: &PathBuf) -> String {
    let text = std::fs::read_to_string(path).expect("read");
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    value["id"].as_str().expect("id").to_owned()
}

fn import(data: &Path, files: &[PathBuf]) -> std::process::Output {
    let mut args = vec!["vulndb".to_owned(), "import".to_owned()];
    args.extend(files.iter().map(|path| path.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    keelson(data, &args)
}

#[test]
fn corpus_records_are_counted_once_per_id_and_reimport_changes_nothing() {
    let Some(files) = distinct_feed_files() else {
        return;
    };
    let distinct_ids: HashSet<String> = files.iter().map(record_id).collect();
    let dir = TempDir::new().expect("dir");

    let first = import(&dir.path, &files);
    assert!(first.status.success(), "{}", stderr(&first));
    let counts = stdout_json(&first);
    let total = |field: &str| {
        counts["nvd"][field].as_u64().unwrap_or(0) + counts["osv"][field].as_u64().unwrap_or(0)
    };
    assert_eq!(total("files"), files.len() as u64);
    assert_eq!(total("added"), distinct_ids.len() as u64);
    assert_eq!(
        total("added") + total("updated") + total("unchanged"),
        files.len() as u64
    );

    let again = stdout_json(&import(&dir.path, &files));
    let again_total = |field: &str| {
        again["nvd"][field].as_u64().unwrap_or(0) + again["osv"][field].as_u64().unwrap_or(0)
    };
    assert_eq!(again_total("added") + again_total("updated"), 0, "{again}");
    assert_eq!(again_total("files_already_stored"), files.len() as u64);
}

#[test]
fn a_file_that_is_no_feed_stops_the_run_before_anything_is_stored() {
    let Some(files) = feed_files() else {
        return;
    };
    let dir = TempDir::new().expect("dir");
    let not_a_feed = dir.path.join("notes.json");
    std::fs::write(&not_a_feed, r#"{"hello": "world"}"#).expect("write");
    let mut run = files[..2].to_vec();
    run.push(not_a_feed);

    let refused = import(&dir.path, &run);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("notes.json"),
        "{}",
        stderr(&refused)
    );

    let after = stdout_json(&import(&dir.path, &files[..2]));
    let stored_before = after["nvd"]["files_already_stored"].as_u64().unwrap_or(0)
        + after["osv"]["files_already_stored"].as_u64().unwrap_or(0);
    assert_eq!(stored_before, 0, "{after}");
}
