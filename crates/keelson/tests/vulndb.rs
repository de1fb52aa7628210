//! `keelson vulndb import` on the corpus's OSV, NVD and CSAF records: every
//! record counted once per ID (IDs read here straight from the files),
//! re-import changes nothing, a file that is no feed stops the run before
//! anything is stored, and a malformed CSAF document is refused with the
//! place of the fault while the rest of the run is imported.

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

#[test]
fn a_malformed_csaf_document_is_refused_by_pointer_and_the_rest_is_imported() {
    let (Some(files), Some(csaf)) = (
        feed_files(),
        corpus_path("csaf/cisa-csaf/csaf_files/OT/white/2024/icsa-24-093-01.json"),
    ) else {
        return;
    };
    let text = std::fs::read_to_string(&csaf).expect("read");
    let mut value: serde_json::Value = serde_json::from_str(&text).expect("json");
    let vulnerabilities = value["vulnerabilities"].as_array().map_or(0, Vec::len) as u64;
    let dir = TempDir::new().expect("dir");
    value["document"]["tracking"]["id"] = "KEELSON-TEST-BROKEN".into();
    value["product_tree"]["branches"][0]["branches"] = "not a list".into();
    let broken = dir.path.join("broken-csaf.json");
    std::fs::write(&broken, value.to_string()).expect("write");
    let run = vec![files[0].clone(), csaf, broken];

    let output = import(&dir.path, &run);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let counts = stdout_json(&output);
    assert_eq!(counts["csaf"]["files"], 2, "{counts}");
    assert_eq!(counts["csaf"]["added"], vulnerabilities, "{counts}");
    assert_eq!(counts["csaf"]["errors"], 1, "{counts}");
    let first_kind = if counts["nvd"]["added"] == 1 {
        "nvd"
    } else {
        "osv"
    };
    assert_eq!(counts[first_kind]["added"], 1, "{counts}");
    let message = stderr(&output);
    assert!(
        message.contains(
            "broken-csaf.json: invalid csaf document KEELSON-TEST-BROKEN at \
                          /product_tree/branches/0/branches: expected an array"
        ),
        "{message}"
    );
}
