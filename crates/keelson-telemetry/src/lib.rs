//! Keelson's vehicle-data library: streaming decoders for CAN captures (candump, Vector
//! ASC, PEAK TRC, labelled CSV datasets), NDJSON security events and AUTOSAR DLT logs, the
//! normalized [`Event`] they all map to, and DBC signal decoding.
//!
//! Decoders read from a caller-supplied `BufRead`, hold one record at a time and yield an
//! error item (with line number or byte offset) for each malformed record, then go on.
//! Nothing here performs I/O of its own, logs, or panics on input.

pub mod dbc;
pub mod decode;
pub mod error;
pub mod event;
pub mod frame;

pub use dbc::{Signal, SignalDecoder};

pub use decode::{CsvLayout, EventDecoder, Format, FrameDecoder, detect_format, events, frames};
pub use error::{Error, ErrorKind, Position};
pub use event::{
    EVENT_SCHEMA, EVENT_SCHEMA_VERSION, Event, QualifiedSecurityEvent, Source, check_identifier,
    content_digest,
};
pub use frame::{AttackClass, CanFrame, Channel, FrameKind, Label, TimeBase};
