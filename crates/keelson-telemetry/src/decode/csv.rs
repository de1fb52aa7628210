//! Labelled CAN captures in the CSV layouts of public intrusion datasets (HCRL Car-Hacking,
//! DAGA, ROAD, SystemsCyber J1939) and the label-prefixed text of similarity-CAN-IDS.

use std::io::BufRead;

use crate::decode::text::{Line, LineReader};
use crate::decode::{candump, text};
use crate::error::{Error, Position};
use crate::frame::{AttackClass, CanFrame, Channel, Label, TimeBase};

/// Most CSV fields read from one line (J1939 rows have 22).
const MAX_FIELDS: usize = 32;

/// Which dataset's column layout a file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvLayout {
    /// HCRL Car-Hacking: `timestamp,ID,DLC,byte0..byteN,T|R`, no header, hex fields,
    /// only DLC bytes, epoch seconds.
    Hcrl,
    /// DAGA: `timestamp,CAN_ID,DLC,PAYLOAD_HEX,PAYLOAD_BIN,ANOMALY`; relative seconds,
    /// hex IDs (sometimes written as a float, `290.0`), DLC in bits, `True`/`False` labels.
    Daga,
    /// ROAD (CSC429 relabelling): `Time,Id,Byte1..Byte8,Label`; shifted seconds, hex IDs,
    /// `Benign` or an attack class.
    Road,
    /// SystemsCyber J1939: `timestamp,iface,can_id,dlc,data,...,label,...`; relative
    /// seconds, decimal 29-bit IDs, `normal` or a rule name.
    J1939,
    /// similarity-CAN-IDS: `<0|1> <ID>#<payload>` per line, no timestamps; a bare `<ID>`
    /// (no `#`) is a frame without payload.
    LabelPrefixed,
}

/// Streams labelled frames from one CSV layout.
pub struct CsvDecoder<R> {
    lines: LineReader<R>,
    layout: CsvLayout,
    skipped: u64,
}

impl<R: BufRead> CsvDecoder<R> {
    /// Decodes `reader` as `layout`.
    pub fn new(reader: R, layout: CsvLayout) -> Self {
        CsvDecoder {
            lines: LineReader::new(reader),
            layout,
            skipped: 0,
        }
    }

    /// Header and blank lines seen so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

impl<R: BufRead> Iterator for CsvDecoder<R> {
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
            if line.is_empty() || (number == 1 && is_header(line)) {
                self.skipped += 1;
                continue;
            }
            let parsed = parse_line(line, self.layout);
            return Some(parsed.map_err(|reason| Error::record(Position::Line(number), reason)));
        }
    }
}

/// A first line that starts with a letter is a column header (data rows start with a digit).
fn is_header(line: &[u8]) -> bool {
    line.first().is_some_and(u8::is_ascii_alphabetic)
}

/// Parses one data row of `layout`.
pub fn parse_line(line: &[u8], layout: CsvLayout) -> Result<CanFrame, &'static str> {
    if layout == CsvLayout::LabelPrefixed {
        return parse_label_prefixed(line);
    }
    let mut fields: [&[u8]; MAX_FIELDS] = [&[]; MAX_FIELDS];
    let count = split_csv(line, &mut fields)?;
    let fields = &fields[..count];
    match layout {
        CsvLayout::Hcrl => parse_hcrl(fields),
        CsvLayout::Daga => parse_daga(fields),
        CsvLayout::Road => parse_road(fields),
        CsvLayout::J1939 => parse_j1939(fields),
        CsvLayout::LabelPrefixed => Err("unreachable layout"),
    }
}

