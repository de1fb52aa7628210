//! The hand-over to the vulnerability matcher keeps every component's identifiers.

use std::collections::BTreeSet;

use serde_json::Value;

use keelson_testkit::corpus_path;

#[test]
fn match_inputs_carry_every_purl_and_cpe_of_the_document() {
    let relative = "cyclonedx/spec-tests/1.6/valid-bom-1.6.json";
    let Some(path) = corpus_path(relative) else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
    let raw: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let sbom = keelson_sbom::import(&bytes).unwrap_or_else(|e| panic!("{e}"));

    let inputs = keelson_sbom::to_match_inputs(&sbom);
    assert_eq!(inputs.len(), sbom.components.len());

    // Oracle: purls and CPEs of the top-level components straight from the JSON.
    let listed = raw["components"].as_array().into_iter().flatten();
    let field = |name: &str| -> BTreeSet<String> {
        listed
            .clone()
            .filter_map(|c| c[name].as_str().map(str::to_string))
            .collect()
    };
    let purls: BTreeSet<String> = inputs.iter().filter_map(|i| i.purl.clone()).collect();
    let cpes: BTreeSet<String> = inputs.iter().filter_map(|i| i.cpe.clone()).collect();
    assert!(field("purl").is_subset(&purls));
    assert!(field("cpe").is_subset(&cpes));
    assert!(!purls.is_empty());
}

#[test]
fn spdx_cpe_external_refs_reach_the_matcher() {
    let relative = "spdx/spec-examples/v2.3/SPDXJSONExample-v2.3.spdx.json";
    let Some(path) = corpus_path(relative) else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
    let raw: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let sbom = keelson_sbom::import(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let inputs = keelson_sbom::to_match_inputs(&sbom);

    // Oracle: the first cpe23Type/cpe22Type locator of each package in the raw JSON.
    for package in raw["packages"].as_array().into_iter().flatten() {
        let id = package["SPDXID"].as_str().unwrap_or_default();
        let first_cpe = package["externalRefs"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| {
                r["referenceType"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("cpe"))
            })
            .and_then(|r| r["referenceLocator"].as_str());
        let input = inputs.iter().find(|i| i.reference == id);
        assert_eq!(input.and_then(|i| i.cpe.as_deref()), first_cpe, "{id}");
    }
}
