//! Any bytes through detection, import and validation: none may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = keelson_sbom::detect(bytes);
    let _ = keelson_sbom::import(bytes);
    let _ = keelson_sbom::validate(bytes);
});
