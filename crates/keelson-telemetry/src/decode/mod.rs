//! One decoder per vehicle-data format, the `Format` choice and format detection.
//!
//! Every decoder is an iterator over a `BufRead`: it holds one line (or one message) at a
//! time, yields an error item for a malformed record and goes on with the next one.

pub mod asc;
pub mod candump;
pub mod csv;
pub mod dlt;
pub mod ndjson;
pub(crate) mod text;
pub mod trc;

use std::io::BufRead;

use crate::error::Error;
use crate::event::Event;
use crate::frame::CanFrame;

pub use self::csv::CsvLayout;

/// A vehicle-data file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// can-utils candump log.
    Candump,
    /// Vector ASCII log.
    Asc,
    /// PEAK PCAN trace.
    Trc,
    /// A labelled CSV capture in one dataset's layout.
    Csv(CsvLayout),
    /// Newline-delimited JSON events.
    Ndjson,
    /// AUTOSAR DLT binary log.
    Dlt,
}

impl Format {
    /// The name used on the command line (`--format candump`, `--format csv-daga`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Candump => "candump",
            Format::Asc => "asc",
            Format::Trc => "trc",
            Format::Csv(CsvLayout::Hcrl) => "csv-hcrl",
            Format::Csv(CsvLayout::Daga) => "csv-daga",
            Format::Csv(CsvLayout::Road) => "csv-road",
            Format::Csv(CsvLayout::J1939) => "csv-j1939",
            Format::Csv(CsvLayout::LabelPrefixed) => "label-prefixed",
            Format::Ndjson => "ndjson",
            Format::Dlt => "dlt",
        }
    }

    /// Reads a command-line name back; `None` for unknown names.
    pub fn from_name(name: &str) -> Option<Format> {
        ALL.iter().copied().find(|format| format.name() == name)
    }

    /// Whether the format carries CAN frames (and so supports [`frames`]).
    pub fn is_can(self) -> bool {
        !matches!(self, Format::Ndjson | Format::Dlt)
    }
}

/// Every format, in the order `--format` help lists them.
pub const ALL: [Format; 10] = [
    Format::Candump,
    Format::Asc,
    Format::Trc,
    Format::Csv(CsvLayout::Hcrl),
    Format::Csv(CsvLayout::Daga),
    Format::Csv(CsvLayout::Road),
    Format::Csv(CsvLayout::J1939),
    Format::Csv(CsvLayout::LabelPrefixed),
    Format::Ndjson,
    Format::Dlt,
];

/// Guesses the format from a file name and its first bytes (`--format auto`).
///
/// Content wins over the extension; the extension breaks ties. `None` when neither is
/// recognised.
pub fn detect_format(path_name: &str, first_bytes: &[u8]) -> Option<Format> {
    if first_bytes.starts_with(b"DLT\x01") || first_bytes.starts_with(b"DLT\x02") {
        return Some(Format::Dlt);
    }
    let first_line = first_text_line(first_bytes);
    by_content(first_line, first_bytes).or_else(|| by_extension(path_name))
}

fn first_text_line(bytes: &[u8]) -> &[u8] {
    bytes
        .split(|&b| b == b'\n')
        .map(text::trim)
        .find(|line| !line.is_empty())
        .unwrap_or_default()
}

