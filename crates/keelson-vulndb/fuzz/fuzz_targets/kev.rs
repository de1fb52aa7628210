//! Fuzz the CISA KEV reader and its import: no input may panic.

#![no_main]

use keelson_vulndb::{KnowledgeBase, parse_kev};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut kb = KnowledgeBase::new();
    let _ = kb.import_kev(parse_kev(data));
});
