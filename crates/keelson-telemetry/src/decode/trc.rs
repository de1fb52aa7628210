//! PEAK PCAN trace files (`.trc`), versions 1.0 to 1.3 and 2.0 to 2.1: the header
//! (`$FILEVERSION`, `$STARTTIME`, `$COLUMNS`) decides how each message line is split.

use std::io::BufRead;

use crate::decode::text::{self, Line, LineReader};
use crate::error::{Error, Position};
use crate::frame::{CanFrame, Channel, FrameKind, TimeBase, fd_dlc_to_len};

/// Most tokens one message line can carry (64 data bytes plus the fixed columns).
const MAX_TOKENS: usize = 96;

/// Days between 1899-12-30 (the `$STARTTIME` origin, an OLE automation date) and 1970-01-01.
const OLE_EPOCH_DAYS: f64 = 25_569.0;

/// One column of a message line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Number,
    Offset,
    Type,
    Bus,
    Id,
    Direction,
    Reserved,
    Dlc,
    Length,
    Data,
}

/// The columns of one file, fixed by its version or listed by `$COLUMNS`.
#[derive(Debug, Clone, Copy)]
struct Layout {
    columns: [Column; 10],
    count: usize,
}

impl Layout {
    fn of(columns: &[Column]) -> Layout {
        let mut layout = Layout {
            columns: [Column::Data; 10],
            count: 0,
        };
        for column in columns.iter().take(10) {
            layout.columns[layout.count] = *column;
            layout.count += 1;
        }
        layout
    }

    fn for_version(version: &[u8]) -> Option<Layout> {
        use Column::*;
        let columns: &[Column] = match version {
            b"1.0" => &[Number, Offset, Id, Dlc, Data],
            b"1.1" => &[Number, Offset, Type, Id, Dlc, Data],
            b"1.2" => &[Number, Offset, Bus, Type, Id, Dlc, Data],
            b"1.3" => &[Number, Offset, Bus, Type, Id, Reserved, Dlc, Data],
            b"2.0" => &[Number, Offset, Type, Id, Direction, Length, Data],
            b"2.1" => &[
                Number, Offset, Type, Bus, Id, Direction, Reserved, Dlc, Data,
            ],
            _ => return None,
        };
        Some(Layout::of(columns))
    }

    /// `$COLUMNS=N,O,T,B,I,d,R,L,D`; unknown letters make the header invalid.
    fn from_letters(letters: &[u8]) -> Option<Layout> {
        let mut columns = [Column::Data; 10];
        let mut count = 0;
        for letter in letters.split(|&b| b == b',').map(text::trim) {
            let column = match letter {
                b"N" => Column::Number,
                b"O" => Column::Offset,
                b"T" => Column::Type,
                b"B" => Column::Bus,
                b"I" => Column::Id,
                b"d" => Column::Direction,
                b"R" => Column::Reserved,
                b"L" => Column::Dlc,
                b"l" => Column::Length,
                b"D" => Column::Data,
                _ => return None,
            };
            *columns.get_mut(count)? = column;
            count += 1;
        }
        Some(Layout { columns, count })
    }

    fn columns(&self) -> &[Column] {
        &self.columns[..self.count]
    }
}

/// Streams frames from a PEAK trace.
pub struct TrcDecoder<R> {
    lines: LineReader<R>,
    state: State,
    skipped: u64,
}

/// What the header said so far.
#[derive(Debug, Clone, Copy)]
struct State {
    layout: Layout,
    start_us: Option<i64>,
}

impl State {
    fn read_header(&mut self, line: &[u8]) -> Result<(), &'static str> {
        let Some((key, value)) = line.strip_prefix(b";$").and_then(split_once_eq) else {
            return Ok(());
        };
        match key {
            b"FILEVERSION" => {
                self.layout = Layout::for_version(value).ok_or("unsupported trace version")?;
            }
            b"STARTTIME" => self.start_us = start_time(value),
            b"COLUMNS" => self.layout = Layout::from_letters(value).ok_or("bad $COLUMNS")?,
            _ => {}
        }
        Ok(())
    }
}

impl<R: BufRead> TrcDecoder<R> {
    /// Decodes `reader`; a file without `$FILEVERSION` is read as version 1.0.
    pub fn new(reader: R) -> Self {
        let layout = Layout::for_version(b"1.0").unwrap_or(Layout::of(&[Column::Data]));
        let state = State {
            layout,
            start_us: None,
        };
        TrcDecoder {
            lines: LineReader::new(reader),
            state,
            skipped: 0,
        }
    }

