//! One MQTT message into ingest rows: a single JSON event, or NDJSON with
//! one event per line; the vehicle from the topic when an event names
//! none; every line that does not decode quarantined with the topic, its
//! line and the reason, keyed by topic, payload digest and line so that a
//! redelivered message adds no second row.

use std::cell::OnceCell;

use keelson_store::telemetry::NewQuarantined;

use crate::ingest::{Batch, event_key, new_event, unit_record_key, unit_sha256};

/// What a topic filter says about the topics it matches: which `/`
/// segment holds the vehicle ID (the filter's first `+`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicLayout {
    vehicle_segment: Option<usize>,
}

impl TopicLayout {
    pub fn from_filter(filter: &str) -> Self {
        let vehicle_segment = filter.split('/').position(|segment| segment == "+");
        Self { vehicle_segment }
    }

    /// The vehicle a topic names, if the filter has a `+` and the segment
    /// is not empty.
    pub fn vehicle<'t>(&self, topic: &'t str) -> Option<&'t str> {
        let segment = topic.split('/').nth(self.vehicle_segment?)?;
        (!segment.is_empty()).then_some(segment)
    }
}

/// Adds the records of one message to `batch`; returns how many it added.
pub fn add_message(
    batch: &mut Batch,
    layout: &TopicLayout,
    topic: &str,
    payload: &[u8],
    received_us: i64,
) -> usize {
    let vehicle = layout.vehicle(topic);
    let before = batch.len();

    // A whole-payload parse first, so one pretty-printed JSON object is one
    // event; anything else is read as NDJSON, line by line.
    let message = Message {
        topic,
        payload,
        payload_sha256: OnceCell::new(),
        vehicle,
    };
    if let Ok(event) = keelson_telemetry::decode::ndjson::parse_line(payload) {
        if let Err(reason) = add_event(batch, event, vehicle, received_us) {
            batch.reject(before, message.quarantined(0, payload, reason));
        }
        return batch.len() - before;
    }

    for (index, line) in payload.split(|byte| *byte == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let added = keelson_telemetry::decode::ndjson::parse_line(line)
            .and_then(|event| add_event(batch, event, vehicle, received_us));
        if let Err(reason) = added {
            let index_in_batch = batch.len();
            batch.reject(index_in_batch, message.quarantined(index, line, reason));
        }
    }

    // An empty payload is a record too: it is kept, not silently skipped.
    if batch.len() == before {
        let reason = "empty message: no event in the payload".to_owned();
        batch.reject(before, message.quarantined(0, payload, reason));
    }
    batch.len() - before
}

/// The message a quarantined line came in; its digest is worked out only
/// once a line needs it.
struct Message<'m> {
    topic: &'m str,
    payload: &'m [u8],
    payload_sha256: OnceCell<String>,
    vehicle: Option<&'m str>,
}

impl Message<'_> {
    fn quarantined(&self, index: usize, raw: &[u8], reason: String) -> NewQuarantined {
        let digest = self
            .payload_sha256
            .get_or_init(|| unit_sha256(self.payload));
        NewQuarantined {
            dedup_key: unit_record_key("mqtt", self.topic, digest, index),
            source: "mqtt".to_owned(),
            origin: self.topic.to_owned(),
            position: format!("line {}", index + 1),
            reason,
            raw: raw.to_vec(),
            format: Some("ndjson".to_owned()),
            vehicle_id: self.vehicle.map(str::to_owned),
            record_key: None,
        }
    }
}

