//! Telemetry ingestion shared by every source (HTTP, files, MQTT): decoded events
//! become store rows under an idempotency key, records that fail to decode
//! are quarantined once each (under a key naming the unit they came in and
//! their place there) with origin, position, raw bytes and reason, and the
//! per-source counters move. Nothing accepted is dropped and nothing
//! rejected is lost.

pub mod file;
pub mod mqtt;
pub mod ota;
pub mod replay;
pub mod signals;
pub mod uploads;

use keelson_store::Store;
use keelson_store::telemetry::{NewEvent, NewQuarantined, Stored};
use keelson_telemetry::Event;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::detection::Detector;

/// What happened to one input record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase", tag = "status")]
pub enum LineOutcome {
    Accepted,
    Duplicate,
    Quarantined { reason: String },
}

/// Totals of one ingestion, the shape `keelson ingest` prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IngestTotals {
    pub accepted: u64,
    pub duplicates: u64,
    pub quarantined: u64,
}

impl IngestTotals {
    pub fn add(&mut self, other: IngestTotals) {
        self.accepted += other.accepted;
        self.duplicates += other.duplicates;
        self.quarantined += other.quarantined;
    }

    fn count(&mut self, outcome: Stored) {
        match outcome {
            Stored::Accepted => self.accepted += 1,
            Stored::Duplicate => self.duplicates += 1,
        }
    }
}

/// The key an event is stored once under: the producer's ID when it gave
/// one, else the digest of its content.
pub fn event_key(event: &Event) -> String {
    match &event.event_id {
        Some(id) => format!("id:{id}"),
        None => format!("digest:{}", keelson_telemetry::content_digest(event)),
    }
}

/// The key of the `ordinal`-th record of a file with this SHA-256: the
/// same file ingested twice yields the same keys, while two identical
/// frames at two places in one capture stay two events.
pub fn file_record_key(file_sha256: &str, ordinal: u64) -> String {
    let digest = Sha256::digest(format!("{file_sha256}:{ordinal}").as_bytes());
    format!("file:{}", hex::encode(digest))
}

/// The key of the `ordinal`-th record of a file: the producer's ID when the
/// event carries one, so that the same event sent over HTTP, MQTT or in
/// another file is stored once; else its place in the file.
pub fn file_event_key(event: &Event, file_sha256: &str, ordinal: u64) -> String {
    match event.event_id {
        Some(_) => event_key(event),
        None => file_record_key(file_sha256, ordinal),
    }
}

/// The key a quarantined line of a request body or an MQTT message is kept
/// once under: the channel, who or what it came from (the caller, the
/// topic), the SHA-256 of the whole body or payload and the line's index.
/// A retried request or a redelivered message meets its own rows again;
/// the same bytes on another line, or in another body, stay a record of
/// their own.
pub fn unit_record_key(channel: &str, from: &str, unit_sha256: &str, index: usize) -> String {
    let digest = Sha256::digest(format!("{channel}\n{from}\n{unit_sha256}\n{index}").as_bytes());
    format!("{channel}:{}", hex::encode(digest))
}

/// SHA-256 of a request body or message payload, as lowercase hex.
pub fn unit_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// An event as a store row.
pub fn new_event(event: &Event, dedup_key: String, received_us: i64) -> NewEvent {
    NewEvent {
        dedup_key,
        event_id: event.event_id.clone(),
        vehicle_id: event.vehicle_id.clone(),
        source: source_name(event),
        kind: event.kind.clone(),
        vehicle_time_us: event.vehicle_time.map(time_us),
        received_time_us: event.received_time.map_or(received_us, time_us),
        ecu: event.ecu.clone(),
        build_id: event.build_id.clone(),
        attributes: serde_json::Value::Object(event.attributes.clone()).to_string(),
    }
}

fn source_name(event: &Event) -> String {
    serde_json::to_value(event.source)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_else(|| "log".to_owned())
}

