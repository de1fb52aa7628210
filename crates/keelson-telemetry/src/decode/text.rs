//! Byte-level helpers shared by the text decoders: bounded line reading and number parsing.

use std::io::BufRead;

use crate::error::{Error, Position};

/// Longest line kept in memory; longer lines are reported and skipped, so memory stays flat.
pub const MAX_LINE: usize = 64 * 1024;

/// How much of an over-long line [`LineReader::keeping_prefix`] keeps (for the quarantine,
/// which stores the bytes of a refused line).
pub const MAX_KEPT_PREFIX: usize = 1024 * 1024;

/// One line read from a text input, without its line terminator.
pub enum Line<'a> {
    /// A line and its 1-based number.
    Text(u64, &'a [u8]),
    /// A line that exceeded the reader's limit, and the bytes kept of it: none when
    /// decoding, the first [`MAX_KEPT_PREFIX`] bytes for [`LineReader::keeping_prefix`].
    TooLong(u64, &'a [u8]),
}

/// Reads lines into one reused buffer so that decoding a file does not allocate per line.
pub struct LineReader<R> {
    reader: R,
    buf: Vec<u8>,
    line: u64,
    finished: bool,
    /// Bytes a line may have before it counts as too long.
    limit: usize,
    /// Keep the first `limit` bytes of a too-long line rather than none.
    keep_prefix: bool,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps a buffered reader.
    pub fn new(reader: R) -> Self {
        LineReader {
            reader,
            buf: Vec::with_capacity(256),
            line: 0,
            finished: false,
            limit: MAX_LINE,
            keep_prefix: false,
        }
    }

    /// A reader that numbers lines as [`LineReader::new`] does but hands back the first
    /// [`MAX_KEPT_PREFIX`] bytes of a line longer than [`MAX_LINE`].
    pub fn keeping_prefix(reader: R) -> Self {
        LineReader {
            limit: MAX_KEPT_PREFIX,
            keep_prefix: true,
            ..LineReader::new(reader)
        }
    }

    /// The next line, `None` at the end, or an I/O error (after which the reader is finished).
    pub fn next_line(&mut self) -> Option<Result<Line<'_>, Error>> {
        if self.finished {
            return None;
        }
        self.buf.clear();
        let (read_any, too_long) = match self.fill_line() {
            Ok(outcome) => outcome,
            Err(source) => {
                self.finished = true;
                let position = Position::Line(self.line + 1);
                return Some(Err(Error::Io { position, source }));
            }
        };
        if !read_any {
            self.finished = true;
            return None;
        }
        self.line += 1;
        let too_long = too_long || (self.keep_prefix && self.buf.len() > MAX_LINE);
        if too_long {
            return Some(Ok(Line::TooLong(self.line, &self.buf)));
        }
        Some(Ok(Line::Text(self.line, trim_line_end(&self.buf))))
    }

    /// Appends bytes up to and including the next line end (`\n`, `\r\n` or a lone `\r`, as
    /// old Mac tools write); returns (read anything, too long).
    fn fill_line(&mut self) -> std::io::Result<(bool, bool)> {
        let mut read_any = false;
        let mut too_long = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(bytes) => bytes,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if available.is_empty() {
                return Ok((read_any, too_long));
            }
            read_any = true;
            let end = available.iter().position(|&b| b == b'\n' || b == b'\r');
            let carriage_return = end.is_some_and(|at| available[at] == b'\r');
            let take = end.map_or(available.len(), |at| at + 1);
            if self.buf.len() + take > self.limit {
                too_long = true;
                let room = if self.keep_prefix {
                    self.limit - self.buf.len().min(self.limit)
                } else {
                    self.buf.clear();
                    0
                };
                self.buf.extend_from_slice(&available[..room.min(take)]);
            } else {
                self.buf.extend_from_slice(&available[..take]);
            }
            self.reader.consume(take);
            if carriage_return {
                self.skip_newline_after_carriage_return()?;
            }
            if end.is_some() {
                return Ok((read_any, too_long));
            }
        }
    }

    /// Consumes the `\n` of a `\r\n` pair, which may start the next buffer.
    fn skip_newline_after_carriage_return(&mut self) -> std::io::Result<()> {
        loop {
            match self.reader.fill_buf() {
                Ok(bytes) => {
                    if bytes.first() == Some(&b'\n') {
                        self.reader.consume(1);
                    }
                    return Ok(());
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
        }
    }
}

pub(crate) fn trim_line_end(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &line[..end]
}

/// Whitespace-separated tokens of a line, without allocating.
pub fn tokens(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|b| b.is_ascii_whitespace())
        .filter(|token| !token.is_empty())
}

/// Strips ASCII whitespace at both ends.
pub fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// The value of one hex digit.
pub fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A hex number of 1 to 8 digits.
pub fn hex_u32(text: &[u8]) -> Option<u32> {
    if text.is_empty() || text.len() > 8 {
        return None;
    }
    text.iter()
        .try_fold(0u32, |acc, &b| Some(acc << 4 | u32::from(hex_digit(b)?)))
}

/// A decimal number that fits in `u32`.
pub fn dec_u32(text: &[u8]) -> Option<u32> {
    if text.is_empty() || text.len() > 10 {
        return None;
    }
    let value = text.iter().try_fold(0u64, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u64::from(b - b'0'))
    })?;
    u32::try_from(value).ok()
}

/// One byte written as exactly two hex digits.
pub fn hex_byte(pair: &[u8]) -> Option<u8> {
    match pair {
        [high, low] => Some(hex_digit(*high)? << 4 | hex_digit(*low)?),
        _ => None,
    }
}

