//! Fuzz the OSV reader, then match the record's own packages at its own event versions:
//! no input may panic, in the parser or in range evaluation.

#![no_main]

use keelson_vulndb::{Component, KnowledgeBase, match_components, parse_osv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(advisory) = parse_osv(data) else {
        return;
    };
    let mut components = Vec::new();
    for affected in &advisory.affected {
        let Some(purl) = &affected.purl else {
            continue;
        };
        let events = affected.entry.ranges.iter().flat_map(|r| &r.events);
        for version in events.map(|e| e.version().to_owned()).take(16) {
            components.push(Component {
                reference: format!("c{}", components.len()),
                name: purl.name().to_owned(),
                version: Some(version),
                purl: Some(purl.to_string()),
                cpe: None,
            });
        }
    }
    let mut kb = KnowledgeBase::new();
    kb.upsert(advisory);
    let _ = match_components(&kb, &components);
});