fn by_content(line: &[u8], all: &[u8]) -> Option<Format> {
    let lower = |prefix: &[u8]| {
        line.len() >= prefix.len() && line[..prefix.len()].eq_ignore_ascii_case(prefix)
    };
    if line.starts_with(b";$FILEVERSION") || line.starts_with(b";##########") {
        return Some(Format::Trc);
    }
    if line.starts_with(b"date ")
        || line.starts_with(b"base ")
        || contains(all, b"Begin Triggerblock")
    {
        return Some(Format::Asc);
    }
    if line.starts_with(b"{") {
        return Some(Format::Ndjson);
    }
    if lower(b"timestamp,CAN_ID,DLC,PAYLOAD_HEX") {
        return Some(Format::Csv(CsvLayout::Daga));
    }
    if lower(b"Time,Id,Byte1") {
        return Some(Format::Csv(CsvLayout::Road));
    }
    if lower(b"timestamp,iface,can_id") {
        return Some(Format::Csv(CsvLayout::J1939));
    }
    if csv::parse_line(line, CsvLayout::Hcrl).is_ok() {
        return Some(Format::Csv(CsvLayout::Hcrl));
    }
    if csv::parse_line(line, CsvLayout::LabelPrefixed).is_ok() {
        return Some(Format::Csv(CsvLayout::LabelPrefixed));
    }
    candump::parse_line(line).is_ok().then_some(Format::Candump)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn by_extension(path_name: &str) -> Option<Format> {
    let extension = path_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())?;
    match extension.as_str() {
        "log" | "candump" => Some(Format::Candump),
        "asc" => Some(Format::Asc),
        "trc" => Some(Format::Trc),
        "ndjson" | "jsonl" => Some(Format::Ndjson),
        "dlt" => Some(Format::Dlt),
        _ => None,
    }
}

/// A frame stream over any CAN format.
pub enum FrameDecoder<R> {
    /// candump log.
    Candump(candump::CandumpDecoder<R>),
    /// Vector ASC.
    Asc(asc::AscDecoder<R>),
    /// PEAK TRC.
    Trc(trc::TrcDecoder<R>),
    /// Labelled CSV.
    Csv(csv::CsvDecoder<R>),
}

impl<R: BufRead> FrameDecoder<R> {
    /// Recognised non-frame lines (headers, comments, status lines) seen so far.
    pub fn skipped(&self) -> u64 {
        match self {
            FrameDecoder::Candump(d) => d.skipped(),
            FrameDecoder::Asc(d) => d.skipped(),
            FrameDecoder::Trc(d) => d.skipped(),
            FrameDecoder::Csv(d) => d.skipped(),
        }
    }
}

impl<R: BufRead> Iterator for FrameDecoder<R> {
    type Item = Result<CanFrame, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            FrameDecoder::Candump(d) => d.next(),
            FrameDecoder::Asc(d) => d.next(),
            FrameDecoder::Trc(d) => d.next(),
            FrameDecoder::Csv(d) => d.next(),
        }
    }
}

/// Frames from a CAN format; `None` for formats that carry events, not frames.
pub fn frames<R: BufRead>(format: Format, reader: R) -> Option<FrameDecoder<R>> {
    Some(match format {
        Format::Candump => FrameDecoder::Candump(candump::CandumpDecoder::new(reader)),
        Format::Asc => FrameDecoder::Asc(asc::AscDecoder::new(reader)),
        Format::Trc => FrameDecoder::Trc(trc::TrcDecoder::new(reader)),
        Format::Csv(layout) => FrameDecoder::Csv(csv::CsvDecoder::new(reader, layout)),
        Format::Ndjson | Format::Dlt => return None,
    })
}

/// An event stream over any format.
pub enum EventDecoder<R> {
    /// CAN frames turned into `can.frame` events.
    Frames(FrameDecoder<R>),
    /// NDJSON events.
    Ndjson(ndjson::NdjsonDecoder<R>),
    /// DLT log messages.
    Dlt(dlt::DltDecoder<R>),
}

impl<R: BufRead> Iterator for EventDecoder<R> {
    type Item = Result<Event, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            EventDecoder::Frames(d) => d.next().map(|r| r.map(|frame| Event::from_frame(&frame))),
            EventDecoder::Ndjson(d) => d.next(),
            EventDecoder::Dlt(d) => d.next(),
        }
    }
}

