//! Fuzzes every labelled CSV layout; the first byte picks the layout.
#![no_main]

use keelson_telemetry::{CsvLayout, Format, frames};
use libfuzzer_sys::fuzz_target;

const LAYOUTS: [CsvLayout; 5] = [
    CsvLayout::Hcrl,
    CsvLayout::Daga,
    CsvLayout::Road,
    CsvLayout::J1939,
    CsvLayout::LabelPrefixed,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let layout = LAYOUTS[usize::from(selector) % LAYOUTS.len()];
    if let Some(decoder) = frames(Format::Csv(layout), rest) {
        for frame in decoder.flatten() {
            let _ = keelson_telemetry::Event::from_frame(&frame);
        }
    }
});
