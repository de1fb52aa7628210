//! Component counts of real SBOMs checked against an oracle that walks the raw JSON
//! (or scans the raw text) independently of the crate's readers.

use std::path::Path;

use serde_json::Value;

use keelson_testkit::corpus_path;

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Oracle: (components, components with a purl) of a CycloneDX JSON value, counting
/// `metadata.component` and nested `components` at any depth.
fn cyclonedx_counts(root: &Value) -> (usize, usize) {
    let mut stack: Vec<&Value> = Vec::new();
    if let Some(subject) = root.pointer("/metadata/component") {
        stack.push(subject);
    }
    if let Some(list) = root.get("components").and_then(Value::as_array) {
        stack.extend(list);
    }
    let (mut total, mut with_purl) = (0, 0);
    while let Some(component) = stack.pop() {
        total += 1;
        if component.get("purl").and_then(Value::as_str).is_some() {
            with_purl += 1;
        }
        if let Some(children) = component.get("components").and_then(Value::as_array) {
            stack.extend(children);
        }
    }
    (total, with_purl)
}

#[test]
fn cyclonedx_json_counts_match_a_raw_walk() {
    let files = [
        "cyclonedx/bom-examples/SBOM/keycloak-10.0.2/bom.json",
        "cyclonedx/bom-examples/SBOM/dropwizard-1.3.15/bom.json",
        "cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.4.json",
        "cyclonedx/bom-examples/SBOM/proton-bridge/proton-bridge-v1.8.0.bom.json",
        "cyclonedx/bom-examples/HBOM/PCIe-SATA-adapter-board/bom.json",
        "cyclonedx/spec-tests/1.6/valid-bom-1.6.json",
    ];
    for relative in files {
        let Some(path) = corpus_path(relative) else {
            return;
        };
        let bytes = read(&path);
        let raw: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
        let sbom = keelson_sbom::import(&bytes).unwrap_or_else(|e| panic!("{relative}: {e}"));

        let (total, with_purl) = cyclonedx_counts(&raw);
        let purls = sbom.components.iter().filter(|c| c.purl.is_some()).count();
        assert_eq!(sbom.components.len(), total, "{relative}");
        assert_eq!(purls, with_purl, "{relative}");
        println!("{relative}: {total} components, {with_purl} with purl");
    }
}

/// Oracle: (nested components, `dependsOn` edges, components of type `device`).
fn graph_counts(raw: &Value) -> (usize, usize, usize) {
    let (mut nested, mut devices) = (0, 0);
    let mut stack: Vec<&Value> = raw["components"].as_array().into_iter().flatten().collect();
    stack.extend(raw.pointer("/metadata/component"));
    while let Some(component) = stack.pop() {
        if component["type"] == "device" {
            devices += 1;
        }
        let children = component["components"].as_array().into_iter().flatten();
        for child in children {
            nested += 1;
            stack.push(child);
        }
    }
    let edges = raw["dependencies"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| d["dependsOn"].as_array().map_or(0, Vec::len))
        .sum();
    (nested, edges, devices)
}

#[test]
fn nesting_dependencies_and_hardware_kinds_are_kept() {
    let files = [
        "cyclonedx/spec-tests/1.6/valid-compositions-1.6.json",
        "cyclonedx/spec-tests/1.5/valid-assembly-1.5.json",
        "cyclonedx/bom-examples/HBOM/PCIe-SATA-adapter-board/bom.json",
        "cyclonedx/bom-examples/SBOM/dropwizard-1.3.15/bom.json",
    ];
    for relative in files {
        let Some(path) = corpus_path(relative) else {
            return;
        };
        let bytes = read(&path);
        let raw: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
        let sbom = keelson_sbom::import(&bytes).unwrap_or_else(|e| panic!("{e}"));

        let (nested, edges, devices) = graph_counts(&raw);
        let with_parent = sbom
            .components
            .iter()
            .filter(|c| c.parent.is_some())
            .count();
        let device_kind = keelson_sbom::ComponentKind::Device;
        let kinds = sbom
            .components
            .iter()
            .filter(|c| c.kind == device_kind)
            .count();
        assert_eq!(with_parent, nested, "{relative}");
        assert_eq!(sbom.dependencies.len(), edges, "{relative}");
        assert_eq!(kinds, devices, "{relative}");

        // Every parent link names a component of the same document.
        for component in sbom.components.iter().filter_map(|c| c.parent.as_ref()) {
            assert!(
                sbom.components.iter().any(|c| &c.bom_ref == component),
                "{relative}"
            );
        }
        println!("{relative}: {nested} nested, {edges} edges, {devices} devices");
    }
}

#[test]
fn spdx_package_counts_match_the_raw_documents() {
    let pairs = [
        (
            "spdx/spec-examples/v2.3/SPDXJSONExample-v2.3.spdx.json",
            false,
        ),
        (
            "spdx/spdx-examples/software/example7/spdx2.2/example7-golang.spdx.json",
            false,
        ),
        (
            "spdx/spdx-examples/software/example14/spdx2.3/examplemaven-0.0.1-enriched.spdx.json",
            false,
        ),
        ("spdx/spec-examples/v2.2/SPDXTagExample-v2.2.spdx", true),
        (
            "spdx/spdx-examples/software/example6/spdx2.2/example6-bin.spdx",
            true,
        ),
    ];
    for (relative, tag_value) in pairs {
        let Some(path) = corpus_path(relative) else {
            return;
        };
        let bytes = read(&path);
        let expected = if tag_value {
            let text = String::from_utf8_lossy(&bytes);
            text.lines()
                .filter(|l| l.trim_start().starts_with("PackageName:"))
                .count()
        } else {
            let raw: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
            raw["packages"].as_array().map_or(0, Vec::len)
        };
        let sbom = keelson_sbom::import(&bytes).unwrap_or_else(|e| panic!("{relative}: {e}"));
        assert_eq!(sbom.components.len(), expected, "{relative}");
    }
}

#[test]
fn laravel_json_and_xml_twins_agree() {
    let base = "cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.4";
    let Some(json) = corpus_path(&format!("{base}.json")) else {
        return;
    };
    let Some(xml) = corpus_path(&format!("{base}.xml")) else {
        return;
    };
    let xml_bytes = read(&xml);
    let from_json = keelson_sbom::import(&read(&json)).unwrap_or_else(|e| panic!("{e}"));
    let from_xml = keelson_sbom::import(&xml_bytes).unwrap_or_else(|e| panic!("{e}"));

    let key = |s: &keelson_sbom::Sbom| {
        let mut keys: Vec<_> = s
            .components
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.version.clone(),
                    c.purl.clone(),
                    c.hashes.clone(),
                )
            })
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(key(&from_json), key(&from_xml));
    assert_eq!(from_json.dependencies.len(), from_xml.dependencies.len());

    // Oracle for the XML side: `<purl>` elements in the raw text.
    let purl_elements = String::from_utf8_lossy(&xml_bytes)
        .matches("<purl>")
        .count();
    let purls = from_xml
        .components
        .iter()
        .filter(|c| c.purl.is_some())
        .count();
    assert_eq!(purls, purl_elements);
    assert!(keelson_sbom::validate(&xml_bytes).is_empty());
}