    /// Comment, header and status lines seen so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

impl<R: BufRead> Iterator for TrcDecoder<R> {
    type Item = Result<CanFrame, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (number, line) = match self.lines.next_line()? {
                Err(error) => return Some(Err(error)),
                Ok(Line::TooLong(number, _)) => {
                    return Some(Err(Error::record(Position::Line(number), "line too long")));
                }
                Ok(Line::Text(number, line)) => (number, text::trim(line)),
            };
            let outcome = if line.starts_with(b";") {
                self.state.read_header(line).map(|()| None)
            } else if line.is_empty() {
                Ok(None)
            } else {
                parse_message(line, &self.state)
            };
            match outcome {
                Ok(Some(frame)) => return Some(Ok(frame)),
                Ok(None) => self.skipped += 1,
                Err(reason) => return Some(Err(Error::record(Position::Line(number), reason))),
            }
        }
    }
}

fn split_once_eq(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = text.iter().position(|&b| b == b'=')?;
    Some((text::trim(&text[..at]), text::trim(&text[at + 1..])))
}

/// `$STARTTIME` is fractional days since 1899-12-30 in the recorder's local time, which the
/// file does not name; it is read as UTC.
fn start_time(value: &[u8]) -> Option<i64> {
    let days: f64 = std::str::from_utf8(value).ok()?.parse().ok()?;
    let us = ((days - OLE_EPOCH_DAYS) * 86_400_000_000.0).round();
    (us.is_finite() && us.abs() < 9.0e15).then_some(us as i64)
}

/// The fields of one message line, picked out by the layout.
#[derive(Default)]
struct Fields<'a> {
    offset: &'a [u8],
    kind: Option<&'a [u8]>,
    bus: Option<&'a [u8]>,
    id: &'a [u8],
    dlc: Option<&'a [u8]>,
    length: Option<&'a [u8]>,
    data: &'a [&'a [u8]],
}

fn split_fields<'a>(toks: &'a [&'a [u8]], layout: &Layout) -> Result<Fields<'a>, &'static str> {
    let mut fields = Fields::default();
    for (at, column) in layout.columns().iter().enumerate() {
        if *column == Column::Data {
            fields.data = toks.get(at..).unwrap_or(&[]);
            break;
        }
        let token = *toks.get(at).ok_or("fewer columns than the header lists")?;
        match column {
            Column::Offset => fields.offset = token,
            Column::Type => fields.kind = Some(token),
            Column::Bus => fields.bus = Some(token),
            Column::Id => fields.id = token,
            Column::Dlc => fields.dlc = Some(token),
            Column::Length => fields.length = Some(token),
            Column::Number | Column::Direction | Column::Reserved | Column::Data => {}
        }
    }
    Ok(fields)
}

/// What a message type says about the frame; `None` for status and event lines.
fn frame_kind(kind: Option<&[u8]>) -> Result<Option<(FrameKind, bool)>, &'static str> {
    Ok(Some(match kind {
        None | Some(b"Rx" | b"Tx" | b"DT") => (FrameKind::Data, false),
        Some(b"FD" | b"FB" | b"FE" | b"BI") => (FrameKind::Data, true),
        Some(b"RR") => (FrameKind::Remote, false),
        Some(b"Error" | b"ER") => (FrameKind::Error, false),
        Some(b"Warng" | b"ST" | b"EC" | b"EV") => return Ok(None),
        Some(_) => return Err("unknown message type"),
    }))
}

fn parse_message(line: &[u8], state: &State) -> Result<Option<CanFrame>, &'static str> {
    let mut toks: [&[u8]; MAX_TOKENS] = [&[]; MAX_TOKENS];
    let mut count = 0;
    for token in text::tokens(line).take(MAX_TOKENS) {
        toks[count] = token;
        count += 1;
    }
    let fields = split_fields(&toks[..count], &state.layout)?;
    let Some((kind, fd)) = frame_kind(fields.kind)? else {
        return Ok(None);
    };
    let mut frame = CanFrame::default();
    frame.kind = kind;
    frame.fd = fd;
    let offset = text::millis_to_us(fields.offset).ok_or("bad time offset")?;
    match state.start_us {
        Some(start) => {
            frame.timestamp_us = start.saturating_add(offset);
            frame.time_base = TimeBase::Epoch;
        }
        None => frame.timestamp_us = offset,
    }
    if let Some(bus) = fields.bus {
        frame.channel = Channel::new(bus);
    }
    set_id(fields.id, &mut frame)?;
    let len = data_length(&fields, &mut frame)?;
    if kind != FrameKind::Data || fields.data.first() == Some(&b"RTR".as_slice()) {
        frame.kind = if kind == FrameKind::Error {
            kind
        } else {
            FrameKind::Remote
        };
        return Ok(Some(frame));
    }
    for token in fields
        .data
        .get(..len)
        .ok_or("fewer data bytes than the length says")?
    {
        if !frame.push(text::hex_byte_loose(token).ok_or("bad data byte")?) {
            return Err("payload longer than 64 bytes");
        }
    }
    Ok(Some(frame))
}

