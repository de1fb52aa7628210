//! Fuzz the CPE 2.3 parser and matcher: no input may panic, and the formatted string of a
//! parsed name must re-parse to the same name.

#![no_main]

use keelson_vulndb::Cpe;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = text.split_once('\n').unwrap_or((text, text));
    if let (Ok(a), Ok(b)) = (a.parse::<Cpe>(), b.parse::<Cpe>()) {
        let _ = a.matches(&b);
        let again: Cpe = a.to_string().parse().expect("formatted string re-parses");
        assert_eq!(again, a);
    }
});
