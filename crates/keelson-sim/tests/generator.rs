//! The generator is deterministic for a seed, every event it makes passes
//! the event schema's checks as any producer's would, and its CAN frames
//! decode, with Keelson's DBC decoder and the demo DBC files, to the values
//! the simulated vehicle holds.

use keelson_sim::{DBC_FILES, Generator, MODELS, Settings};
use keelson_telemetry::decode::ndjson::parse_line;
use keelson_telemetry::{CanFrame, Event, SignalDecoder};
use time::{Duration, OffsetDateTime};

fn settings(seed: u64) -> Settings {
    Settings {
        seed,
        vehicles: 12,
        rate: 40.0,
        start: OffsetDateTime::from_unix_timestamp(1_780_000_000).expect("time"),
        attacks: true,
    }
}

/// `seconds` one-second steps of a generator.
fn run(settings: Settings, seconds: i64) -> Vec<Event> {
    let start = settings.start;
    let mut generator = Generator::new(settings);
    (1..=seconds)
        .flat_map(|second| generator.advance_to(start + Duration::seconds(second)))
        .collect()
}

fn lines(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|event| serde_json::to_string(event).expect("json"))
        .collect()
}

#[test]
fn same_seed_same_events_other_seed_other_events() {
    let first = lines(&run(settings(42), 90));
    let again = lines(&run(settings(42), 90));
    let other = lines(&run(settings(43), 90));

    assert!(first.len() > 3_000, "{} events", first.len());
    assert_eq!(first, again);
    assert_ne!(first, other);
}

#[test]
fn every_event_passes_the_schema_checks_of_ingest() {
    let events = run(settings(7), 400);
    let mut kinds = std::collections::BTreeSet::new();
    for (line, event) in lines(&events).iter().zip(&events) {
        let parsed = parse_line(line.as_bytes()).unwrap_or_else(|error| panic!("{line}: {error}"));
        assert_eq!(&parsed, event, "{line}");
        kinds.insert(parsed.kind);
    }
    for kind in [
        "can.frame",
        "telematics.unlock",
        "uds.negative_response",
        "ota.install_completed",
    ] {
        assert!(kinds.contains(kind), "no {kind} in {kinds:?}");
    }
}

#[test]
fn event_ids_are_unique_and_times_never_go_back() {
    let events = run(settings(9), 120);
    let mut ids = std::collections::HashSet::new();
    for event in &events {
        assert!(ids.insert(event.event_id.clone().expect("id")), "{event:?}");
    }
    let times: Vec<_> = events
        .iter()
        .map(|e| e.vehicle_time.expect("time"))
        .collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]));
}

#[test]
fn can_frames_decode_with_the_demo_dbc_files() {
    let events = run(settings(11), 60);
    let mut decoded_speeds = 0;
    for model in &MODELS {
        let dbc = DBC_FILES
            .iter()
            .find(|f| f.name == model.dbc_file)
            .expect("dbc");
        let decoder = SignalDecoder::from_dbc_texts(&[(dbc.name, dbc.text)]).expect("parses");
        assert_eq!(
            decoder.message_count(),
            model.messages.len(),
            "{}",
            model.id
        );
        for event in events
            .iter()
            .filter(|e| e.kind == "can.frame" && is_of(e, model.id))
        {
            let frame = frame_of(event);
            let Some(message) = model.message(frame.id) else {
                continue;
            };
            let signals = decoder.decode(&frame);
            let names: Vec<&str> = signals.iter().map(|s| s.name.as_str()).collect();
            let expected: Vec<&str> = message.signals.iter().map(|s| s.name).collect();
            assert_eq!(names.len(), expected.len(), "{names:?} vs {expected:?}");
            assert!(
                expected.iter().all(|name| names.contains(name)),
                "{names:?}"
            );
            if frame.id == model.speed_message {
                let speed = signals.iter().map(|s| s.value).next().expect("a speed");
                assert!((0.0..=130.5).contains(&speed), "{speed}");
                decoded_speeds += 1;
            }
        }
    }
    assert!(decoded_speeds > 10, "{decoded_speeds}");
}

/// Whether the event comes from an ECU of the model.
fn is_of(event: &Event, model: &str) -> bool {
    let ecus = MODELS.iter().filter(|m| m.id == model).flat_map(|m| m.ecus);
    ecus.into_iter()
        .any(|ecu| event.ecu.as_deref() == Some(ecu.id))
}

fn frame_of(event: &Event) -> CanFrame {
    let attributes = &event.attributes;
    let mut frame = CanFrame::default();
    frame.id = attributes["id"].as_u64().expect("id") as u32;
    frame.extended = attributes["extended"].as_bool().expect("extended");
    let data = hex::decode(attributes["data"].as_str().expect("data")).expect("hex");
    assert!(frame.set_data(&data));
    frame
}
