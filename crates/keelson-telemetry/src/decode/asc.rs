//! Vector ASCII logs (`.asc`): header lines (`date`, `base hex timestamps absolute`),
//! classic CAN and CAN FD frame lines, error frames, comments and trigger blocks.

use std::io::BufRead;

use crate::decode::text::{self, Line, LineReader};
use crate::error::{Error, Position};
use crate::frame::{CanFrame, Channel, FrameKind, TimeBase, fd_dlc_to_len};

/// Most tokens one frame line can carry (64 data bytes plus ASC's trailing fields).
const MAX_TOKENS: usize = 128;

/// Streams frames from a Vector ASC log.
pub struct AscDecoder<R> {
    lines: LineReader<R>,
    header: Header,
    skipped: u64,
}

/// What the header lines said.
#[derive(Debug, Clone, Copy)]
struct Header {
    decimal: bool,
    relative: bool,
    start_us: Option<i64>,
    previous_us: i64,
}

/// What one line turned out to be.
enum Parsed {
    Frame(CanFrame),
    NotAFrame,
}

impl<R: BufRead> AscDecoder<R> {
    /// Decodes `reader` line by line.
    pub fn new(reader: R) -> Self {
        let header = Header {
            decimal: false,
            relative: false,
            start_us: None,
            previous_us: 0,
        };
        AscDecoder {
            lines: LineReader::new(reader),
            header,
            skipped: 0,
        }
    }

    /// Header, comment, status and statistics lines seen so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

impl<R: BufRead> Iterator for AscDecoder<R> {
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
            match parse_line(text::trim(line), &mut self.header) {
                Ok(Parsed::Frame(frame)) => return Some(Ok(frame)),
                Ok(Parsed::NotAFrame) => self.skipped += 1,
                Err(reason) => return Some(Err(Error::record(Position::Line(number), reason))),
            }
        }
    }
}

fn parse_line(line: &[u8], header: &mut Header) -> Result<Parsed, &'static str> {
    let mut toks: [&[u8]; MAX_TOKENS] = [&[]; MAX_TOKENS];
    let mut count = 0;
    for token in text::tokens(line).take(MAX_TOKENS) {
        toks[count] = token;
        count += 1;
    }
    let toks = &toks[..count];
    let Some(first) = toks.first() else {
        return Ok(Parsed::NotAFrame);
    };
    if read_header_line(toks, header) || first.starts_with(b"//") {
        return Ok(Parsed::NotAFrame);
    }
    let offset = text::seconds_to_us(first).ok_or("line is neither a header nor timed")?;
    let Some(kind) = toks.get(1) else {
        return Err("timestamp without an event");
    };
    let mut frame = CanFrame::default();
    let parsed = if *kind == b"CANFD" {
        parse_fd(&toks[2..], header, &mut frame)?
    } else if kind.iter().all(u8::is_ascii_digit) {
        frame.channel = Channel::new(kind);
        parse_classic(&toks[2..], header, &mut frame)?
    } else if toks.iter().any(|t| is_direction(t)) {
        // Shaped like a frame (it has Rx or Tx) but the channel is not a number.
        return Err("channel is not a number");
    } else {
        false
    };
    if !parsed {
        return Ok(Parsed::NotAFrame);
    }
    set_time(offset, header, &mut frame);
    Ok(Parsed::Frame(frame))
}

/// Applies `date` / `base` lines; true when the line was a header line.
fn read_header_line(toks: &[&[u8]], header: &mut Header) -> bool {
    match toks {
        [b"date", rest @ ..] => {
            header.start_us = parse_date(rest);
            true
        }
        [b"base", base, b"timestamps", mode, ..] => {
            header.decimal = base.eq_ignore_ascii_case(b"dec");
            header.relative = mode.eq_ignore_ascii_case(b"relative");
            true
        }
        [b"internal" | b"no" | b"Begin" | b"End", ..] => true,
        _ => false,
    }
}

