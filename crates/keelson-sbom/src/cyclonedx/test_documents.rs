//! Documents for the tests that hold the streamed CycloneDX JSON reader and validator to
//! the whole-tree ones they replaced: every CycloneDX JSON file of the corpus, and a
//! generated document large enough that an element deep in an array is far from the
//! start.

use serde_json::{Value, json};

use keelson_testkit::{corpus_path, files_under};

/// Every CycloneDX JSON document of the corpus (spec tests of every version, valid and
/// invalid, and the example SBOMs), as (name, text); `None` when the corpus is absent.
pub(crate) fn corpus_documents() -> Option<Vec<(String, String)>> {
    let dir = corpus_path("cyclonedx")?;
    let files = files_under(&dir, |p| p.extension().is_some_and(|e| e == "json"));
    let documents = files
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            let value: Value = serde_json::from_str(&text).ok()?;
            let name = path
                .strip_prefix(&dir)
                .unwrap_or(&path)
                .display()
                .to_string();
            (value.get("bomFormat") == Some(&json!("CycloneDX"))).then_some((name, text))
        })
        .collect();
    Some(documents)
}

/// How many components [`large_document`] has at the top level, and the index of the
/// one the tests break.
pub(crate) const LARGE_COUNT: usize = 15_000;
pub(crate) const DEEP_INDEX: usize = 12_345;

/// Every how many top-level components one carries two nested components.
pub(crate) const NESTING_EVERY: usize = 50;

/// A CycloneDX 1.6 document of [`LARGE_COUNT`] components (every [`NESTING_EVERY`]th
/// with two nested ones, one of them without `bom-ref`), a dependency per component,
/// and a subject; `specVersion` is written after the arrays, as a document may.
pub(crate) fn large_document(change: impl FnOnce(&mut Value)) -> String {
    let components: Vec<Value> = (0..LARGE_COUNT).map(component).collect();
    let dependencies: Vec<Value> = (0..LARGE_COUNT)
        .map(|i| json!({"ref": format!("c{i}"), "dependsOn": [format!("c{}", (i + 1) % LARGE_COUNT)]}))
        .collect();
    let mut document = json!({
        "bomFormat": "CycloneDX",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {"component": {"type": "firmware", "bom-ref": "tcu", "name": "tcu-fw"}},
        "components": components,
        "dependencies": dependencies,
        "specVersion": "1.6",
    });
    change(&mut document);
    document.to_string()
}

fn component(index: usize) -> Value {
    let mut component = json!({
        "type": "library",
        "bom-ref": format!("c{index}"),
        "name": format!("lib-{index}"),
        "version": format!("1.{index}"),
        "purl": format!("pkg:generic/acme/lib-{index}@1.{index}"),
        "hashes": [{"alg": "SHA-256", "content": format!("{index:064x}")}],
        "licenses": [{"license": {"id": "MIT"}}],
    });
    if index.is_multiple_of(NESTING_EVERY) {
        component["components"] = json!([
            {"type": "file", "bom-ref": format!("c{index}-a"), "name": format!("a-{index}")},
            {"type": "file", "name": format!("b-{index}")},
        ]);
    }
    component
}

/// Small spec-test documents to mutate, one per version and array.
pub(crate) const MUTATION_SEEDS: [&str; 4] = [
    "cyclonedx/spec-tests/1.6/valid-bom-1.6.json",
    "cyclonedx/spec-tests/1.6/valid-dependency-1.6.json",
    "cyclonedx/spec-tests/1.5/valid-component-hashes-1.5.json",
    "cyclonedx/spec-tests/1.4/valid-metadata-tool-1.4.json",
];

/// Fragments that steer mutations into the places the streamed reader treats apart:
/// the arrays, repeated members, numbers out of range, nesting.
const FRAGMENTS: [&str; 10] = [
    r#""components": [{"type": "library", "name": "x"}], "#,
    r#""components": 7, "#,
    r#""dependencies": [{"ref": 1}], "#,
    r#""specVersion": "1.4", "#,
    "1e999",
    "[",
    "]",
    "{",
    ",",
    "\"",
];

/// `rounds` deterministic mutations of `text` (bytes flipped, ranges cut or doubled,
/// fragments inserted), keeping those that are still UTF-8 and still start like a JSON
/// object (others never reach the JSON readers).
pub(crate) fn mutations(text: &str, rounds: usize) -> Vec<String> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ text.len() as u64;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound.max(1) as u64) as usize
    };
    (0..rounds)
        .filter_map(|_| {
            let mut bytes = text.as_bytes().to_vec();
            let at = next(bytes.len());
            match next(4) {
                0 => bytes[at] ^= 1 << next(7),
                1 => {
                    let end = (at + next(40)).min(bytes.len());
                    bytes.drain(at..end);
                }
                2 => {
                    let end = (at + next(200)).min(bytes.len());
                    let copy = bytes[at..end].to_vec();
                    bytes.splice(at..at, copy);
                }
                _ => {
                    let fragment = FRAGMENTS[next(FRAGMENTS.len())].as_bytes();
                    bytes.splice(at..at, fragment.iter().copied());
                }
            }
            String::from_utf8(bytes)
                .ok()
                .filter(|t| t.trim_start().starts_with('{'))
        })
        .collect()
}
