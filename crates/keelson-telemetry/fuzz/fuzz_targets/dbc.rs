//! Fuzzes DBC parsing and signal extraction: the text builds a decoder, and a frame made of
//! the last bytes is decoded against every message ID the text defines.
#![no_main]

use keelson_telemetry::CanFrame;
use keelson_telemetry::dbc::{SignalDecoder, dbc_text, expand_imports};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.len().saturating_sub(8);
    let (text, payload) = data.split_at(split);
    let text = dbc_text(text);
    let Ok(text) = expand_imports("fuzz", &text, |_| Some(String::new())) else {
        return;
    };
    let Ok(decoder) = SignalDecoder::from_dbc_texts(&[("fuzz", &text)]) else {
        return;
    };
    let ids: Vec<_> = decoder.message_ids().collect();
    for (id, extended) in ids {
        let mut frame = CanFrame::default();
        frame.id = id;
        frame.extended = extended;
        frame.set_data(payload);
        let _ = decoder.decode(&frame);
    }
});