fn time_us(at: time::OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// A batch on its way to the store: events with the index of the input
/// record each came from, and the records to quarantine.
#[derive(Debug, Default)]
pub struct Batch {
    events: Vec<(usize, NewEvent)>,
    rejected: Vec<(usize, NewQuarantined)>,
}

impl Batch {
    pub fn accept(&mut self, index: usize, event: NewEvent) {
        self.events.push((index, event));
    }

    /// Quarantines a record; one already kept under its `dedup_key` is
    /// reported as quarantined again but not stored twice.
    pub fn reject(&mut self, index: usize, record: NewQuarantined) {
        self.rejected.push((index, record));
    }

    pub fn len(&self) -> usize {
        self.events.len() + self.rejected.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the batch, then runs detection over the events it stored
    /// as new; returns the outcome of each input record by index.
    pub async fn write(
        self,
        store: &Store,
        detector: &Detector,
        actor: &str,
    ) -> Result<(IngestTotals, Vec<(usize, LineOutcome)>), keelson_store::StoreError> {
        let mut totals = IngestTotals::default();
        let mut outcomes = Vec::with_capacity(self.len());
        let (indexes, rows): (Vec<usize>, Vec<NewEvent>) = self.events.into_iter().unzip();
        let installations = ota::installations_in(&rows);
        let stored = store.store_events(actor, &rows).await?;
        ota::apply(store, detector, actor, installations, &stored).await;
        detect_new(store, detector, &rows, &stored).await;
        for (index, outcome) in indexes.into_iter().zip(stored) {
            totals.count(outcome);
            let line = match outcome {
                Stored::Accepted => LineOutcome::Accepted,
                Stored::Duplicate => LineOutcome::Duplicate,
            };
            outcomes.push((index, line));
        }

        let (indexes, records): (Vec<usize>, Vec<NewQuarantined>) =
            self.rejected.into_iter().unzip();
        let reasons: Vec<String> = records.iter().map(|r| r.reason.clone()).collect();
        store.quarantine(actor, records).await?;
        totals.quarantined += indexes.len() as u64;
        for (index, reason) in indexes.into_iter().zip(reasons) {
            outcomes.push((index, LineOutcome::Quarantined { reason }));
        }
        Ok((totals, outcomes))
    }
}

/// Detection over the events stored as new. The events are durable by now,
/// so a failure to record alerts is logged for an operator rather than
/// turned into an error that would make the producer resend (its resend
/// would be a duplicate, and duplicates never reach detection).
async fn detect_new(store: &Store, detector: &Detector, rows: &[NewEvent], stored: &[Stored]) {
    let fresh: Vec<&NewEvent> = rows
        .iter()
        .zip(stored)
        .filter(|(_, outcome)| **outcome == Stored::Accepted)
        .map(|(row, _)| row)
        .collect();
    if let Err(error) = detector.observe(store, &fresh).await {
        tracing::error!(%error, events = fresh.len(), "alerts of a stored batch were not recorded");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_keys_differ_by_place_and_file() {
        assert_eq!(file_record_key("aa", 1), file_record_key("aa", 1));
        assert_ne!(file_record_key("aa", 1), file_record_key("aa", 2));
        assert_ne!(file_record_key("aa", 1), file_record_key("ab", 1));
    }

    #[test]
    fn unit_keys_differ_by_line_unit_sender_and_channel() {
        let key = unit_record_key("mqtt", "vehicles/v1/events", "aa", 0);
        assert_eq!(key, unit_record_key("mqtt", "vehicles/v1/events", "aa", 0));
        assert_ne!(key, unit_record_key("mqtt", "vehicles/v1/events", "aa", 1));
        assert_ne!(key, unit_record_key("mqtt", "vehicles/v1/events", "ab", 0));
        assert_ne!(key, unit_record_key("mqtt", "vehicles/v2/events", "aa", 0));
        assert_ne!(key, unit_record_key("http", "vehicles/v1/events", "aa", 0));
    }

    #[test]
    fn producer_ids_take_precedence_over_content() {
        let mut event = Event::new(keelson_telemetry::Source::Ids, "ids.qsev");
        let by_content = event_key(&event);
        assert!(by_content.starts_with("digest:"));
        event.event_id = Some("e-1".to_owned());
        assert_eq!(event_key(&event), "id:e-1");
    }
}
