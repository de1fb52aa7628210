//! The normalized event every decoder produces, its JSON Schema and its content digest.
//!
//! Times are `time::OffsetDateTime` (serialised as RFC 3339) and are set only when the
//! source gave an absolute time; captures with relative clocks keep the offset in the
//! `offset_us` attribute instead, so a relative time is never mistaken for a date.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::error::Error;
use crate::frame::{CanFrame, FrameKind, Label, TimeBase};

/// The JSON Schema (draft 2020-12) of [`Event`]; its `$id` carries the schema version.
pub const EVENT_SCHEMA: &str = include_str!("event.schema.json");

/// The version named in [`EVENT_SCHEMA`]'s `$id`.
pub const EVENT_SCHEMA_VERSION: &str = "1.1.0";

/// Longest `event_id`, `vehicle_id`, `ecu` or `build_id`, in characters (as JSON Schema's
/// `maxLength` counts them).
pub const MAX_ID_CHARS: usize = 256;

/// Longest `kind`, in bytes (the grammar allows ASCII only).
pub const MAX_KIND_BYTES: usize = 128;

/// Most bytes the `attributes` object may take as compact JSON text.
pub const MAX_ATTRIBUTES_BYTES: usize = 32 * 1024;

/// Largest 11-bit (standard) CAN identifier.
pub const MAX_STANDARD_CAN_ID: u64 = 0x7FF;

/// Largest 29-bit (extended) CAN identifier.
pub const MAX_EXTENDED_CAN_ID: u64 = 0x1FFF_FFFF;

/// Kind of a CAN frame event.
pub const KIND_CAN_FRAME: &str = "can.frame";

/// Kind of an IdsM-style qualified security event.
pub const KIND_QSEV: &str = "ids.qsev";

/// Where an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A CAN bus capture.
    Can,
    /// An intrusion detection sensor or IdsM.
    Ids,
    /// Diagnostics (UDS).
    Uds,
    /// The telematics unit.
    Telematics,
    /// A backend service.
    Backend,
    /// Over-the-air update machinery.
    Ota,
    /// A log (for example AUTOSAR DLT).
    Log,
}

/// One normalized vehicle event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// The producer's ID, when it gave one; otherwise [`content_digest`] identifies the event.
    #[serde(default)]
    pub event_id: Option<String>,
    /// The vehicle (VIN or fleet ID), when known.
    #[serde(default)]
    pub vehicle_id: Option<String>,
    /// Where the event came from.
    pub source: Source,
    /// Dotted lowercase kind, such as `can.frame` or `ids.qsev`.
    pub kind: String,
    /// When it happened on the vehicle (absolute times only).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub vehicle_time: Option<OffsetDateTime>,
    /// When the backend received it.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub received_time: Option<OffsetDateTime>,
    /// The ECU that produced it.
    #[serde(default)]
    pub ecu: Option<String>,
    /// The software build running on that ECU.
    #[serde(default)]
    pub build_id: Option<String>,
    /// Kind-specific fields.
    #[serde(default)]
    pub attributes: Map<String, Value>,
}

impl Event {
    /// An event with only source and kind set.
    pub fn new(source: Source, kind: impl Into<String>) -> Event {
        Event {
            event_id: None,
            vehicle_id: None,
            source,
            kind: kind.into(),
            vehicle_time: None,
            received_time: None,
            ecu: None,
            build_id: None,
            attributes: Map::new(),
        }
    }

    /// The `can.frame` event of a decoded frame.
    pub fn from_frame(frame: &CanFrame) -> Event {
        let mut event = Event::new(Source::Can, KIND_CAN_FRAME);
        let attributes = &mut event.attributes;
        attributes.insert("id".into(), frame.id.into());
        attributes.insert("extended".into(), frame.extended.into());
        attributes.insert("fd".into(), frame.fd.into());
        attributes.insert("dlc".into(), frame.dlc.into());
        attributes.insert("data".into(), hex::encode(frame.data()).into());
        attributes.insert("frame_type".into(), frame_type(frame.kind).into());
        if !frame.channel.is_empty() {
            attributes.insert("channel".into(), frame.channel.as_str().into_owned().into());
        }
        insert_label(attributes, frame.label);
        match frame.time_base {
            TimeBase::Epoch => event.vehicle_time = epoch_us_to_time(frame.timestamp_us),
            TimeBase::Relative => {
                event
                    .attributes
                    .insert("offset_us".into(), frame.timestamp_us.into());
            }
        }
        event
    }

    /// Checks the rules that serde cannot: the identifiers' lengths and characters, the
    /// kind's grammar, the attributes' size and the per-kind attributes.
    pub fn validate(&self) -> Result<(), Error> {
        check_identifier("event_id", self.event_id.as_deref())?;
        check_identifier("vehicle_id", self.vehicle_id.as_deref())?;
        check_identifier("ecu", self.ecu.as_deref())?;
        check_identifier("build_id", self.build_id.as_deref())?;
        check_kind(&self.kind)?;
        check_attributes_size(&self.attributes)?;
        match self.kind.as_str() {
            KIND_QSEV => QualifiedSecurityEvent::from_attributes(&self.attributes).map(|_| ()),
            KIND_CAN_FRAME => check_can_attributes(&self.attributes),
            _ => Ok(()),
        }
    }
}

