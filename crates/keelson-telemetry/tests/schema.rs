//! Sample events from every decoder conform to the published JSON Schema, and events the
//! schema rejects are rejected by `Event::validate` too.

use std::io::BufReader;

use keelson_telemetry::{EVENT_SCHEMA, Event, Format, QualifiedSecurityEvent, events};
use serde_json::{Value, json};

fn validator() -> jsonschema::Validator {
    let Ok(schema) = serde_json::from_str::<Value>(EVENT_SCHEMA) else {
        panic!("schema is not JSON")
    };
    match jsonschema::draft202012::new(&schema) {
        Ok(validator) => validator,
        Err(error) => panic!("schema does not compile: {error}"),
    }
}

fn corpus_events(path: &str, format: Format, take: usize) -> Vec<Event> {
    let Some(path) = keelson_testkit::corpus_path(path) else {
        return Vec::new();
    };
    let Ok(file) = std::fs::File::open(&path) else {
        panic!("{}", path.display())
    };
    events(format, BufReader::new(file))
        .filter_map(Result::ok)
        .take(take)
        .collect()
}

#[test]
fn schema_id_carries_the_version() {
    let Ok(schema) = serde_json::from_str::<Value>(EVENT_SCHEMA) else {
        panic!()
    };
    let id = schema["$id"].as_str().unwrap_or_default();
    assert!(id.contains(keelson_telemetry::EVENT_SCHEMA_VERSION), "{id}");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
}

#[test]
fn decoded_events_conform_to_the_schema() {
    let validator = validator();
    let mut samples = vec![
        QualifiedSecurityEvent {
            sensor_id: 7,
            event_id: 0x0101,
            count: 3,
            context_data: vec![0xde, 0xad],
        }
        .to_event(),
    ];
    let sources = [
        (
            "can/eldominio-canbuslogs/camaro/candump-2021-04-18_191854.log",
            Format::Candump,
        ),
        ("can/python-can/test/data/logfile.asc", Format::Asc),
        (
            "can/python-can/test/data/test_CanFdMessage64.asc",
            Format::Asc,
        ),
        (
            "can/python-can/test/data/test_CanMessage_V2_1.trc",
            Format::Trc,
        ),
        (
            "can/labelled/systemscyber-j1939/labeled_TSC1.lines8001-19000.csv",
            Format::Csv(keelson_telemetry::CsvLayout::J1939),
        ),
        ("can/dlt-daemon/tests/testfile.dlt", Format::Dlt),
    ];
    for (path, format) in sources {
        samples.extend(corpus_events(path, format, 200));
    }
    for event in &samples {
        let Ok(value) = serde_json::to_value(event) else {
            panic!("{event:?}")
        };
        let problems: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(problems.is_empty(), "{value}: {problems:?}");
        assert!(event.validate().is_ok(), "{value}");
        let Ok(back) = serde_json::from_value::<Event>(value) else {
            panic!("round trip")
        };
        assert_eq!(&back, event);
    }
    eprintln!("schema-checked events: {}", samples.len());
    assert!(samples.len() > 1);
}

#[test]
fn events_the_schema_rejects_are_rejected_by_the_decoder() {
    let validator = validator();
    let bad = [
        json!({"source": "radio", "kind": "x"}),
        json!({"source": "ids", "kind": "ids.qsev", "attributes": {"sensor_id": 1, "event_id": 2}}),
        json!({"source": "ids", "kind": "ids.qsev",
               "attributes": {"sensor_id": 1, "event_id": 2, "count": 0}}),
        json!({"source": "can", "kind": "can.frame",
               "attributes": {"id": 1, "extended": false, "dlc": 1, "data": "0G"}}),
        json!({"source": "can", "kind": "Not A Kind"}),
        json!({"source": "can", "kind": "x", "surprise": true}),
        json!({"kind": "x"}),
    ];
    for value in &bad {
        assert!(!validator.is_valid(value), "schema accepted {value}");
        let line = value.to_string();
        let decoded: Vec<_> = events(Format::Ndjson, line.as_bytes()).collect();
        assert!(
            matches!(decoded.as_slice(), [Err(_)]),
            "decoder accepted {value}"
        );
    }
    eprintln!("rejected samples: {}", bad.len());
}
