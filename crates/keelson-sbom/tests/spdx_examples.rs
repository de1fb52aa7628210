//! The SPDX 2.2/2.3 examples: every JSON and tag-value example imports and validates
//! clean, and the spec's example written both ways yields the same components.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use keelson_sbom::{Encoding, Sbom};
use keelson_testkit::{corpus_path, files_under};

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn import(path: &Path) -> Sbom {
    keelson_sbom::import(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// SPDX 2.2/2.3 JSON and tag-value documents (not schemas, YAML, XML or RDF).
fn spdx2_documents(root: &Path) -> Vec<PathBuf> {
    files_under(root, |p| {
        let text = p.to_string_lossy();
        let v2 = text.contains("2.2") || text.contains("2.3");
        let serialised = text.ends_with(".spdx") || text.ends_with(".spdx.json");
        let example = text.contains("2.3") && text.ends_with(".json") && !text.contains("schema");
        v2 && (serialised || example) && !text.contains("spdx3")
    })
}

#[test]
fn every_spdx2_example_imports_and_validates() {
    let Some(root) = corpus_path("spdx") else {
        return;
    };
    let files = spdx2_documents(&root);
    assert!(
        files.len() >= 25,
        "expected the SPDX 2.x examples, found {}",
        files.len()
    );

    let mut failures = Vec::new();
    let (mut json, mut tag_value) = (0, 0);
    for path in &files {
        let sbom = import(path);
        match sbom.format.encoding {
            Encoding::Json => json += 1,
            Encoding::TagValue => tag_value += 1,
            Encoding::Xml => failures.push(format!("{}: read as XML", path.display())),
        }
        for problem in keelson_sbom::validate(&read(path)) {
            failures.push(format!("{}: {problem}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("spdx 2.x: {json} JSON and {tag_value} tag-value examples imported and valid");
}

type Identity = (String, Option<String>, Option<String>, Vec<String>);

fn identities(sbom: &Sbom) -> BTreeSet<Identity> {
    sbom.components
        .iter()
        .map(|c| {
            let mut cpes = c.cpes.clone();
            cpes.sort();
            (c.name.clone(), c.version.clone(), c.purl.clone(), cpes)
        })
        .collect()
}

#[test]
fn json_and_tag_value_of_one_document_give_the_same_components() {
    let pairs = [
        (
            "v2.2/SPDXJSONExample-v2.2.spdx.json",
            "v2.2/SPDXTagExample-v2.2.spdx",
        ),
        (
            "v2.3/SPDXJSONExample-v2.3.spdx.json",
            "v2.3/SPDXTagExample-v2.3.spdx",
        ),
    ];
    for (json, tag_value) in pairs {
        let Some(json) = corpus_path(&format!("spdx/spec-examples/{json}")) else {
            return;
        };
        let Some(tag_value) = corpus_path(&format!("spdx/spec-examples/{tag_value}")) else {
            return;
        };
        let (from_json, from_tags) = (import(&json), import(&tag_value));

        assert!(!from_json.components.is_empty());
        assert_eq!(
            identities(&from_json),
            identities(&from_tags),
            "{}",
            json.display()
        );
        let refs = |s: &Sbom| {
            s.components
                .iter()
                .map(|c| c.bom_ref.clone())
                .collect::<Vec<_>>()
        };
        let (mut a, mut b) = (refs(&from_json), refs(&from_tags));
        a.sort();
        b.sort();
        assert_eq!(a, b);
        assert_eq!(from_json.serial, from_tags.serial);
        assert_eq!(from_json.format.spec_version, from_tags.format.spec_version);
    }
}

#[test]
fn spdx_relationships_and_external_refs_survive() {
    let Some(path) = corpus_path("spdx/spec-examples/v2.3/SPDXTagExample-v2.3.spdx") else {
        return;
    };
    let text = String::from_utf8(read(&path)).unwrap_or_default();
    let sbom = import(&path);

    // Oracle: count `Relationship:` lines and CPE external refs straight from the text.
    let relationship_lines = text
        .lines()
        .filter(|l| l.starts_with("Relationship:"))
        .count();
    let cpe_refs = text
        .lines()
        .filter(|l| l.starts_with("ExternalRef:") && l.contains("cpe2"))
        .count();
    let edges = sbom
        .dependencies
        .iter()
        .filter(|d| d.relationship != "DESCRIBES")
        .count();
    let describes = sbom.dependencies.len() - edges;
    assert_eq!(edges + describes, relationship_lines);
    assert_eq!(
        sbom.components.iter().map(|c| c.cpes.len()).sum::<usize>(),
        cpe_refs
    );
}