/// Normalized events from any format.
pub fn events<R: BufRead>(format: Format, reader: R) -> EventDecoder<R> {
    let frames = match format {
        Format::Ndjson => return EventDecoder::Ndjson(ndjson::NdjsonDecoder::new(reader)),
        Format::Dlt => return EventDecoder::Dlt(dlt::DltDecoder::new(reader)),
        Format::Candump => FrameDecoder::Candump(candump::CandumpDecoder::new(reader)),
        Format::Asc => FrameDecoder::Asc(asc::AscDecoder::new(reader)),
        Format::Trc => FrameDecoder::Trc(trc::TrcDecoder::new(reader)),
        Format::Csv(layout) => FrameDecoder::Csv(csv::CsvDecoder::new(reader, layout)),
    };
    EventDecoder::Frames(frames)
}

/// The text of the given 1-based lines (sorted, without line ends), numbered
/// the way every text decoder numbers them (`\n`, `\r\n` or a lone `\r` end a
/// line), so a caller can fetch the raw bytes of the records a decoder
/// reported. Of a line longer than a decoder reads, the first
/// [`text::MAX_KEPT_PREFIX`] bytes come back.
pub fn lines_numbered<R: BufRead>(reader: R, wanted: &[u64]) -> Result<Vec<(u64, Vec<u8>)>, Error> {
    let mut lines = text::LineReader::keeping_prefix(reader);
    let mut found = Vec::with_capacity(wanted.len());
    let mut wanted = wanted.iter().peekable();
    while let Some(&&next) = wanted.peek() {
        let Some(line) = lines.next_line() else {
            break;
        };
        let (number, bytes) = match line? {
            text::Line::Text(number, bytes) => (number, bytes.to_vec()),
            text::Line::TooLong(number, prefix) => (number, text::trim_line_end(prefix).to_vec()),
        };
        if number == next {
            found.push((number, bytes));
            wanted.next();
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_of_an_over_long_line_come_back_up_to_the_kept_prefix() {
        let long = vec![b'x'; text::MAX_LINE + 10];
        let huge = vec![b'y'; text::MAX_KEPT_PREFIX * 2];
        let mut input = b"first\n".to_vec();
        for line in [&long, &huge] {
            input.extend_from_slice(line);
            input.push(b'\n');
        }
        input.extend_from_slice(b"last\n");

        let found = lines_numbered(&input[..], &[2, 3, 4]).expect("read");

        let lengths: Vec<(u64, usize)> = found.iter().map(|(n, b)| (*n, b.len())).collect();
        assert_eq!(
            lengths,
            [(2, long.len()), (3, text::MAX_KEPT_PREFIX), (4, 4)]
        );
        assert_eq!(found[2].1, b"last");
    }

    #[test]
    fn formats_are_detected_from_content_then_extension() {
        let cases: [(&str, &[u8], Option<Format>); 9] = [
            ("x.log", b"(1.0) can0 123#00", Some(Format::Candump)),
            ("x.txt", b"date Sam Sep 30\nbase hex", Some(Format::Asc)),
            ("x.trc", b";$FILEVERSION=1.1\n", Some(Format::Trc)),
            ("x", b"DLT\x01abc", Some(Format::Dlt)),
            (
                "x.csv",
                b"timestamp,CAN_ID,DLC,PAYLOAD_HEX,PAYLOAD_BIN,ANOMALY\n",
                Some(Format::Csv(CsvLayout::Daga)),
            ),
            (
                "x.csv",
                b"1478198376.389427,0316,8,05,21,68,09,21,21,00,6f,R\n",
                Some(Format::Csv(CsvLayout::Hcrl)),
            ),
            (
                "x.log",
                b"0 080#0017dc09161116bb\n",
                Some(Format::Csv(CsvLayout::LabelPrefixed)),
            ),
            ("x.jsonl", b"{\"source\":\"can\"}", Some(Format::Ndjson)),
            ("x.bin", b"\x00\x01", None),
        ];
        for (name, bytes, expected) in cases {
            assert_eq!(detect_format(name, bytes), expected, "{name}");
        }
    }

    #[test]
    fn every_format_name_round_trips() {
        for format in ALL {
            assert_eq!(Format::from_name(format.name()), Some(format));
        }
    }
}
