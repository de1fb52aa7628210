//! Linux can-utils `candump` logs: the `-L` form `(ts) can0 123#DATA` (with `##` CAN FD and
//! `R` remote frames) and the default form `(ts) can0 123 [8] 11 22 ...`.

use std::io::BufRead;

use crate::decode::text::{self, Line, LineReader};
use crate::error::{Error, Position};
use crate::frame::{CanFrame, Channel, FrameKind, TimeBase, fd_dlc_to_len, len_to_fd_dlc};

/// The error flag that candump sets in the identifier of an error frame.
const CAN_ERR_FLAG: u32 = 0x2000_0000;

/// Timestamps below this many seconds are taken as relative to capture start, since no
/// real capture predates 1973 and relative logs start near zero.
const EPOCH_THRESHOLD_US: i64 = 100_000_000 * 1_000_000;

/// Streams frames from a candump log.
pub struct CandumpDecoder<R> {
    lines: LineReader<R>,
    skipped: u64,
}

impl<R: BufRead> CandumpDecoder<R> {
    /// Decodes `reader` line by line.
    pub fn new(reader: R) -> Self {
        CandumpDecoder {
            lines: LineReader::new(reader),
            skipped: 0,
        }
    }

    /// Blank and `#` comment lines seen so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

impl<R: BufRead> Iterator for CandumpDecoder<R> {
    type Item = Result<CanFrame, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (number, line) = match self.lines.next_line()? {
                Err(error) => return Some(Err(error)),
                Ok(Line::TooLong(number, _)) => {
                    return Some(Err(Error::record(Position::Line(number), "line too long")));
                }
                Ok(Line::Text(number, line)) => (number, line),
            };
            let line = text::trim(line);
            if line.is_empty() || line.starts_with(b"#") {
                self.skipped += 1;
                continue;
            }
            let position = Position::Line(number);
            return Some(parse_line(line).map_err(|reason| Error::record(position, reason)));
        }
    }
}

/// Parses one non-empty candump line.
pub fn parse_line(line: &[u8]) -> Result<CanFrame, &'static str> {
    let mut frame = CanFrame::default();
    let mut rest = text::trim(line);
    if let Some(after) = rest.strip_prefix(b"(") {
        let close = after
            .iter()
            .position(|&b| b == b')')
            .ok_or("unclosed timestamp")?;
        let us = text::seconds_to_us(&after[..close]).ok_or("bad timestamp")?;
        frame.timestamp_us = us;
        frame.time_base = if us >= EPOCH_THRESHOLD_US {
            TimeBase::Epoch
        } else {
            TimeBase::Relative
        };
        rest = &after[close + 1..];
    }
    let mut fields = text::tokens(rest);
    frame.channel = Channel::new(fields.next().ok_or("missing interface")?);
    let body = fields.next().ok_or("missing frame")?;
    if body.contains(&b'#') {
        parse_compact(body, &mut frame)?;
        return match fields.next() {
            None => Ok(frame),
            Some(_) => Err("unexpected text after frame"),
        };
    }
    parse_spaced(body, fields, &mut frame)?;
    Ok(frame)
}

/// Parses `ID#DATA`, `ID##F DATA` or `ID#R[len]` into `frame`.
pub fn parse_compact(body: &[u8], frame: &mut CanFrame) -> Result<(), &'static str> {
    let hash = body.iter().position(|&b| b == b'#').ok_or("missing '#'")?;
    set_id(&body[..hash], frame)?;
    let payload = &body[hash + 1..];
    match payload.split_first() {
        Some((b'#', fd)) => parse_fd_payload(fd, frame),
        Some((b'R' | b'r', len)) => parse_remote(len, frame),
        _ => {
            parse_hex_payload(payload, frame)?;
            frame.dlc = frame.data().len() as u8;
            if frame.dlc > 8 {
                return Err("classic frame with more than 8 bytes");
            }
            Ok(())
        }
    }
}

/// Three hex digits name an 11-bit ID and eight a 29-bit one, as can-utils writes them.
fn set_id(text: &[u8], frame: &mut CanFrame) -> Result<(), &'static str> {
    let raw = text::hex_u32(text).ok_or("bad identifier")?;
    if text.len() > 3 {
        frame.extended = true;
        if raw & CAN_ERR_FLAG != 0 {
            frame.kind = FrameKind::Error;
        }
        frame.id = raw & 0x1FFF_FFFF;
    } else {
        if raw > 0x7FF {
            return Err("standard identifier above 0x7FF");
        }
        frame.id = raw;
    }
    Ok(())
}

fn parse_fd_payload(fd: &[u8], frame: &mut CanFrame) -> Result<(), &'static str> {
    let (&flags, payload) = fd.split_first().ok_or("missing CAN FD flags")?;
    text::hex_digit(flags).ok_or("bad CAN FD flags")?;
    frame.fd = true;
    parse_hex_payload(payload, frame)?;
    let len = frame.data().len();
    if fd_dlc_to_len(len_to_fd_dlc(len).ok_or("payload too long")?) != Some(len) {
        return Err("CAN FD payload length is not a valid FD length");
    }
    frame.dlc = len_to_fd_dlc(len).ok_or("payload too long")?;
    Ok(())
}