/// Adds an event, with the topic's vehicle when it names none; refuses it
/// when that vehicle is no valid identifier (an over-long or control-laden
/// topic segment).
fn add_event(
    batch: &mut Batch,
    mut event: keelson_telemetry::Event,
    vehicle: Option<&str>,
    received_us: i64,
) -> Result<(), String> {
    if event.vehicle_id.is_none() {
        keelson_telemetry::check_identifier("vehicle_id", vehicle)
            .map_err(|error| format!("the topic's vehicle segment: {error}"))?;
        event.vehicle_id = vehicle.map(str::to_owned);
    }
    let key = event_key(&event);
    let index = batch.len();
    batch.accept(index, new_event(&event, key, received_us));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use keelson_store::telemetry::NewEvent;

    /// The rows a batch holds (its fields are private to `ingest`).
    fn parts(batch: &Batch) -> (Vec<&NewEvent>, Vec<&NewQuarantined>) {
        let events = batch.events.iter().map(|(_, event)| event).collect();
        let rejected = batch.rejected.iter().map(|(_, record)| record).collect();
        (events, rejected)
    }

    #[test]
    fn the_vehicle_is_the_segment_under_the_first_plus() {
        let layout = TopicLayout::from_filter("fleet/+/events/#");
        assert_eq!(layout.vehicle("fleet/veh-9/events/ids"), Some("veh-9"));
        assert_eq!(layout.vehicle("fleet//events"), None);
        assert_eq!(
            TopicLayout::from_filter("fleet/events").vehicle("fleet/events"),
            None
        );
    }

    #[test]
    fn ndjson_lines_become_events_and_bad_lines_are_quarantined() {
        let layout = TopicLayout::from_filter("vehicles/+/events");
        let payload = concat!(
            r#"{"source":"log","kind":"dlt.log","event_id":"a"}"#,
            "\n{broken\n",
            r#"{"source":"log","kind":"dlt.log","event_id":"b","vehicle_id":"other"}"#,
            "\n"
        );
        let mut batch = Batch::default();

        let added = add_message(
            &mut batch,
            &layout,
            "vehicles/v1/events",
            payload.as_bytes(),
            1,
        );

        assert_eq!(added, 3);
        let (events, rejected) = parts(&batch);
        let vehicles: Vec<_> = events.iter().map(|e| e.vehicle_id.as_deref()).collect();
        assert_eq!(vehicles, [Some("v1"), Some("other")]);
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].position, "line 2");
        assert_eq!(rejected[0].origin, "vehicles/v1/events");
        assert_eq!(rejected[0].raw, b"{broken");
    }

    #[test]
    fn an_event_whose_topic_vehicle_is_no_identifier_is_quarantined() {
        let layout = TopicLayout::from_filter("vehicles/+/events");
        let long = "v".repeat(300);
        let topic = format!("vehicles/{long}/events");
        let payload = concat!(
            r#"{"source":"log","kind":"k","event_id":"a"}"#,
            "\n",
            r#"{"source":"log","kind":"k","event_id":"b","vehicle_id":"named"}"#,
            "\n"
        );
        let mut batch = Batch::default();

        add_message(&mut batch, &layout, &topic, payload.as_bytes(), 1);

        let (events, rejected) = parts(&batch);
        let vehicles: Vec<_> = events.iter().map(|e| e.vehicle_id.as_deref()).collect();
        assert_eq!(
            vehicles,
            [Some("named")],
            "an event naming its vehicle stays"
        );
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].position, "line 1");
        assert!(
            rejected[0].reason.contains("300 characters"),
            "{}",
            rejected[0].reason
        );
    }

    #[test]
    fn lines_breaking_an_event_limit_are_quarantined_with_their_line() {
        let layout = TopicLayout::from_filter("vehicles/+/events");
        let payload = concat!(
            r#"{"source":"log","kind":"k","event_id":""}"#,
            "\n",
            r#"{"source":"log","kind":"k","attributes":{"n":-99999999999999999999}}"#,
            "\n",
            r#"{"source":"log","kind":"k","event_id":"fine"}"#,
            "\n"
        );
        let mut batch = Batch::default();

        add_message(
            &mut batch,
            &layout,
            "vehicles/v4/events",
            payload.as_bytes(),
            1,
        );

        let (events, rejected) = parts(&batch);
        assert_eq!(events.len(), 1);
        let places: Vec<_> = rejected.iter().map(|r| r.position.as_str()).collect();
        assert_eq!(places, ["line 1", "line 2"]);
        assert!(
            rejected[0].reason.contains("event_id"),
            "{}",
            rejected[0].reason
        );
        assert!(
            rejected[1].reason.contains("attributes.n"),
            "{}",
            rejected[1].reason
        );
    }

    #[test]
    fn one_pretty_printed_object_is_one_event() {
        let layout = TopicLayout::from_filter("vehicles/+/events");
        let payload = "{\n  \"source\": \"log\",\n  \"kind\": \"dlt.log\"\n}\n";
        let mut batch = Batch::default();

        add_message(
            &mut batch,
            &layout,
            "vehicles/v2/events",
            payload.as_bytes(),
            1,
        );

        let (events, rejected) = parts(&batch);
        assert_eq!((events.len(), rejected.len()), (1, 0));
    }

    #[test]
    fn an_empty_message_is_quarantined() {
        let layout = TopicLayout::from_filter("vehicles/+/events");
        let mut batch = Batch::default();

        add_message(&mut batch, &layout, "vehicles/v3/events", b"  \n", 1);

        let (events, rejected) = parts(&batch);
        assert_eq!(events.len(), 0);
        assert!(
            rejected[0].reason.contains("empty"),
            "{}",
            rejected[0].reason
        );
    }
}
