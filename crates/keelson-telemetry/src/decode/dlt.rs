//! AUTOSAR DLT files (storage header + message, as `dlt-daemon` writes them), parsed with
//! `dlt-core`; each message becomes a `log` event. Framing is done here so that every
//! error carries its byte offset and a damaged region is skipped to the next header.

use std::collections::VecDeque;
use std::io::BufRead;

use dlt_core::dlt::{Argument, Message, MessageType, PayloadContent, Value};
use dlt_core::parse::{ParsedMessage, dlt_message};

use crate::error::{Error, Position};
use crate::event::{Event, Source, epoch_us_to_time};

/// Storage header magic of DLT version 1 files.
const MAGIC_V1: &[u8; 4] = b"DLT\x01";

/// Storage header length: magic, seconds, microseconds, ECU ID.
const STORAGE_LEN: usize = 16;

/// Standard header bytes needed to read the message length.
const STANDARD_MIN: usize = 4;

/// Streams `log` events from a DLT file.
pub struct DltDecoder<R> {
    reader: R,
    /// Bytes read from `reader` but given back after a damaged header.
    carry: VecDeque<u8>,
    /// Offset of the next byte to be taken (from `carry`, then `reader`).
    offset: u64,
    buf: Vec<u8>,
    /// Whether a resync already took the next message's magic.
    magic_taken: bool,
    finished: bool,
}

impl<R: BufRead> DltDecoder<R> {
    /// Decodes `reader` message by message.
    pub fn new(reader: R) -> Self {
        DltDecoder {
            reader,
            carry: VecDeque::new(),
            offset: 0,
            buf: Vec::with_capacity(STORAGE_LEN + 65_536),
            magic_taken: false,
            finished: false,
        }
    }

    fn next_byte(&mut self) -> std::io::Result<Option<u8>> {
        if let Some(byte) = self.carry.pop_front() {
            self.offset += 1;
            return Ok(Some(byte));
        }
        loop {
            let available = match self.reader.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let Some(&byte) = available.first() else {
                return Ok(None);
            };
            self.reader.consume(1);
            self.offset += 1;
            return Ok(Some(byte));
        }
    }

    /// Appends up to `len` bytes to `buf`; false when the input ended first.
    fn read_more(&mut self, len: usize) -> std::io::Result<bool> {
        let start = self.buf.len();
        while self.buf.len() < start + len && !self.carry.is_empty() {
            if let Some(byte) = self.next_byte()? {
                self.buf.push(byte);
            }
        }
        let mut filled = self.buf.len();
        self.buf.resize(start + len, 0);
        while filled < self.buf.len() {
            match self.reader.read(&mut self.buf[filled..]) {
                Ok(0) => break,
                Ok(n) => {
                    filled += n;
                    self.offset += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(filled);
                    return Err(e);
                }
            }
        }
        let complete = filled == self.buf.len();
        self.buf.truncate(filled);
        Ok(complete)
    }

