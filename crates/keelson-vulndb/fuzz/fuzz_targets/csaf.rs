//! Fuzz the CSAF 2.0 reader through feed detection and import, then match every
//! product purl of the document: no input may panic.

#![no_main]

use keelson_vulndb::{Component, FeedKind, KnowledgeBase, match_components, parse_csaf};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = FeedKind::detect("fuzz.json", data);
    let parsed = parse_csaf(data);
    let components: Vec<Component> = parsed
        .records
        .iter()
        .flat_map(|a| &a.csaf)
        .flat_map(|s| &s.products)
        .filter_map(|p| p.product.purl.as_ref())
        .take(64)
        .enumerate()
        .map(|(i, purl)| Component {
            reference: format!("c{i}"),
            name: purl.name().to_owned(),
            version: None,
            purl: Some(purl.to_string()),
            cpe: None,
        })
        .collect();
    let mut kb = KnowledgeBase::new();
    let _ = kb.import(parsed);
    let _ = match_components(&kb, &components);
});
