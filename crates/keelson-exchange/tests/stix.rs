//! STIX 2.1 against the OASIS examples of the corpus: every example file reads,
//! with counts per type equal to the objects the test counts itself in the JSON,
//! and what Keelson writes from them passes the OASIS STIX validator
//! (`stix2-validator`, strict, all checks but 103: Keelson's IDs are UUIDv5 on
//! purpose, so that re-exports keep them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use keelson_core::Tlp;
use keelson_exchange::stix::{self, ExportObject};
use serde_json::Value;

const EXAMPLES: &str = "stix/cti-stix2-json-schemas/examples";
const KEPT: [&str; 4] = [
    "indicator",
    "attack-pattern",
    "vulnerability",
    "relationship",
];

fn example_files() -> Option<Vec<PathBuf>> {
    let dir = keelson_testkit::corpus_path(EXAMPLES)?;
    let files = keelson_testkit::files_under(&dir, |path: &Path| {
        path.extension().is_some_and(|ext| ext == "json")
    });
    assert!(
        files.len() >= 8,
        "expected the OASIS examples, found {files:?}"
    );
    Some(files)
}

/// The objects of a file per type, counted from the JSON alone: a bundle's
/// `objects`, or the file's one object.
fn counted_types(json: &Value) -> BTreeMap<String, u64> {
    let objects = match json["type"].as_str() {
        Some("bundle") => json["objects"].as_array().cloned().unwrap_or_default(),
        _ => vec![json.clone()],
    };
    let mut counts = BTreeMap::new();
    for object in objects {
        let kind = object["type"].as_str().unwrap_or("?").to_owned();
        *counts.entry(kind).or_default() += 1;
    }
    counts
}

#[test]
fn every_example_reads_with_its_counts_per_type() {
    let Some(files) = example_files() else { return };
    for file in files {
        let bytes = std::fs::read(&file).expect("example");
        let json: Value = serde_json::from_slice(&bytes).expect("json");
        let expected = counted_types(&json);
        let bundle =
            stix::read_bundle(&bytes).unwrap_or_else(|e| panic!("{}: {e}", file.display()));

        assert_eq!(bundle.counts, expected, "{}", file.display());
        let not_kept: BTreeMap<String, u64> = expected
            .iter()
            .filter(|(kind, _)| !KEPT.contains(&kind.as_str()))
            .map(|(kind, n)| (kind.clone(), *n))
            .collect();
        assert_eq!(bundle.not_kept, not_kept, "{}", file.display());
        let kept: u64 = expected
            .iter()
            .filter(|(kind, _)| KEPT.contains(&kind.as_str()))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(bundle.objects.len() as u64, kept, "{}", file.display());
    }
}

#[test]
fn the_vulnerabilities_of_the_poison_ivy_report_keep_their_cve_ids() {
    let Some(path) =
        keelson_testkit::corpus_path(&format!("{EXAMPLES}/threat-reports/poisonivy.json"))
    else {
        return;
    };
    let bytes = std::fs::read(&path).expect("report");
    let json: Value = serde_json::from_slice(&bytes).expect("json");
    let mut expected: Vec<String> = json["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|object| object["type"] == "vulnerability")
        .filter_map(|object| object["name"].as_str().map(str::to_owned))
        .collect();
    let mut read: Vec<String> = stix::read_bundle(&bytes)
        .expect("bundle")
        .objects
        .into_iter()
        .filter_map(|object| match object.body {
            stix::Body::Vulnerability(vulnerability) => Some(vulnerability.name),
            _ => None,
        })
        .collect();
    expected.sort();
    read.sort();
    assert!(!expected.is_empty());
    assert_eq!(read, expected);
}

#[test]
fn what_keelson_writes_from_every_example_passes_the_stix_validator() {
    let Some(files) = example_files() else { return };
    let mut exports = Vec::new();
    for file in files {
        let bytes = std::fs::read(&file).expect("example");
        let bundle = stix::read_bundle(&bytes).expect("bundle");
        for object in bundle.objects {
            let tlp = object.meta.tlp.unwrap_or(Tlp::Green);
            exports.push(ExportObject::new(object.meta, tlp, object.body));
        }
    }
    let written = stix::bundle(&exports);
    let text = serde_json::to_vec_pretty(&written).expect("json");
    let Some(verdict) = keelson_testkit::stix_validator_verdict(&text, "103") else {
        return;
    };
    let verdict: Value = serde_json::from_str(&verdict).expect("verdict");
    assert_eq!(verdict["valid"], true, "{verdict}");
    assert_eq!(verdict["errors"], serde_json::json!([]), "{verdict}");

    let again = stix::bundle(&exports);
    assert_eq!(again, written, "the same records give the same bundle");
    assert_eq!(
        stix::read_bundle(&text).expect("reads back").objects.len(),
        exports.len()
    );
}

/// Pointers of every node, parents first.
fn pointers(value: &Value, here: String, out: &mut Vec<String>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let token = key.replace('~', "~0").replace('/', "~1");
                pointers(child, format!("{here}/{token}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{here}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Whether a fault's pointer names a place in the document: the node itself, or
/// (for a member that is required but absent) its parent.
fn names_a_place(document: &Value, at: &str) -> bool {
    let parent = at.rsplit_once('/').map_or("", |(parent, _)| parent);
    document.pointer(at).is_some() || document.pointer(parent).is_some()
}

#[test]
fn every_node_replaced_by_every_other_type_is_read_or_refused_with_its_place() {
    let Some(files) = example_files() else { return };
    let replacements = [
        serde_json::json!(null),
        serde_json::json!(-1),
        serde_json::json!("x"),
        serde_json::json!([]),
        serde_json::json!({}),
        serde_json::json!(true),
    ];
    let mut refused = 0;
    for file in files
        .iter()
        .filter(|file| !file.to_string_lossy().contains("threat-reports"))
    {
        let original: Value =
            serde_json::from_slice(&std::fs::read(file).expect("example")).expect("json");
        let mut all = Vec::new();
        pointers(&original, String::new(), &mut all);
        for pointer in all.iter().skip(1) {
            for replacement in &replacements {
                let mut document = original.clone();
                if let Some(node) = document.pointer_mut(pointer) {
                    *node = replacement.clone();
                }
                match stix::read_bundle(document.to_string().as_bytes()) {
                    Ok(_) => {}
                    Err(keelson_exchange::Error::Invalid { at, reason }) => {
                        refused += 1;
                        assert!(names_a_place(&document, &at), "{pointer}: {at}: {reason}");
                    }
                    Err(other) => panic!("{pointer}: {other}"),
                }
            }
        }
    }
    assert!(
        refused > 100,
        "the replacements should break many kept objects ({refused})"
    );
}
