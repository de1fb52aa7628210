//! Fuzzes format detection with arbitrary names and first bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data
        .first()
        .map_or(0, |&b| usize::from(b) % 16)
        .min(data.len());
    let (name, bytes) = data.split_at(split);
    let name = String::from_utf8_lossy(name);
    let _ = keelson_telemetry::detect_format(&name, bytes);
});