fn parse_remote(len: &[u8], frame: &mut CanFrame) -> Result<(), &'static str> {
    frame.kind = FrameKind::Remote;
    frame.dlc = match len {
        [] => 0,
        [digit, ..] => text::hex_digit(*digit)
            .filter(|&d| d <= 8)
            .ok_or("bad remote length")?,
    };
    Ok(())
}

/// Hex byte pairs, optionally separated by dots (the `cansend` notation).
fn parse_hex_payload(payload: &[u8], frame: &mut CanFrame) -> Result<(), &'static str> {
    let mut at = 0;
    while at < payload.len() {
        if payload[at] == b'.' {
            at += 1;
            continue;
        }
        let pair = payload.get(at..at + 2).ok_or("odd number of hex digits")?;
        let byte = text::hex_byte(pair).ok_or("bad hex byte")?;
        if !frame.push(byte) {
            return Err("payload longer than 64 bytes");
        }
        at += 2;
    }
    Ok(())
}

/// The default candump form: `ID [len] b0 b1 ...` or `ID [len] remote request`.
fn parse_spaced<'a>(
    id: &[u8],
    mut fields: impl Iterator<Item = &'a [u8]>,
    frame: &mut CanFrame,
) -> Result<(), &'static str> {
    set_id(id, frame)?;
    let len_field = fields.next().ok_or("missing length")?;
    let len_text = len_field
        .strip_prefix(b"[")
        .and_then(|inner| inner.strip_suffix(b"]"))
        .ok_or("bad length field")?;
    let len = text::dec_u32(len_text).ok_or("bad length")? as usize;
    let first = fields.next();
    if first == Some(b"remote".as_slice()) {
        frame.kind = FrameKind::Remote;
        frame.dlc = u8::try_from(len)
            .ok()
            .filter(|&d| d <= 8)
            .ok_or("bad remote length")?;
        return Ok(());
    }
    for byte in first.into_iter().chain(fields) {
        if !frame.push(text::hex_byte(byte).ok_or("bad hex byte")?) {
            return Err("payload longer than 64 bytes");
        }
    }
    if frame.data().len() != len {
        return Err("byte count differs from the length field");
    }
    frame.fd = len > 8;
    frame.dlc = if frame.fd {
        len_to_fd_dlc(len).ok_or("bad length")?
    } else {
        len as u8
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(line: &str) -> CanFrame {
        match parse_line(line.as_bytes()) {
            Ok(frame) => frame,
            Err(reason) => panic!("{line}: {reason}"),
        }
    }

    #[test]
    fn classic_frame_from_the_can_utils_example() {
        let f = frame("(1436509052.249713) vcan0 044#2A366C2BBA");
        assert_eq!(f.timestamp_us, 1_436_509_052_249_713);
        assert_eq!(f.time_base, TimeBase::Epoch);
        assert_eq!(f.channel.as_str(), "vcan0");
        assert_eq!((f.id, f.extended, f.dlc), (0x44, false, 5));
        assert_eq!(f.data(), &[0x2A, 0x36, 0x6C, 0x2B, 0xBA]);
    }

    #[test]
    fn fd_remote_and_extended_frames() {
        let fd = frame("(0.5) can1 12345678##100112233445566778899AABB");
        assert!(fd.fd && fd.extended);
        assert_eq!((fd.id, fd.dlc, fd.data().len()), (0x1234_5678, 9, 12));
        assert_eq!(fd.time_base, TimeBase::Relative);
        let remote = frame("(1.0) can0 123#R");
        assert_eq!(remote.kind, FrameKind::Remote);
        let error = frame("(1.0) can0 20000080#0000000000000000");
        assert_eq!(error.kind, FrameKind::Error);
    }

    #[test]
    fn default_candump_layout_with_brackets() {
        let f = frame(" (000.005001)  can0  18FEDF00   [8]  8A A0 28 7D 7D FF FF F5");
        assert_eq!((f.id, f.extended, f.dlc), (0x18FE_DF00, true, 8));
        assert_eq!(f.data()[0], 0x8A);
        let remote = frame("can0  123   [2]  remote request");
        assert_eq!((remote.kind, remote.dlc), (FrameKind::Remote, 2));
    }

    #[test]
    fn malformed_lines_are_rejected_with_a_reason() {
        for line in [
            "(1.0) can0 800#00",
            "(1.0) can0 12#0",
            "(1.0 can0 1#00",
            "(x) can0 1#00",
        ] {
            assert!(parse_line(line.as_bytes()).is_err(), "{line}");
        }
        assert!(parse_line(b"(1.0) can0 123##1001122334455667788").is_err());
    }
}