/// Splits on commas, honouring double quotes; quoted fields keep their inner text.
fn split_csv<'a>(line: &'a [u8], out: &mut [&'a [u8]; MAX_FIELDS]) -> Result<usize, &'static str> {
    let mut count = 0;
    let mut rest = line;
    loop {
        let (field, next) = if let Some(quoted) = rest.strip_prefix(b"\"") {
            let close = closing_quote(quoted).ok_or("unclosed quote")?;
            let after = &quoted[close + 1..];
            match after.split_first() {
                None => (&quoted[..close], None),
                Some((b',', tail)) => (&quoted[..close], Some(tail)),
                Some(_) => return Err("text after a closing quote"),
            }
        } else {
            match rest.iter().position(|&b| b == b',') {
                Some(at) => (&rest[..at], Some(&rest[at + 1..])),
                None => (rest, None),
            }
        };
        if count < MAX_FIELDS {
            out[count] = field;
            count += 1;
        }
        match next {
            Some(tail) => rest = tail,
            None => return Ok(count),
        }
    }
}

/// The index of the quote that ends a quoted field (`""` is an escaped quote).
fn closing_quote(quoted: &[u8]) -> Option<usize> {
    let mut at = 0;
    while at < quoted.len() {
        if quoted[at] == b'"' {
            if quoted.get(at + 1) == Some(&b'"') {
                at += 2;
                continue;
            }
            return Some(at);
        }
        at += 1;
    }
    None
}

fn field<'a>(fields: &[&'a [u8]], at: usize) -> Result<&'a [u8], &'static str> {
    fields
        .get(at)
        .map(|f| text::trim(f))
        .ok_or("missing column")
}

fn set_time(text_value: &[u8], base: TimeBase, frame: &mut CanFrame) -> Result<(), &'static str> {
    frame.timestamp_us = text::seconds_to_us(text_value).ok_or("bad timestamp")?;
    frame.time_base = base;
    Ok(())
}

fn set_id(id: u32, frame: &mut CanFrame) -> Result<(), &'static str> {
    if id > 0x1FFF_FFFF {
        return Err("identifier out of range");
    }
    frame.id = id;
    frame.extended = id > 0x7FF;
    Ok(())
}

fn push_hex_string(hex: &[u8], frame: &mut CanFrame) -> Result<(), &'static str> {
    if !hex.len().is_multiple_of(2) {
        return Err("odd number of hex digits");
    }
    for pair in hex.chunks_exact(2) {
        if !frame.push(text::hex_byte(pair).ok_or("bad hex payload")?) {
            return Err("payload longer than 64 bytes");
        }
    }
    Ok(())
}

fn push_byte_fields(bytes: &[&[u8]], frame: &mut CanFrame) -> Result<(), &'static str> {
    for byte in bytes {
        let value = text::hex_byte_loose(text::trim(byte)).ok_or("bad data byte")?;
        if !frame.push(value) {
            return Err("payload longer than 64 bytes");
        }
    }
    Ok(())
}

fn parse_hcrl(fields: &[&[u8]]) -> Result<CanFrame, &'static str> {
    let mut frame = CanFrame::default();
    set_time(field(fields, 0)?, TimeBase::Epoch, &mut frame)?;
    set_id(
        text::hex_u32(field(fields, 1)?).ok_or("bad hex identifier")?,
        &mut frame,
    )?;
    let dlc = text::dec_u32(field(fields, 2)?)
        .filter(|&d| d <= 8)
        .ok_or("bad DLC")? as u8;
    frame.dlc = dlc;
    let bytes = fields
        .get(3..3 + usize::from(dlc))
        .ok_or("fewer data bytes than the DLC")?;
    push_byte_fields(bytes, &mut frame)?;
    frame.label = Some(
        match fields.get(3 + usize::from(dlc)).map(|f| text::trim(f)) {
            Some(b"R") => Label::Normal,
            Some(b"T") => Label::Attack(AttackClass::Unspecified),
            _ => return Err("label is neither T nor R"),
        },
    );
    if fields.len() != 4 + usize::from(dlc) {
        return Err("more columns than the DLC allows");
    }
    Ok(frame)
}

