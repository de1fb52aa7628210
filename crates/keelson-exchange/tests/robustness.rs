//! No input makes the mandatory tests panic: every node of the suite's documents is
//! replaced in turn by a value of each other JSON type, and the tests run on the result.

use std::path::PathBuf;

use keelson_exchange::csaf;
use serde_json::{Value, json};

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

fn documents() -> Vec<PathBuf> {
    let Some(root) =
        keelson_testkit::corpus_path("csaf/oasis-csaf/csaf_2.0/test/validator/data/mandatory")
    else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(&root) else {
        panic!("{}", root.display())
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    paths
}

#[test]
fn mandatory_tests_survive_every_node_replaced_by_every_other_type() {
    let replacements = [
        json!(null),
        json!(-1),
        json!("x"),
        json!([]),
        json!({}),
        json!(true),
    ];
    let mut runs = 0;
    for path in documents() {
        let Ok(Ok(original)) = std::fs::read(&path).map(|b| serde_json::from_slice::<Value>(&b))
        else {
            panic!("{}", path.display())
        };
        let mut all = Vec::new();
        pointers(&original, String::new(), &mut all);
        for pointer in all.iter().skip(1) {
            for replacement in &replacements {
                let mut mutated = original.clone();
                if let Some(node) = mutated.pointer_mut(pointer) {
                    *node = replacement.clone();
                }
                let _ = csaf::mandatory_violations(&mutated);
                runs += 1;
            }
        }
    }
    println!("{runs} mutated documents checked");
    assert!(runs > 10_000 || documents().is_empty(), "only {runs} runs");
}

#[test]
fn bytes_that_are_not_json_are_one_schema_violation() {
    let verdict = csaf::validate(b"{\"document\": ");
    assert!(!verdict.valid);
    assert_eq!(verdict.errors.len(), 1);
    assert_eq!(verdict.errors[0].test, "schema");
}

/// Real VEX documents of each format Keelson reads.
const VEX_DOCUMENTS: &[&str] = &[
    "csaf/redhat/rhsa-2024_4546.json",
    "csaf/oasis-csaf/csaf_2.0/examples/csaf/csaf_vex/2022-evd-uc-04-001.json",
    "cyclonedx/bom-examples/VEX/CISA-Use-Cases/Case-4/vex.json",
    "openvex/vexctl/examples/openvex/document1.vex.json",
];

#[test]
fn vex_reading_survives_every_node_replaced_by_every_other_type() {
    let replacements = [json!(null), json!(-1), json!("x"), json!([]), json!({})];
    let mut runs = 0;
    for relative in VEX_DOCUMENTS {
        let Some(path) = keelson_testkit::corpus_path(relative) else {
            return;
        };
        let Ok(Ok(original)) = std::fs::read(&path).map(|b| serde_json::from_slice::<Value>(&b))
        else {
            panic!("{}", path.display())
        };
        let mut all = Vec::new();
        pointers(&original, String::new(), &mut all);
        for pointer in all.iter().skip(1) {
            for replacement in &replacements {
                let mut mutated = original.clone();
                if let Some(node) = mutated.pointer_mut(pointer) {
                    *node = replacement.clone();
                }
                let bytes = serde_json::to_vec(&mutated).unwrap_or_default();
                let _ = keelson_exchange::vex::read(&bytes);
                runs += 1;
            }
        }
    }
    println!("{runs} mutated VEX documents read");
    assert!(runs > 1_000, "only {runs} runs");
}