/// One byte written as one or two hex digits (ASC and TRC pad inconsistently).
pub fn hex_byte_loose(text: &[u8]) -> Option<u8> {
    match text {
        [low] => hex_digit(*low),
        _ => hex_byte(text),
    }
}

/// Decimal seconds (`1436509052.249713`, `9e-06`, `-0.5`) as whole microseconds.
pub fn seconds_to_us(text: &[u8]) -> Option<i64> {
    scaled_decimal(text, 6)
}

/// Decimal milliseconds (`17535.4`) as whole microseconds.
pub fn millis_to_us(text: &[u8]) -> Option<i64> {
    scaled_decimal(text, 3)
}

/// A decimal number times 10^`shift`, rounded to an integer; exponent forms go through `f64`.
fn scaled_decimal(text: &[u8], shift: u32) -> Option<i64> {
    if text.iter().any(|&b| b == b'e' || b == b'E') {
        return via_float(text, shift);
    }
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    let (whole, fraction) = match digits.iter().position(|&b| b == b'.') {
        Some(dot) => (&digits[..dot], &digits[dot + 1..]),
        None => (digits, &digits[digits.len()..]),
    };
    if whole.is_empty() && fraction.is_empty() || whole.len() > 12 {
        return None;
    }
    let mut value: i64 = 0;
    for &b in whole {
        value = value.checked_mul(10)?.checked_add(i64::from(digit(b)?))?;
    }
    let mut scale = 0;
    for &b in fraction.iter().take(shift as usize) {
        value = value * 10 + i64::from(digit(b)?);
        scale += 1;
    }
    value *= 10i64.pow(shift - scale);
    if let Some(&next) = fraction.get(shift as usize) {
        if !fraction[shift as usize..].iter().all(u8::is_ascii_digit) {
            return None;
        }
        value += i64::from(digit(next)? >= 5);
    }
    Some(if negative { -value } else { value })
}

fn digit(b: u8) -> Option<u8> {
    b.is_ascii_digit().then(|| b - b'0')
}

fn via_float(text: &[u8], shift: u32) -> Option<i64> {
    let value: f64 = std::str::from_utf8(text).ok()?.parse().ok()?;
    let scaled = (value * 10f64.powi(shift as i32)).round();
    // The range check keeps the cast exact and rejects inf and NaN.
    (scaled.abs() < 9.0e15).then_some(scaled as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(input: &[u8]) -> Vec<(u64, Vec<u8>)> {
        let mut reader = LineReader::new(input);
        let mut out = Vec::new();
        while let Some(Ok(line)) = reader.next_line() {
            match line {
                Line::Text(number, text) => out.push((number, text.to_vec())),
                Line::TooLong(number, _) => out.push((number, b"<too long>".to_vec())),
            }
        }
        out
    }

    #[test]
    fn lines_are_numbered_and_stripped_of_crlf() {
        let lines = lines_of(b"a\r\nb\n\nc");
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[1], (2, b"b".to_vec()));
        assert_eq!(lines[3], (4, b"c".to_vec()));
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line_too() {
        let lines = lines_of(b"a\rb\r\nc\nd\r");
        let texts: Vec<&[u8]> = lines.iter().map(|(_, text)| text.as_slice()).collect();
        assert_eq!(texts, [&b"a"[..], b"b", b"c", b"d"]);
        assert_eq!(lines[3].0, 4);
    }

    #[test]
    fn a_crlf_split_across_reads_is_one_line_end() {
        // A one-byte buffer puts the `\n` of every `\r\n` in the next read.
        let input: &[u8] = b"a\r\nb\r\n";
        let mut reader = LineReader::new(std::io::BufReader::with_capacity(1, input));
        let mut texts = Vec::new();
        while let Some(Ok(Line::Text(_, text))) = reader.next_line() {
            texts.push(text.to_vec());
        }
        assert_eq!(texts, [b"a".to_vec(), b"b".to_vec()]);
    }

    #[test]
    fn an_overlong_line_is_reported_and_the_next_line_is_read() {
        let mut input = vec![b'x'; MAX_LINE + 10];
        input.extend_from_slice(b"\nok\n");
        let lines = lines_of(&input);
        assert_eq!(
            lines,
            vec![(1, b"<too long>".to_vec()), (2, b"ok".to_vec())]
        );
    }

    #[test]
    fn seconds_parse_to_microseconds() {
        assert_eq!(
            seconds_to_us(b"1436509052.249713"),
            Some(1_436_509_052_249_713)
        );
        assert_eq!(seconds_to_us(b"9e-06"), Some(9));
        assert_eq!(seconds_to_us(b"40.647476499999996"), Some(40_647_476));
        assert_eq!(seconds_to_us(b"0.0000015"), Some(2));
        assert_eq!(seconds_to_us(b"12"), Some(12_000_000));
        assert_eq!(seconds_to_us(b"1.2.3"), None);
        assert_eq!(seconds_to_us(b""), None);
        assert_eq!(millis_to_us(b"17535.4"), Some(17_535_400));
    }

    #[test]
    fn hex_numbers_are_bounded() {
        assert_eq!(hex_u32(b"1FFFFFFF"), Some(0x1FFF_FFFF));
        assert_eq!(hex_u32(b"123456789"), None);
        assert_eq!(hex_byte(b"aF"), Some(0xAF));
        assert_eq!(hex_byte_loose(b"7"), Some(7));
        assert_eq!(dec_u32(b"4294967296"), None);
    }
}