fn frame_type(kind: FrameKind) -> &'static str {
    match kind {
        FrameKind::Data => "data",
        FrameKind::Remote => "remote",
        FrameKind::Error => "error",
    }
}

fn insert_label(attributes: &mut Map<String, Value>, label: Option<Label>) {
    match label {
        None => {}
        Some(Label::Normal) => {
            attributes.insert("label".into(), "normal".into());
        }
        Some(Label::Attack(class)) => {
            attributes.insert("label".into(), "attack".into());
            attributes.insert("attack_class".into(), class.as_str().into());
        }
    }
}

/// Microseconds since the Unix epoch as a UTC time, `None` when out of range.
pub fn epoch_us_to_time(us: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000).ok()
}

fn event_error(field: &'static str, reason: impl Into<String>) -> Error {
    Error::Event {
        field,
        reason: reason.into(),
    }
}

/// An identifier, when given, is 1 to [`MAX_ID_CHARS`] characters without control
/// characters: an empty one would make every later empty one its duplicate, and a control
/// character (NUL above all) is no part of a name and cannot be stored by every database.
pub fn check_identifier(field: &'static str, value: Option<&str>) -> Result<(), Error> {
    let Some(value) = value else {
        return Ok(());
    };
    if value.is_empty() {
        return Err(event_error(
            field,
            "must not be empty; leave it out or send null",
        ));
    }
    let chars = value.chars().count();
    if chars > MAX_ID_CHARS {
        let reason = format!("is {chars} characters long; at most {MAX_ID_CHARS} are allowed");
        return Err(event_error(field, reason));
    }
    if value.chars().any(char::is_control) {
        return Err(event_error(field, "must not contain control characters"));
    }
    Ok(())
}

/// `^[a-z0-9_]+(\.[a-z0-9_]+)*$`, at most [`MAX_KIND_BYTES`] bytes, as the schema says.
fn check_kind(kind: &str) -> Result<(), Error> {
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    if kind.len() > MAX_KIND_BYTES {
        let reason = format!(
            "is {} bytes long; at most {MAX_KIND_BYTES} are allowed",
            kind.len()
        );
        return Err(event_error("kind", reason));
    }
    if !kind.split('.').all(segment_ok) {
        return Err(event_error("kind", "must be dotted lowercase words"));
    }
    Ok(())
}

/// The attributes as compact JSON fit in [`MAX_ATTRIBUTES_BYTES`].
fn check_attributes_size(attributes: &Map<String, Value>) -> Result<(), Error> {
    let mut size = ByteCount::default();
    // Writing into a counter cannot fail, and a map of JSON values always serialises.
    let _ = serde_json::to_writer(&mut size, attributes);
    if size.0 > MAX_ATTRIBUTES_BYTES {
        let reason = format!(
            "take {} bytes as compact JSON; at most {MAX_ATTRIBUTES_BYTES} are allowed",
            size.0
        );
        return Err(event_error("attributes", reason));
    }
    Ok(())
}

/// An `io::Write` that only counts what is written to it.
#[derive(Default)]
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.saturating_add(bytes.len());
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn check_can_attributes(attributes: &Map<String, Value>) -> Result<(), Error> {
    let Some(extended) = attributes.get("extended").and_then(Value::as_bool) else {
        return Err(event_error("attributes.extended", "must be a boolean"));
    };
    check_can_id(attributes.get("id"), extended)?;
    if attributes
        .get("dlc")
        .and_then(Value::as_u64)
        .is_none_or(|dlc| dlc > 15)
    {
        return Err(event_error("attributes.dlc", "must be 0 to 15"));
    }
    let data = attributes.get("data").and_then(Value::as_str);
    if data.is_none_or(|d| !is_lower_hex(d) || d.len() > 128) {
        return Err(event_error(
            "attributes.data",
            "must be lowercase hex of at most 64 bytes",
        ));
    }
    Ok(())
}

/// An identifier fits its frame format: 11 bits for a standard frame, 29 for an extended one.
fn check_can_id(id: Option<&Value>, extended: bool) -> Result<(), Error> {
    let (limit, format) = if extended {
        (MAX_EXTENDED_CAN_ID, "an extended (29-bit)")
    } else {
        (MAX_STANDARD_CAN_ID, "a standard (11-bit)")
    };
    match id.and_then(Value::as_u64) {
        Some(id) if id <= limit => Ok(()),
        Some(id) => Err(event_error(
            "attributes.id",
            format!("{id:#X} does not fit {format} frame, whose largest identifier is {limit:#X}"),
        )),
        None => Err(event_error(
            "attributes.id",
            "must be a CAN identifier (a non-negative integer)",
        )),
    }
}