fn parse_daga(fields: &[&[u8]]) -> Result<CanFrame, &'static str> {
    let mut frame = CanFrame::default();
    set_time(field(fields, 0)?, TimeBase::Relative, &mut frame)?;
    // Some injected rows write the hex ID as a float (`290.0`); the digits are still hex.
    let id = field(fields, 1)?;
    let id = id.strip_suffix(b".0").unwrap_or(id);
    set_id(text::hex_u32(id).ok_or("bad hex identifier")?, &mut frame)?;
    let bits = text::dec_u32(field(fields, 2)?).ok_or("bad DLC")?;
    push_hex_string(field(fields, 3)?, &mut frame)?;
    // DAGA's DLC column counts bits, so 64 means 8 bytes.
    if !bits.is_multiple_of(8) || bits / 8 != frame.data().len() as u32 {
        return Err("DLC (in bits) does not match the payload");
    }
    frame.dlc = frame.data().len() as u8;
    frame.label = Some(match field(fields, 5)? {
        label if label.eq_ignore_ascii_case(b"false") => Label::Normal,
        label if label.eq_ignore_ascii_case(b"true") => Label::Attack(AttackClass::Unspecified),
        _ => return Err("anomaly label is neither True nor False"),
    });
    Ok(frame)
}

fn parse_road(fields: &[&[u8]]) -> Result<CanFrame, &'static str> {
    let [time, id, bytes @ .., label] = fields else {
        return Err("missing column");
    };
    let mut frame = CanFrame::default();
    // ROAD shifts every capture to a round start, so the values are not real epoch times.
    set_time(text::trim(time), TimeBase::Relative, &mut frame)?;
    set_id(
        text::hex_u32(text::trim(id)).ok_or("bad hex identifier")?,
        &mut frame,
    )?;
    // Every ROAD row carries all eight byte columns; a short row would
    // otherwise read its last byte as the label.
    if bytes.len() != 8 {
        return Err("a ROAD row has 8 data byte columns");
    }
    push_byte_fields(bytes, &mut frame)?;
    frame.dlc = frame.data().len() as u8;
    frame.label = Some(road_label(text::trim(label))?);
    Ok(frame)
}

fn parse_j1939(fields: &[&[u8]]) -> Result<CanFrame, &'static str> {
    let mut frame = CanFrame::default();
    set_time(field(fields, 0)?, TimeBase::Relative, &mut frame)?;
    frame.channel = Channel::new(field(fields, 1)?);
    set_id(
        text::dec_u32(field(fields, 2)?).ok_or("bad decimal identifier")?,
        &mut frame,
    )?;
    // J1939 runs on 29-bit identifiers even when the number is small.
    frame.extended = true;
    let dlc = text::dec_u32(field(fields, 3)?)
        .filter(|&d| d <= 8)
        .ok_or("bad DLC")? as u8;
    push_hex_string(field(fields, 4)?, &mut frame)?;
    if frame.data().len() != usize::from(dlc) {
        return Err("payload length differs from the DLC");
    }
    frame.dlc = dlc;
    frame.label = Some(named_label(field(fields, 13)?, b"normal")?);
    Ok(frame)
}

/// ROAD's four labels; anything else is a damaged row, not a new attack class.
fn road_label(label: &[u8]) -> Result<Label, &'static str> {
    let known = [
        b"benign".as_slice(),
        b"fuzzing",
        b"fabrication",
        b"masquerade",
    ];
    if !known.iter().any(|name| label.eq_ignore_ascii_case(name)) {
        return Err("unknown ROAD label (Benign, Fuzzing, Fabrication or Masquerade)");
    }
    named_label(label, b"benign")
}

fn named_label(label: &[u8], normal: &[u8]) -> Result<Label, &'static str> {
    if label.is_empty() {
        return Err("empty label");
    }
    if label.eq_ignore_ascii_case(normal) {
        return Ok(Label::Normal);
    }
    Ok(Label::Attack(AttackClass::from_name(label)))
}