    /// Takes bytes until a version 1 magic has been taken; false at the end of input.
    fn resync(&mut self) -> std::io::Result<bool> {
        let mut matched = 0;
        while let Some(byte) = self.next_byte()? {
            // The magic has no repeated prefix, so a mismatch restarts at 0 or 1.
            matched = match MAGIC_V1.get(matched) {
                Some(&want) if want == byte => matched + 1,
                _ => usize::from(byte == MAGIC_V1[0]),
            };
            if matched == MAGIC_V1.len() {
                self.magic_taken = true;
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn next_message(&mut self) -> Result<Option<Event>, Error> {
        self.buf.clear();
        if self.magic_taken {
            self.buf.extend_from_slice(MAGIC_V1);
            self.magic_taken = false;
        }
        let start = self.offset - self.buf.len() as u64;
        let position = Position::Offset(start);
        let io = |source| Error::Io { position, source };
        if !self
            .read_more(STORAGE_LEN + STANDARD_MIN - self.buf.len())
            .map_err(io)?
        {
            self.finished = true;
            return match self.buf.len() {
                0 => Ok(None),
                _ => Err(Error::record(
                    position,
                    "truncated storage or standard header",
                )),
            };
        }
        if &self.buf[..4] != MAGIC_V1 {
            // FIXME: DLT version 2 files (`DLT\x02`, variable-length storage header) are not
            // decoded, because dlt-core reads version 1 only; such a file yields one error.
            let reason = if self.buf.starts_with(b"DLT\x02") {
                "DLT version 2 storage header is not supported"
            } else {
                "missing DLT storage header magic"
            };
            return Err(self.skip_damaged(position, reason));
        }
        let length = usize::from(u16::from_be_bytes([self.buf[18], self.buf[19]]));
        if length < STANDARD_MIN {
            return Err(self.skip_damaged(position, "message length shorter than its header"));
        }
        if !self.read_more(length - STANDARD_MIN).map_err(io)? {
            self.finished = true;
            return Err(Error::record(position, "truncated message"));
        }
        match dlt_message(&self.buf, None, true) {
            Ok((_, ParsedMessage::Item(message))) => Ok(Some(message_event(&message))),
            Ok((_, _)) => Err(Error::record(position, "message could not be parsed")),
            Err(error) => Err(Error::record(position, format!("invalid message: {error}"))),
        }
    }

    /// Gives back all but the first byte of a bad header, skips to the next magic and
    /// returns the error to report for the damaged region.
    fn skip_damaged(&mut self, position: Position, reason: &str) -> Error {
        for &byte in self.buf[1..].iter().rev() {
            self.carry.push_front(byte);
        }
        self.offset -= (self.buf.len() - 1) as u64;
        match self.resync() {
            Ok(true) => {}
            Ok(false) => self.finished = true,
            Err(source) => {
                self.finished = true;
                return Error::Io { position, source };
            }
        }
        Error::record(position, reason)
    }
}

impl<R: BufRead> Iterator for DltDecoder<R> {
    type Item = Result<Event, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.next_message() {
            Ok(Some(event)) => Some(Ok(event)),
            Ok(None) => None,
            Err(error) => {
                if error.kind() == crate::error::ErrorKind::Io {
                    self.finished = true;
                }
                Some(Err(error))
            }
        }
    }
}

/// The `log` event of one DLT message.
fn message_event(message: &Message) -> Event {
    let extended = message.extended_header.as_ref();
    let kind = match extended.map(|h| &h.message_type) {
        Some(MessageType::Log(_)) => "dlt.log",
        Some(MessageType::ApplicationTrace(_)) => "dlt.app_trace",
        Some(MessageType::NetworkTrace(_)) => "dlt.network_trace",
        Some(MessageType::Control(_)) => "dlt.control",
        Some(MessageType::Unknown(_)) | None => "dlt.message",
    };
    let mut event = Event::new(Source::Log, kind);
    let storage = message.storage_header.as_ref();
    event.ecu = storage
        .map(|s| s.ecu_id.clone())
        .or_else(|| message.header.ecu_id.clone());
    event.vehicle_time = storage.and_then(|s| {
        let us = i64::from(s.timestamp.seconds) * 1_000_000 + i64::from(s.timestamp.microseconds);
        epoch_us_to_time(us)
    });
    let attributes = &mut event.attributes;
    attributes.insert(
        "message_counter".into(),
        message.header.message_counter.into(),
    );
    if let Some(ticks) = message.header.timestamp {
        // The standard header counts 0.1 ms ticks since ECU start-up.
        attributes.insert("uptime_us".into(), (u64::from(ticks) * 100).into());
    }
    if let Some(header) = extended {
        attributes.insert("app_id".into(), header.application_id.clone().into());
        attributes.insert("context_id".into(), header.context_id.clone().into());
        attributes.insert("verbose".into(), header.verbose.into());
        if let MessageType::Log(level) = &header.message_type {
            attributes.insert(
                "log_level".into(),
                format!("{level:?}").to_lowercase().into(),
            );
        }
    }
    insert_payload(&message.payload, attributes);
    event
}

fn insert_payload(
    payload: &PayloadContent,
    attributes: &mut serde_json::Map<String, serde_json::Value>,
) {
    match payload {
        PayloadContent::Verbose(arguments) => {
            let text: Vec<String> = arguments.iter().map(argument_text).collect();
            attributes.insert("payload".into(), text.join(" ").into());
        }
        PayloadContent::NonVerbose(id, bytes) => {
            attributes.insert("message_id".into(), (*id).into());
            attributes.insert("payload_hex".into(), hex::encode(bytes).into());
        }
        PayloadContent::ControlMsg(control, bytes) => {
            attributes.insert("control".into(), format!("{control:?}").into());
            attributes.insert("payload_hex".into(), hex::encode(bytes).into());
        }
        PayloadContent::NetworkTrace(slices) => {
            let hex: Vec<String> = slices.iter().map(hex::encode).collect();
            attributes.insert("payload_hex".into(), hex.join(" ").into());
        }
    }
}

fn argument_text(argument: &Argument) -> String {
    match &argument.value {
        Value::Bool(v) => (*v != 0).to_string(),
        Value::U8(v) => v.to_string(),
        Value::U16(v) => v.to_string(),
        Value::U32(v) => v.to_string(),
        Value::U64(v) => v.to_string(),
        Value::U128(v) => v.to_string(),
        Value::I8(v) => v.to_string(),
        Value::I16(v) => v.to_string(),
        Value::I32(v) => v.to_string(),
        Value::I64(v) => v.to_string(),
        Value::I128(v) => v.to_string(),
        Value::F32(v) => v.to_string(),
        Value::F64(v) => v.to_string(),
        Value::StringVal(v) => v.clone(),
        Value::Raw(bytes) => hex::encode(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_before_a_message_is_one_error_and_the_stream_ends_cleanly() {
        let input = b"garbage bytes here, no magic at all";
        let results: Vec<_> = DltDecoder::new(&input[..]).collect();
        assert_eq!(results.len(), 1);
        assert!(matches!(&results[0], Err(e) if e.position() == Some(Position::Offset(0))));
    }

    #[test]
    fn a_truncated_header_is_reported_at_its_offset() {
        let results: Vec<_> = DltDecoder::new(&b"DLT\x01\x00\x00"[..]).collect();
        assert_eq!(results.len(), 1);
        assert!(matches!(&results[0], Err(e) if e.position() == Some(Position::Offset(0))));
    }
}
