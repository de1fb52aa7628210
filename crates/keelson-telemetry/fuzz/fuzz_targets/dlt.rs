//! Fuzzes the dlt decoder: any bytes must decode to events or errors, never a panic.
#![no_main]

use keelson_telemetry::{Format, events};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for item in events(Format::Dlt, data) {
        if let Ok(event) = item {
            let _ = keelson_telemetry::content_digest(&event);
        }
    }
});
