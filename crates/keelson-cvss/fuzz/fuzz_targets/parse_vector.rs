//! Fuzz target: any UTF-8 text given to `assess` returns a result, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = keelson_cvss::assess(text);
});