/// Four hex digits name an 11-bit ID and eight a 29-bit one, as PCAN-View writes them.
fn set_id(token: &[u8], frame: &mut CanFrame) -> Result<(), &'static str> {
    if token == b"-" && frame.kind == FrameKind::Error {
        return Ok(());
    }
    let id = text::hex_u32(token).ok_or("bad identifier")?;
    frame.extended = token.len() > 4 || id > 0x7FF;
    if id > 0x1FFF_FFFF {
        return Err("identifier out of range");
    }
    frame.id = id;
    Ok(())
}

/// Sets the DLC and returns the payload length from the `L` (code) or `l` (bytes) column.
fn data_length(fields: &Fields<'_>, frame: &mut CanFrame) -> Result<usize, &'static str> {
    if let Some(length) = fields.length {
        let len = text::dec_u32(length)
            .filter(|&l| l <= 64)
            .ok_or("bad data length")? as usize;
        frame.dlc = crate::frame::len_to_fd_dlc(len).ok_or("bad data length")?;
        return Ok(len);
    }
    let dlc = fields.dlc.ok_or("no length column")?;
    let dlc = text::dec_u32(dlc).filter(|&d| d <= 15).ok_or("bad DLC")? as u8;
    frame.dlc = dlc;
    let len = if frame.fd {
        fd_dlc_to_len(dlc).ok_or("bad DLC")?
    } else {
        usize::from(dlc.min(8))
    };
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &str) -> Vec<Result<CanFrame, Error>> {
        TrcDecoder::new(input.as_bytes()).collect()
    }

    #[test]
    fn version_one_one_lines_with_start_time() {
        let input = ";$FILEVERSION=1.1\n;$STARTTIME=25569.5\n\
                     1)        16.0  Rx         0260  8  00 00 00 00 00 00 00 6A\n\
                     2)     17540.3  Warng  FFFFFFFF  4  00 00 00 08  BUSHEAVY\n\
                     12)     48937.6  Rx         0704  1  RTR\n";
        let frames = decode(input);
        assert_eq!(frames.len(), 2);
        let Ok(first) = &frames[0] else {
            panic!("{frames:?}")
        };
        assert_eq!(first.timestamp_us, 43_200_000_000 + 16_000);
        assert_eq!((first.id, first.dlc, first.data()[7]), (0x260, 8, 0x6A));
        assert!(matches!(&frames[1], Ok(f) if f.kind == FrameKind::Remote && f.dlc == 1));
    }

    #[test]
    fn version_two_one_uses_the_columns_header() {
        let input = ";$FILEVERSION=2.1\n;$COLUMNS=N,O,T,B,I,d,R,L,D\n\
                     1     17535.400 DT 1  00000100 Tx -  8    00 00 00 00 00 00 00 01\n\
                     2     17540.300 ST 1         - Rx -  4    00 00 00 08\n\
                     3     17541.000 FD 2  1FF Rx -  9    01 02 03 04 05 06 07 08 09 0A 0B 0C\n";
        let frames = decode(input);
        assert_eq!(frames.len(), 2);
        assert!(matches!(&frames[0], Ok(f) if f.id == 0x100 && f.extended && f.data()[7] == 1));
        assert!(matches!(&frames[1], Ok(f) if f.fd && f.data().len() == 12));
    }

    #[test]
    fn version_two_zero_reads_the_byte_length() {
        let input = ";$FILEVERSION=2.0\n1  1059.900 DT 0300 Rx 7 00 00 00 00 04 00 00\n";
        let frames = decode(input);
        assert!(matches!(&frames[0], Ok(f) if f.id == 0x300 && f.data().len() == 7));
    }

    #[test]
    fn short_lines_are_reported_with_their_number() {
        let frames = decode(";$FILEVERSION=1.1\n1)  16.0  Rx  0260  8  00 00\n");
        assert!(matches!(&frames[0], Err(e) if e.position() == Some(Position::Line(2))));
    }
}
