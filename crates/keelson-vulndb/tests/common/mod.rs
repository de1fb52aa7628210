//! Helpers shared by the corpus tests.

use std::path::Path;

use serde_json::Value;

/// Read a corpus JSON file; a missing or malformed file fails the test.
pub fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("corpus file is readable");
    serde_json::from_str(&text).expect("corpus file is JSON")
}