fn parse_label_prefixed(line: &[u8]) -> Result<CanFrame, &'static str> {
    let mut parts = text::tokens(line);
    let label = match parts.next() {
        Some(b"0") => Label::Normal,
        Some(b"1") => Label::Attack(AttackClass::Unspecified),
        _ => return Err("label is neither 0 nor 1"),
    };
    let body = parts.next().ok_or("missing frame")?;
    if parts.next().is_some() {
        return Err("unexpected text after frame");
    }
    let mut frame = CanFrame::default();
    if body.contains(&b'#') {
        candump::parse_compact(body, &mut frame)?;
    } else {
        // 31 rows of the published file hold a bare ID: frames logged with no payload.
        let id = text::hex_u32(body)
            .filter(|_| body.len() <= 3)
            .ok_or("bad identifier")?;
        set_id(id, &mut frame)?;
    }
    frame.label = Some(label);
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcrl_rows_carry_only_dlc_bytes_and_a_label() {
        let frame = parse_line(
            b"1478198376.389427,0316,8,05,21,68,09,21,21,00,6f,R",
            CsvLayout::Hcrl,
        );
        assert!(
            matches!(frame, Ok(f) if f.id == 0x316 && f.data()[7] == 0x6f
            && f.label == Some(Label::Normal))
        );
        let short = parse_line(b"1478198376.4,02b0,5,ff,7f,00,05,49,T", CsvLayout::Hcrl);
        assert!(matches!(short, Ok(f) if f.dlc == 5 && f.label.is_some_and(Label::is_attack)));
        assert!(parse_line(b"1.0,02b0,5,ff,7f,00,05,T", CsvLayout::Hcrl).is_err());
    }

    #[test]
    fn daga_float_ids_are_read_as_hex() {
        let row = b"40.1,290.0,64,000000002FB031F8,0000,True";
        let frame = parse_line(row, CsvLayout::Daga);
        assert!(matches!(frame, Ok(f) if f.id == 0x290 && f.dlc == 8 && f.label.is_some()));
    }

    #[test]
    fn j1939_ids_are_decimal_and_quoted_commas_stay_in_their_field() {
        let row = b"19.8,can0,419357952,8,E55D02005A550000,6,254,229,PDU2,65253,\
                    \"Engine Hours, Revolutions\",,0,normal,,,,,,,,";
        let frame = parse_line(row, CsvLayout::J1939);
        assert!(matches!(frame, Ok(f) if f.id == 0x18FE_E500 && f.label == Some(Label::Normal)));
    }

    #[test]
    fn road_rows_with_a_missing_column_or_an_unknown_label_are_errors() {
        let good = b"1.2,522,DF,7F,D0,00,79,68,00,1C,Benign";
        assert!(parse_line(good, CsvLayout::Road).is_ok());
        let unknown = b"1.2,522,DF,7F,D0,00,79,68,00,1C,Maybe";
        assert!(parse_line(unknown, CsvLayout::Road).is_err());
        // One byte column short: without the check `00` would be taken as the label.
        let short = b"1.4,522,DF,7F,D0,00,79,68,00";
        assert!(parse_line(short, CsvLayout::Road).is_err());
    }

    #[test]
    fn road_and_label_prefixed_rows() {
        let road = parse_line(
            b"1000000003.7,522,DF,7F,D0,00,79,68,00,1C,Fuzzing",
            CsvLayout::Road,
        );
        assert!(matches!(road, Ok(f) if f.label == Some(Label::Attack(AttackClass::Fuzzing))));
        let bare = parse_line(b"0 5a0", CsvLayout::LabelPrefixed);
        assert!(matches!(bare, Ok(f) if f.id == 0x5a0 && f.data().is_empty()));
        let prefixed = parse_line(b"1 015#97938E8D27331922", CsvLayout::LabelPrefixed);
        assert!(matches!(prefixed, Ok(f) if f.id == 0x15 && f.label.is_some_and(Label::is_attack)));
    }
}