fn set_time(offset: i64, header: &mut Header, frame: &mut CanFrame) {
    let since_start = if header.relative {
        header.previous_us + offset
    } else {
        offset
    };
    header.previous_us = since_start;
    match header.start_us {
        Some(start) => {
            frame.timestamp_us = start.saturating_add(since_start);
            frame.time_base = TimeBase::Epoch;
        }
        None => frame.timestamp_us = since_start,
    }
}

/// `ID [name] Rx|Tx d DLC bytes...`, `ID Rx|Tx r [DLC]` or `ErrorFrame ...`; false for events.
fn parse_classic(
    toks: &[&[u8]],
    header: &Header,
    frame: &mut CanFrame,
) -> Result<bool, &'static str> {
    let Some(first) = toks.first() else {
        return Err("channel without an event");
    };
    if *first == b"ErrorFrame" {
        frame.kind = FrameKind::Error;
        return Ok(true);
    }
    let Some(dir) = toks.iter().position(|t| is_direction(t)) else {
        // Statistic, J1939TP reassemblies and status lines carry no direction
        // token; a line that starts with an identifier must have one.
        if looks_like_id(first) {
            return Err("frame line without Rx or Tx");
        }
        return Ok(false);
    };
    if first.ends_with(b":") || *first == b"J1939TP" {
        return Ok(false);
    }
    set_id(first, header, frame)?;
    match toks.get(dir + 1..) {
        Some([b"r", rest @ ..]) => {
            frame.kind = FrameKind::Remote;
            frame.dlc = rest
                .first()
                .and_then(|t| text::hex_u32(t))
                .map_or(0, |d| d.min(15) as u8);
            Ok(true)
        }
        Some([b"d", dlc, bytes @ ..]) => {
            let dlc = text::hex_u32(dlc).filter(|&d| d <= 15).ok_or("bad DLC")? as u8;
            frame.dlc = dlc;
            push_bytes(bytes, usize::from(dlc.min(8)), header, frame)?;
            Ok(true)
        }
        _ => Err("frame line without 'd' or 'r'"),
    }
}

/// `Rx|Tx ID [name] BRS ESI DLC LEN bytes...` or `Rx|Tx ErrorFrame ...`.
fn parse_fd(toks: &[&[u8]], header: &Header, frame: &mut CanFrame) -> Result<bool, &'static str> {
    let [channel, dir, id, rest @ ..] = toks else {
        return Err("short CANFD line");
    };
    frame.channel = Channel::new(channel);
    if !is_direction(dir) {
        return Err("CANFD line without direction");
    }
    if *id == b"ErrorFrame" {
        frame.kind = FrameKind::Error;
        frame.fd = true;
        return Ok(true);
    }
    set_id(id, header, frame)?;
    // An optional symbolic name sits between the ID and the flags; find the flags by shape.
    let start = (0..rest.len().min(3))
        .find(|&at| fd_fields(&rest[at..]).is_some())
        .ok_or("CANFD line without BRS, ESI, DLC and length")?;
    let (dlc, len) = fd_fields(&rest[start..]).ok_or("bad CANFD fields")?;
    frame.dlc = dlc;
    if len == 0 && dlc != 0 {
        frame.kind = FrameKind::Remote;
        return Ok(true);
    }
    frame.fd = true;
    if fd_dlc_to_len(dlc).is_none_or(|expected| expected != len && len > 8) {
        return Err("CANFD length does not match its DLC");
    }
    push_bytes(rest.get(start + 4..).unwrap_or(&[]), len, header, frame)?;
    Ok(true)
}

/// BRS and ESI are single 0/1 digits, DLC one hex digit, length a decimal byte count.
fn fd_fields(toks: &[&[u8]]) -> Option<(u8, usize)> {
    let [brs, esi, dlc, len, ..] = toks else {
        return None;
    };
    let flag = |t: &[u8]| t == b"0" || t == b"1";
    if !flag(brs) || !flag(esi) || dlc.len() != 1 {
        return None;
    }
    let dlc = text::hex_digit(dlc[0])?;
    let len = text::dec_u32(len).filter(|&l| l <= 64)? as usize;
    Some((dlc, len))
}

