//! Fuzz the FIRST EPSS CSV reader and its import: no input may panic.

#![no_main]

use keelson_vulndb::{KnowledgeBase, parse_epss_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut kb = KnowledgeBase::new();
    let _ = kb.import_epss(parse_epss_csv(text).scores);
});
