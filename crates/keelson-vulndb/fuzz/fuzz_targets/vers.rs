//! Fuzz the vers parser and containment: no input may panic.

#![no_main]

use keelson_vulndb::VersRange;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (range, version) = text.split_once('\n').unwrap_or((text, "1.0.0"));
    if let Ok(parsed) = VersRange::parse(range) {
        let _ = parsed.contains(version);
        let _ = VersRange::parse_canonical(&parsed.to_string());
    }
});