fn push_bytes(
    toks: &[&[u8]],
    count: usize,
    header: &Header,
    frame: &mut CanFrame,
) -> Result<(), &'static str> {
    let bytes = toks
        .get(..count)
        .ok_or("fewer data bytes than the DLC says")?;
    for token in bytes {
        let byte = if header.decimal {
            text::dec_u32(token).and_then(|v| u8::try_from(v).ok())
        } else {
            text::hex_byte_loose(token)
        };
        if !frame.push(byte.ok_or("bad data byte")?) {
            return Err("payload longer than 64 bytes");
        }
    }
    Ok(())
}

fn set_id(token: &[u8], header: &Header, frame: &mut CanFrame) -> Result<(), &'static str> {
    let (digits, extended) = match token
        .strip_suffix(b"x")
        .or_else(|| token.strip_suffix(b"X"))
    {
        Some(digits) => (digits, true),
        None => (token, false),
    };
    let id = if header.decimal {
        text::dec_u32(digits)
    } else {
        text::hex_u32(digits)
    };
    let id = id.ok_or("bad identifier")?;
    let limit = if extended { 0x1FFF_FFFF } else { 0x7FF };
    if id > limit {
        return Err("identifier out of range");
    }
    frame.id = id;
    frame.extended = extended;
    Ok(())
}

/// A CAN identifier as ASC writes it: hex digits, `x` marking an extended one.
fn looks_like_id(token: &[u8]) -> bool {
    let digits = token.strip_suffix(b"x").unwrap_or(token);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_hexdigit)
}

fn is_direction(token: &[u8]) -> bool {
    matches!(token, b"Rx" | b"Tx" | b"TxRq")
}

/// `Sam Sep 30 15:06:13.191 2017` or `Tue May 27 04:09:35.000 pm 2014`, read as UTC.
fn parse_date(toks: &[&[u8]]) -> Option<i64> {
    let [_weekday, month, day, clock, rest @ ..] = toks else {
        return None;
    };
    let (meridiem, year) = match rest {
        [ampm, year, ..] if ampm.len() == 2 => (Some(ampm.to_ascii_lowercase()), year),
        [year, ..] => (None, year),
        [] => return None,
    };
    let month = month_from_name(month)?;
    let day = u8::try_from(text::dec_u32(day)?).ok()?;
    let year = i32::try_from(text::dec_u32(year)?).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let mut us = text::seconds_to_us(clock.rsplit(|&b| b == b':').next()?)?;
    let mut parts = clock.split(|&b| b == b':');
    let hour = i64::from(text::dec_u32(parts.next()?)?);
    let minute = i64::from(text::dec_u32(parts.next()?)?);
    let hour = match meridiem.as_deref() {
        Some(b"pm") if hour < 12 => hour + 12,
        Some(b"am") if hour == 12 => 0,
        _ => hour,
    };
    us += (hour * 3600 + minute * 60) * 1_000_000;
    let midnight = date.midnight().assume_utc().unix_timestamp();
    Some(midnight * 1_000_000 + us)
}

