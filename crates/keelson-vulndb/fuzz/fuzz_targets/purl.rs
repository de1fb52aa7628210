//! Fuzz the purl parser: no input may panic, and a parsed purl must re-parse to itself.

#![no_main]

use keelson_vulndb::Purl;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(purl) = text.parse::<Purl>() {
        let again: Purl = purl.to_string().parse().expect("canonical form re-parses");
        assert_eq!(again, purl, "canonical form is stable");
    }
});
