//! Quarantine replay: each record not yet replayed is decoded again from its
//! raw bytes with the decoder it names (or the one given), through the same
//! decoders as ingest. A record that decodes now is stored under the key it
//! would have had and leaves the quarantine; one that still fails stays,
//! with the new reason.

use std::collections::HashMap;
use std::path::PathBuf;

use keelson_store::Store;
use keelson_store::replay::{PendingRecord, ReplayCounts, Replayed};
use keelson_store::telemetry::NewEvent;
use keelson_telemetry::dbc::SignalDecoder;
use keelson_telemetry::{Event, Format};

use super::file::FileError;
use super::signals::{annotate, decoder_for_vehicle};
use super::{event_key, new_event};

/// Records settled per transaction.
const PAGE: u64 = 500;

/// How to replay.
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    /// Decode every record with this format instead of the one it names.
    pub format: Option<Format>,
    /// Where vehicle models' DBC files are, for signals on CAN frames.
    pub dbc_dir: Option<PathBuf>,
}

/// Replays the whole quarantine, page by page.
pub async fn replay_quarantine(
    store: &Store,
    actor: &str,
    options: &ReplayOptions,
) -> Result<ReplayCounts, FileError> {
    let mut totals = ReplayCounts::default();
    let mut decoders = Decoders::default();
    let mut after: Option<String> = None;
    loop {
        let page = store.pending_quarantine(after.as_deref(), PAGE).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = Some(last.record.id.clone());
        let mut results = Vec::with_capacity(page.len());
        for pending in page {
            let signals = decoders.for_vehicle(store, options, &pending).await?;
            results.push(replay_one(&pending, options.format, signals));
        }
        totals.add(store.settle_replay(actor, results).await?);
    }
    Ok(totals)
}

/// Signal decoders per vehicle, loaded once per replay.
#[derive(Default)]
struct Decoders {
    by_vehicle: HashMap<String, Option<SignalDecoder>>,
}

impl Decoders {
    async fn for_vehicle(
        &mut self,
        store: &Store,
        options: &ReplayOptions,
        pending: &PendingRecord,
    ) -> Result<Option<&SignalDecoder>, FileError> {
        let Some(vehicle) = &pending.record.vehicle_id else {
            return Ok(None);
        };
        if !self.by_vehicle.contains_key(vehicle) {
            let dbc_dir = options.dbc_dir.as_deref();
            let decoder = decoder_for_vehicle(store, dbc_dir, vehicle).await?;
            self.by_vehicle.insert(vehicle.clone(), decoder);
        }
        Ok(self.by_vehicle.get(vehicle).and_then(Option::as_ref))
    }
}

/// Decodes one record's raw bytes again.
fn replay_one(
    pending: &PendingRecord,
    format: Option<Format>,
    signals: Option<&SignalDecoder>,
) -> Replayed {
    let id = pending.record.id.clone();
    let named = pending.record.format.as_deref().and_then(Format::from_name);
    let Some(format) = format.or(named) else {
        let reason = "no decoder is named for this record; replay it with a format".to_owned();
        return Replayed::StillFailing { id, reason };
    };
    match decode(format, &pending.raw) {
        Ok(mut events) => {
            for event in &mut events {
                if event.vehicle_id.is_none() {
                    event.vehicle_id.clone_from(&pending.record.vehicle_id);
                }
                if let Some(decoder) = signals {
                    annotate(decoder, event);
                }
            }
            let events = keyed(events, pending.record_key.as_deref());
            Replayed::Decoded { id, events }
        }
        Err(reason) => Replayed::StillFailing { id, reason },
    }
}

/// Every event of the raw bytes, or the first reason they still fail.
fn decode(format: Format, raw: &[u8]) -> Result<Vec<Event>, String> {
    let mut events = Vec::new();
    for item in keelson_telemetry::events(format, raw) {
        events.push(item.map_err(|error| format!("{} (replayed as {})", error, format.name()))?);
    }
    if events.is_empty() {
        return Err(format!("no record in the raw bytes as {}", format.name()));
    }
    Ok(events)
}

/// Store rows under the keys ingest would have used: the file record's key
/// when it has one (a record that now splits into several gets a numbered
/// key each), else the producer's ID or the content digest.
fn keyed(events: Vec<Event>, record_key: Option<&str>) -> Vec<NewEvent> {
    let received_us = keelson_store::now_us();
    let several = events.len() > 1;
    events
        .iter()
        .enumerate()
        .map(|(place, event)| {
            let key = match record_key {
                // A producer's ID wins, as it does for every other record.
                _ if event.event_id.is_some() => event_key(event),
                Some(key) if several => format!("{key}:{place}"),
                Some(key) => key.to_owned(),
                None => event_key(event),
            };
            new_event(event, key, received_us)
        })
        .collect()
}