/// English or German month abbreviations (CANoe writes the date in the Windows locale).
fn month_from_name(name: &[u8]) -> Option<time::Month> {
    const NAMES: [(&[u8], &[u8]); 12] = [
        (b"jan", b"jan"),
        (b"feb", b"feb"),
        (b"mar", b"m\xc3\xa4r"),
        (b"apr", b"apr"),
        (b"may", b"mai"),
        (b"jun", b"jun"),
        (b"jul", b"jul"),
        (b"aug", b"aug"),
        (b"sep", b"sep"),
        (b"oct", b"okt"),
        (b"nov", b"nov"),
        (b"dec", b"dez"),
    ];
    let prefix = name.get(..3)?;
    let german = name
        .get(..4)
        .filter(|n| n.eq_ignore_ascii_case("mär".as_bytes()));
    let index = NAMES.iter().position(|(english, local)| {
        english.eq_ignore_ascii_case(prefix)
            || local.eq_ignore_ascii_case(prefix)
            || german.is_some_and(|g| g == *local)
    })?;
    time::Month::try_from(index as u8 + 1).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &str) -> Vec<Result<CanFrame, Error>> {
        AscDecoder::new(input.as_bytes()).collect()
    }

    #[test]
    fn header_date_makes_timestamps_absolute() {
        let input = "date Tue May 27 04:09:35.000 pm 2014\nbase hex  timestamps absolute\n\
                     0.5 1  64  Rx   d 4 64 00 00 00  Length = 0 BitCount = 0 ID = 100\n";
        let frames = decode(input);
        let Some(Ok(frame)) = frames.first() else {
            panic!("{frames:?}")
        };
        // 2014-05-27 16:09:35 UTC is 1401206975 s after the epoch.
        assert_eq!(frame.timestamp_us, 1_401_206_975_500_000);
        assert_eq!((frame.id, frame.dlc, frame.data().len()), (0x64, 4, 4));
    }

    #[test]
    fn german_month_names_are_read() {
        let toks: Vec<&[u8]> = vec![b"Mo", b"Okt", b"2", b"10:00:00.000", b"2017"];
        // 2017-10-02 10:00:00 UTC is 1506938400 s after the epoch.
        assert_eq!(parse_date(&toks), Some(1_506_938_400_000_000));
    }

    #[test]
    fn fd_line_with_a_symbolic_name() {
        let input = "31.5 CANFD 4 Rx 1C4D80A7x AlphaNumericName_2 1 0 9 12 \
                     01 02 03 04 05 06 07 08 09 0a 0b 0c 1234 5678\n";
        let frames = decode(input);
        let Some(Ok(frame)) = frames.first() else {
            panic!("{frames:?}")
        };
        assert!(frame.fd && frame.extended);
        assert_eq!(
            (frame.id, frame.dlc, frame.data().len()),
            (0x1C4D_80A7, 9, 12)
        );
    }

    #[test]
    fn frame_shaped_lines_with_a_bad_channel_direction_or_no_event_are_reported() {
        let input = "1.3 X 123 Rx d 2 01 02\n1.32 1 123 Zz d 2 01 02\n1.33 1 123\n\
                     1.34 1 18FEF100x\n1.35 1 Statistic: D 0\n";
        let mut decoder = AscDecoder::new(input.as_bytes());
        let lines: Vec<_> = decoder
            .by_ref()
            .map(|r| r.err().and_then(|e| e.position()))
            .collect();
        let expected: Vec<_> = (1..=4).map(|n| Some(Position::Line(n))).collect();
        assert_eq!(lines, expected);
        assert_eq!(decoder.skipped(), 1);
    }

    #[test]
    fn statistics_and_status_lines_are_skipped_and_bad_lines_reported() {
        let input = "1.0 1  Statistic: D 0 R 0\n1.0 CAN 1 Status:chip status\n\
                     2.0 1 123 Rx d 8 01 02\nnonsense\n2.5 1 ErrorFrame\n";
        let mut decoder = AscDecoder::new(input.as_bytes());
        let results: Vec<_> = decoder.by_ref().collect();
        assert_eq!(results.len(), 3);
        assert!(matches!(&results[0], Err(e) if e.position() == Some(Position::Line(3))));
        assert!(matches!(&results[1], Err(e) if e.position() == Some(Position::Line(4))));
        assert!(matches!(&results[2], Ok(f) if f.kind == FrameKind::Error));
        assert_eq!(decoder.skipped(), 2);
    }
}