fn is_lower_hex(text: &str) -> bool {
    text.len().is_multiple_of(2)
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// An IdsM-style qualified security event (QSEv): which sensor saw which security event
/// definition how many times, with optional context data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedSecurityEvent {
    /// The reporting sensor instance.
    pub sensor_id: u16,
    /// The security event definition ID.
    pub event_id: u16,
    /// How many occurrences this qualified event stands for (at least 1).
    pub count: u32,
    /// Context data attached by the sensor.
    pub context_data: Vec<u8>,
}

impl QualifiedSecurityEvent {
    /// The `ids.qsev` event carrying this QSEv.
    pub fn to_event(&self) -> Event {
        let mut event = Event::new(Source::Ids, KIND_QSEV);
        event
            .attributes
            .insert("sensor_id".into(), self.sensor_id.into());
        event
            .attributes
            .insert("event_id".into(), self.event_id.into());
        event.attributes.insert("count".into(), self.count.into());
        event.attributes.insert(
            "context_data".into(),
            hex::encode(&self.context_data).into(),
        );
        event
    }

    /// Reads a QSEv back from an event's attributes.
    pub fn from_attributes(attributes: &Map<String, Value>) -> Result<Self, Error> {
        let number = |name: &'static str, max: u64| {
            attributes
                .get(name)
                .and_then(Value::as_u64)
                .filter(|&value| value <= max)
                .ok_or_else(|| event_error(name, format!("must be an integer from 0 to {max}")))
        };
        let sensor_id = number("sensor_id", u64::from(u16::MAX))? as u16;
        let event_id = number("event_id", u64::from(u16::MAX))? as u16;
        let count = number("count", u64::from(u32::MAX))? as u32;
        if count == 0 {
            return Err(event_error("count", "must be at least 1"));
        }
        let context_data = match attributes.get("context_data") {
            None => Vec::new(),
            Some(Value::String(text)) if is_lower_hex(text) => {
                hex::decode(text).map_err(|e| event_error("context_data", e.to_string()))?
            }
            Some(_) => return Err(event_error("context_data", "must be lowercase hex")),
        };
        Ok(QualifiedSecurityEvent {
            sensor_id,
            event_id,
            count,
            context_data,
        })
    }
}

/// SHA-256 (lowercase hex) of the event's canonical JSON: keys sorted at every level, no
/// whitespace, times in UTC RFC 3339. `event_id` and `received_time` are left out, since a
/// replay of the same event differs only in those.
pub fn content_digest(event: &Event) -> String {
    let mut hasher = Sha256::new();
    let mut canonical = event.clone();
    canonical.event_id = None;
    canonical.received_time = None;
    canonical.vehicle_time = canonical
        .vehicle_time
        .map(|t| t.to_offset(time::UtcOffset::UTC));
    let value = serde_json::to_value(&canonical).unwrap_or(Value::Null);
    write_canonical(&value, &mut hasher);
    hex::encode(hasher.finalize())
}

/// Writes JSON with sorted keys whatever map ordering serde_json was built with.
fn write_canonical(value: &Value, hasher: &mut Sha256) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            hasher.update(b"{");
            for (index, key) in keys.into_iter().enumerate() {
                if index > 0 {
                    hasher.update(b",");
                }
                hasher.update(Value::String(key.clone()).to_string().as_bytes());
                hasher.update(b":");
                write_canonical(&map[key], hasher);
            }
            hasher.update(b"}");
        }
        Value::Array(items) => {
            hasher.update(b"[");
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    hasher.update(b",");
                }
                write_canonical(item, hasher);
            }
            hasher.update(b"]");
        }
        scalar => hasher.update(scalar.to_string().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qsev() -> QualifiedSecurityEvent {
        QualifiedSecurityEvent {
            sensor_id: 3,
            event_id: 0x8001,
            count: 2,
            context_data: vec![1, 2],
        }
    }

    #[test]
    fn qsev_round_trips_through_an_event() {
        let event = qsev().to_event();
        assert_eq!(event.source, Source::Ids);
        assert!(event.validate().is_ok());
        assert_eq!(
            QualifiedSecurityEvent::from_attributes(&event.attributes).ok(),
            Some(qsev())
        );
    }

    #[test]
    fn digest_ignores_event_id_and_received_time_but_not_content() {
        let event = qsev().to_event();
        let mut replay = event.clone();
        replay.event_id = Some("abc".into());
        replay.received_time = Some(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(content_digest(&event), content_digest(&replay));
        let mut changed = event.clone();
        changed.attributes.insert("count".into(), 3.into());
        assert_ne!(content_digest(&event), content_digest(&changed));
        assert_eq!(content_digest(&event).len(), 64);
    }

    #[test]
    fn invalid_kinds_and_attributes_are_rejected() {
        assert!(Event::new(Source::Log, "Dlt Log").validate().is_err());
        assert!(Event::new(Source::Log, "dlt..log").validate().is_err());
        let mut event = qsev().to_event();
        event.attributes.insert("count".into(), 0.into());
        assert!(event.validate().is_err());
        assert!(Event::new(Source::Can, KIND_CAN_FRAME).validate().is_err());
    }

    #[test]
    fn schema_id_names_the_version() {
        assert!(EVENT_SCHEMA.contains(&format!("/{EVENT_SCHEMA_VERSION}/")));
    }
}
