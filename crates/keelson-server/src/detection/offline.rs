//! Offline detection: the Sigma engine over one capture's decoded events,
//! without a store. `keelson detect` runs it over files, and the web UI's
//! rule test over an uploaded capture, so both see the same events with the
//! same IDs: an event without an `event_id` gets `NAME#N`, its record
//! number in the capture, so each alert's evidence points back into it.

use std::io::BufRead;

use keelson_detect::Engine;
use keelson_telemetry::{Error, ErrorKind, Format};

/// What one capture gave the engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaptureRun {
    /// Events decoded and processed.
    pub events: u64,
    /// Records that did not decode (skipped here; `keelson ingest`
    /// quarantines them).
    pub malformed: u64,
}

/// Feeds every event of a capture named `name` to the engine. A record that
/// does not decode is counted and skipped; a failure of the capture as a
/// whole (unreadable, wrong format) is returned.
pub fn run_capture<R: BufRead>(
    engine: &mut Engine,
    name: &str,
    format: Format,
    capture: R,
) -> Result<CaptureRun, Error> {
    let mut run = CaptureRun::default();
    for (index, item) in keelson_telemetry::events(format, capture).enumerate() {
        let mut event = match item {
            Ok(event) => event,
            Err(error) if error.kind() == ErrorKind::Record => {
                run.malformed += 1;
                continue;
            }
            Err(error) => return Err(error),
        };
        if event.event_id.is_none() {
            event.event_id = Some(format!("{name}#{}", index + 1));
        }
        let fields = serde_json::to_value(&event).unwrap_or_default();
        engine.process(&fields);
        run.events += 1;
    }
    Ok(run)
}
