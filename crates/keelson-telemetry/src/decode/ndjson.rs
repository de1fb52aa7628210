//! Newline-delimited JSON events: one [`Event`] per line, checked against the event's rules.
//!
//! [`parse_line`] is the one normalisation path for JSON events, whichever channel brought
//! them (HTTP, MQTT, an NDJSON file): a line is an event only if it satisfies every limit of
//! the published schema, and integers are never silently rounded to floating point.

use std::collections::BTreeMap;
use std::io::BufRead;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::decode::text::{self, Line, LineReader};
use crate::error::{Error, Position};
use crate::event::Event;

/// Streams events from NDJSON text.
pub struct NdjsonDecoder<R> {
    lines: LineReader<R>,
    skipped: u64,
}

impl<R: BufRead> NdjsonDecoder<R> {
    /// Decodes `reader` line by line.
    pub fn new(reader: R) -> Self {
        NdjsonDecoder {
            lines: LineReader::new(reader),
            skipped: 0,
        }
    }

    /// Blank lines seen so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

impl<R: BufRead> Iterator for NdjsonDecoder<R> {
    type Item = Result<Event, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (number, line) = match self.lines.next_line()? {
                Err(error) => return Some(Err(error)),
                Ok(Line::TooLong(number, _)) => {
                    return Some(Err(Error::record(Position::Line(number), "line too long")));
                }
                Ok(Line::Text(number, line)) => (number, text::trim(line)),
            };
            if line.is_empty() {
                self.skipped += 1;
                continue;
            }
            return Some(
                parse_line(line).map_err(|reason| Error::record(Position::Line(number), reason)),
            );
        }
    }
}

/// Parses and checks one JSON event.
pub fn parse_line(line: &[u8]) -> Result<Event, String> {
    let event: Event = serde_json::from_slice(line).map_err(|e| format!("invalid event: {e}"))?;
    if holds_rounded_integer_candidate(&event.attributes) {
        check_integer_literals(line)?;
    }
    event.validate().map_err(|e| e.to_string())?;
    Ok(event)
}

/// 2^63: serde_json keeps integer literals in `i64` or `u64` and turns any other into the
/// nearest `f64`, whose magnitude is then at least this.
const SMALLEST_ROUNDED_INTEGER: f64 = 9_223_372_036_854_775_808.0;

/// Whether a floating-point number in the attributes could be a rounded integer literal:
/// only then is the line's text read a second time.
fn holds_rounded_integer_candidate(attributes: &Map<String, Value>) -> bool {
    attributes.values().any(rounded_integer_candidate)
}

fn rounded_integer_candidate(value: &Value) -> bool {
    match value {
        Value::Number(number) => number
            .as_f64()
            .is_some_and(|float| number.is_f64() && float.abs() >= SMALLEST_ROUNDED_INTEGER),
        Value::Array(items) => items.iter().any(rounded_integer_candidate),
        Value::Object(map) => map.values().any(rounded_integer_candidate),
        _ => false,
    }
}

/// The attributes as the line wrote them, before any number was converted.
#[derive(Deserialize)]
struct RawAttributes<'a> {
    #[serde(borrow, default)]
    attributes: Option<&'a RawValue>,
}

/// Refuses an integer literal in the attributes that neither `i64` nor `u64` holds, naming
/// its path, instead of letting it become an approximate floating-point number.
fn check_integer_literals(line: &[u8]) -> Result<(), String> {
    let raw: RawAttributes<'_> =
        serde_json::from_slice(line).map_err(|e| format!("invalid event: {e}"))?;
    match raw.attributes {
        Some(attributes) => check_raw(attributes, &mut "attributes".to_owned()),
        None => Ok(()),
    }
}

fn check_raw(raw: &RawValue, path: &mut String) -> Result<(), String> {
    let text = raw.get().trim_ascii();
    let invalid = |e: serde_json::Error| format!("invalid event: {path}: {e}");
    match text.as_bytes().first() {
        Some(b'{') => {
            let members: BTreeMap<String, &RawValue> =
                serde_json::from_str(text).map_err(invalid)?;
            for (key, member) in members {
                let length = path.len();
                path.push('.');
                path.push_str(&key);
                check_raw(member, path)?;
                path.truncate(length);
            }
            Ok(())
        }
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(invalid)?;
            for (index, item) in items.into_iter().enumerate() {
                let length = path.len();
                path.push_str(&format!("[{index}]"));
                check_raw(item, path)?;
                path.truncate(length);
            }
            Ok(())
        }
        Some(b'-' | b'0'..=b'9') => check_integer_literal(text, path),
        _ => Ok(()),
    }
}

fn check_integer_literal(text: &str, path: &str) -> Result<(), String> {
    let is_integer = !text.contains(['.', 'e', 'E']);
    if !is_integer || text.parse::<i64>().is_ok() || text.parse::<u64>().is_ok() {
        return Ok(());
    }
    Err(format!(
        "event field {path}: integer {text} cannot be kept exactly; integers must lie \
         between {} and {} (send larger ones as strings)",
        i64::MIN,
        u64::MAX
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Source;

    #[test]
    fn good_lines_decode_and_bad_lines_name_their_line() {
        let input = concat!(
            r#"{"source":"ids","kind":"ids.qsev","#,
            r#""attributes":{"sensor_id":1,"event_id":2,"count":1}}"#,
            "\n\n",
            r#"{"source":"radio","kind":"x"}"#,
            "\n",
            r#"{"source":"log","kind":"dlt.log","vehicle_time":"2024-01-02T03:04:05Z"}"#,
            "\n{not json\n",
        );
        let results: Vec<_> = NdjsonDecoder::new(input.as_bytes()).collect();
        assert_eq!(results.len(), 4);
        assert!(matches!(&results[0], Ok(e) if e.source == Source::Ids));
        let Err(error) = &results[1] else {
            panic!("{results:?}")
        };
        assert_eq!(error.position(), Some(Position::Line(3)));
        assert!(error.to_string().contains("unknown variant"), "{error}");
        assert!(matches!(&results[2], Ok(e) if e.vehicle_time.is_some()));
        assert!(matches!(&results[3], Err(e) if e.position() == Some(Position::Line(5))));
    }

    #[test]
    fn only_integers_past_64_bits_are_refused_and_their_path_is_named() {
        let line =
            br#"{"source":"log","kind":"k","attributes":{"a":[1,{"b":18446744073709551616}]}}"#;
        let reason = parse_line(line).err().unwrap_or_default();
        assert!(reason.contains("attributes.a[1].b"), "{reason}");
        assert!(reason.contains("18446744073709551616"), "{reason}");

        let edges = br#"{"source":"log","kind":"k","attributes":{"max":18446744073709551615,"min":-9223372036854775808,"float":1e19,"neg":-1.5e300}}"#;
        let event = parse_line(edges).expect("64-bit edges and floats are accepted");
        assert_eq!(event.attributes["max"].as_u64(), Some(u64::MAX));
        assert_eq!(event.attributes["min"].as_i64(), Some(i64::MIN));

        let below = br#"{"source":"log","kind":"k","attributes":{"x":-9223372036854775809}}"#;
        assert!(parse_line(below).is_err());
    }

    #[test]
    fn a_qsev_without_count_is_rejected() {
        let line =
            br#"{"source":"ids","kind":"ids.qsev","attributes":{"sensor_id":1,"event_id":2}}"#;
        assert!(parse_line(line).is_err());
    }
}
