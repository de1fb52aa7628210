//! DLT events carry the storage header's ECU ID and time, checked against a plain byte-level
//! reading of every storage header in the corpus files (independent of dlt-core).

use keelson_telemetry::{Format, Source, events};

/// (ECU ID, microseconds since the epoch) of every `DLT\x01` storage header, in file order.
fn storage_headers(bytes: &[u8]) -> Vec<(String, i64)> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = bytes[at..].windows(4).position(|w| w == b"DLT\x01") {
        let start = at + offset;
        let Some(header) = bytes.get(start..start + 16) else {
            break;
        };
        let word =
            |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
        let ecu: String = header[12..16]
            .iter()
            .take_while(|&&b| b != 0)
            .map(|&b| char::from(b))
            .collect();
        found.push((ecu, i64::from(word(4)) * 1_000_000 + i64::from(word(8))));
        at = start + 4;
    }
    found
}

#[test]
fn dlt_events_carry_storage_header_ecu_and_time() {
    let Some(root) = keelson_testkit::corpus_path("can/dlt-daemon/tests") else {
        return;
    };
    let mut total = 0;
    for name in ["testfile.dlt", "testfile_extended.dlt"] {
        let Ok(bytes) = std::fs::read(root.join(name)) else {
            panic!("{name}")
        };
        let expected = storage_headers(&bytes);
        let decoded: Vec<_> = events(Format::Dlt, bytes.as_slice())
            .filter_map(Result::ok)
            .collect();
        assert_eq!(decoded.len(), expected.len(), "{name}");
        for (event, (ecu, us)) in decoded.iter().zip(&expected) {
            assert_eq!(event.source, Source::Log);
            assert!(event.kind.starts_with("dlt."), "{}", event.kind);
            assert_eq!(event.ecu.as_deref(), Some(ecu.as_str()), "{name}");
            let time = event
                .vehicle_time
                .map(|t| (t.unix_timestamp_nanos() / 1000) as i64);
            assert_eq!(time, Some(*us), "{name}");
        }
        let verbose = decoded
            .iter()
            .filter(|e| e.attributes.contains_key("payload"))
            .count();
        eprintln!(
            "{name}: {} messages, {verbose} verbose payloads",
            decoded.len()
        );
        total += decoded.len();
    }
    assert_eq!(total, 216);
}
