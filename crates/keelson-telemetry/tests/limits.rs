//! The normalized event's limits, each tried just inside and just outside: the decoder and
//! the published JSON Schema (checked by an independent validator) agree on every case the
//! schema can state, and the two limits it cannot state (attribute size, exact integers)
//! are refused by the decoder with a reason naming the field.

use keelson_telemetry::event::{MAX_ATTRIBUTES_BYTES, MAX_ID_CHARS};
use keelson_telemetry::{EVENT_SCHEMA, Format, events};
use serde_json::{Value, json};

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(EVENT_SCHEMA).expect("schema is JSON");
    jsonschema::draft202012::new(&schema).expect("schema compiles")
}

/// The decoder's answer for one NDJSON line: `Ok(())` or the reason.
fn decode(line: &str) -> Result<(), String> {
    let results: Vec<_> = events(Format::Ndjson, line.as_bytes()).collect();
    match results.as_slice() {
        [Ok(_)] => Ok(()),
        [Err(error)] => Err(error.to_string()),
        other => panic!("one line gave {} results", other.len()),
    }
}

fn log_event(field: &str, value: Value) -> Value {
    let mut event = json!({"source": "log", "kind": "dlt.log"});
    event[field] = value;
    event
}

fn can_frame(id: u64, extended: bool) -> Value {
    json!({"source": "can", "kind": "can.frame",
           "attributes": {"id": id, "extended": extended, "dlc": 0, "data": ""}})
}

/// Cases the schema states: (event, accepted?, a word the decoder's reason must carry).
fn stated_cases() -> Vec<(Value, bool, &'static str)> {
    let longest = "é".repeat(MAX_ID_CHARS);
    let too_long = "x".repeat(MAX_ID_CHARS + 1);
    let mut cases = Vec::new();
    for field in ["event_id", "vehicle_id", "ecu", "build_id"] {
        cases.push((log_event(field, json!(longest)), true, ""));
        cases.push((log_event(field, json!("")), false, field));
        cases.push((log_event(field, json!(too_long)), false, field));
        cases.push((log_event(field, json!("a\u{0}b")), false, field));
        cases.push((log_event(field, json!("line\nbreak")), false, field));
    }
    let longest_kind = ["k"; 64].join(".");
    assert_eq!(longest_kind.len(), 127);
    cases.push((
        json!({"source": "log", "kind": longest_kind + "k"}),
        true,
        "",
    ));
    cases.push((
        json!({"source": "log", "kind": "k".repeat(129)}),
        false,
        "kind",
    ));
    cases.push((can_frame(0x7FF, false), true, ""));
    cases.push((can_frame(0x800, false), false, "attributes.id"));
    cases.push((can_frame(0x800, true), true, ""));
    cases.push((can_frame(0x1FFF_FFFF, true), true, ""));
    cases.push((can_frame(0x2000_0000, true), false, "attributes.id"));
    cases
}

#[test]
fn the_schema_and_the_decoder_agree_at_every_stated_limit() {
    let validator = validator();
    for (event, accepted, word) in stated_cases() {
        let line = event.to_string();
        assert_eq!(
            validator.is_valid(&event),
            accepted,
            "schema on {line:.120}"
        );
        match decode(&line) {
            Ok(()) => assert!(accepted, "decoder accepted {line:.120}"),
            Err(reason) => {
                assert!(!accepted, "decoder refused {line:.120}: {reason}");
                assert!(reason.contains(word), "{reason} names no {word}");
            }
        }
    }
}

/// Attributes whose compact JSON takes exactly `bytes` bytes.
fn attributes_of_size(bytes: usize) -> Value {
    // {"p":"…"} is 8 bytes around the padding.
    json!({"p": "x".repeat(bytes - 8)})
}

#[test]
fn attributes_are_bounded_in_total_size() {
    let fits = attributes_of_size(MAX_ATTRIBUTES_BYTES);
    assert_eq!(fits.to_string().len(), MAX_ATTRIBUTES_BYTES);
    let event = json!({"source": "log", "kind": "k", "attributes": fits});
    assert_eq!(decode(&event.to_string()), Ok(()));

    let over = attributes_of_size(MAX_ATTRIBUTES_BYTES + 1);
    let event = json!({"source": "log", "kind": "k", "attributes": over});
    let reason = decode(&event.to_string()).expect_err("one byte too many");
    assert!(reason.contains("attributes"), "{reason}");
    assert!(
        reason.contains(&(MAX_ATTRIBUTES_BYTES + 1).to_string()),
        "{reason}"
    );
}

#[test]
fn integers_past_64_bits_are_refused_not_rounded() {
    let line = r#"{"source":"ids","kind":"ids.qsev","attributes":{"sensor_id":1,"event_id":2,"count":1,"nonce":123456789012345678901234567890}}"#;
    let reason = decode(line).expect_err("a 97-bit integer");
    assert!(reason.contains("attributes.nonce"), "{reason}");
    assert!(
        reason.contains("123456789012345678901234567890"),
        "{reason}"
    );
    assert!(reason.starts_with("line 1: "), "{reason}");

    let id = r#"{"source":"can","kind":"can.frame","attributes":{"id":36893488147419103232,"extended":true,"dlc":0,"data":""}}"#;
    let reason = decode(id).expect_err("2^65 as a CAN identifier");
    assert!(reason.contains("36893488147419103232"), "{reason}");

    let float = r#"{"source":"log","kind":"k","attributes":{"ratio":3.0e20}}"#;
    assert_eq!(
        decode(float),
        Ok(()),
        "a literal written as a float stays a float"
    );
}
