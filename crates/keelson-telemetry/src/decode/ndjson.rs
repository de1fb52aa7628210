//! Newline-delimited JSON events: one [`Event`] per line, checked against the event's rules.

use std::io::BufRead;

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
                Ok(Line::TooLong(number)) => {
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
    event.validate().map_err(|e| e.to_string())?;
    Ok(event)
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
    fn a_qsev_without_count_is_rejected() {
        let line =
            br#"{"source":"ids","kind":"ids.qsev","attributes":{"sensor_id":1,"event_id":2}}"#;
        assert!(parse_line(line).is_err());
    }
}
