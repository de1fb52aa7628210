//! The period a report covers and its split into days, weeks or months.
//!
//! A period is half-open, from its start up to (not including) its end, in
//! UTC. Its ends are written as a date (`2026-01-31`) or an RFC 3339 time:
//! a date as `from` means that day's first instant, a date as `to` the end
//! of that day, so `--from 2026-01-01 --to 2026-01-31` is all of January; an
//! RFC 3339 `to` is the exclusive end itself. Days are UTC days, weeks ISO
//! weeks (starting on Monday), months calendar months; the first and last
//! buckets are cut to the period.

use std::fmt;
use std::str::FromStr;

use keelson_store::reports::Range;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, Time};

/// The most buckets one answer splits a period into (a day per bucket over
/// about three years): a bound on the work one request asks for.
pub const MAX_BUCKETS: usize = 1_100;

/// How finely a period is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Day,
    Week,
    Month,
}

impl FromStr for Granularity {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "day" => Ok(Granularity::Day),
            "week" => Ok(Granularity::Week),
            "month" => Ok(Granularity::Month),
            other => Err(PeriodError::new(
                "period",
                format!("{other:?} is not one of day, week, month"),
            )),
        }
    }
}

/// A period that cannot be read or split, naming the parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct PeriodError {
    pub field: &'static str,
    pub reason: String,
}

impl PeriodError {
    fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

/// A half-open period in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
}

impl Period {
    /// Reads `from` and `to` (dates or RFC 3339 times); `from` must come
    /// before `to`.
    pub fn parse(from: &str, to: &str) -> Result<Self, PeriodError> {
        let start = read_end("from", from, Edge::Start)?;
        let end = read_end("to", to, Edge::End)?;
        if start >= end {
            return Err(PeriodError::new(
                "to",
                format!("the period must end after it starts ({from} .. {to})"),
            ));
        }
        Ok(Self { start, end })
    }

    /// The period as the store's microsecond range.
    pub fn range(&self) -> Range {
        Range {
            from_us: micros(self.start),
            to_us: micros(self.end),
        }
    }

    /// The period cut into calendar buckets of this granularity.
    pub fn split(&self, granularity: Granularity) -> Result<Vec<Period>, PeriodError> {
        let mut buckets = Vec::new();
        let mut start = self.start;
        while start < self.end {
            if buckets.len() == MAX_BUCKETS {
                return Err(PeriodError::new(
                    "period",
                    format!(
                        "the period holds more than {MAX_BUCKETS} buckets; choose a coarser one"
                    ),
                ));
            }
            let end = next_boundary(start, granularity).min(self.end);
            buckets.push(Period { start, end });
            start = end;
        }
        Ok(buckets)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {}", rfc3339(self.start), rfc3339(self.end))
    }
}

#[derive(Clone, Copy)]
enum Edge {
    Start,
    End,
}

fn read_end(field: &'static str, text: &str, edge: Edge) -> Result<OffsetDateTime, PeriodError> {
    let text = text.trim();
    if let Ok(date) = Date::parse(text, format_description!("[year]-[month]-[day]")) {
        let midnight = date.with_time(Time::MIDNIGHT).assume_utc();
        return match edge {
            Edge::Start => Ok(midnight),
            Edge::End => midnight
                .checked_add(Duration::DAY)
                .ok_or_else(|| PeriodError::new(field, "date out of range")),
        };
    }
    OffsetDateTime::parse(text, &Rfc3339)
        .map(|at| at.to_offset(time::UtcOffset::UTC))
        .map_err(|_| {
            PeriodError::new(
                field,
                format!("{text:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 time"),
            )
        })
}

/// The first bucket boundary after `at`: the next UTC midnight, Monday or
/// first of the month.
fn next_boundary(at: OffsetDateTime, granularity: Granularity) -> OffsetDateTime {
    let day = at.date();
    let next = match granularity {
        Granularity::Day => day.next_day(),
        Granularity::Week => {
            let into_week = i64::from(day.weekday().number_days_from_monday());
            day.checked_add(Duration::days(7 - into_week))
        }
        Granularity::Month => {
            let (year, month) = match day.month() {
                time::Month::December => (day.year() + 1, time::Month::January),
                month => (day.year(), month.next()),
            };
            Date::from_calendar_date(year, month, 1).ok()
        }
    };
    next.map_or(OffsetDateTime::new_utc(Date::MAX, Time::MIDNIGHT), |date| {
        date.with_time(Time::MIDNIGHT).assume_utc()
    })
}

/// Microseconds since the epoch, as the store keeps times.
pub fn micros(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// A time as RFC 3339 text.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_as_to_includes_that_whole_day() {
        let period = Period::parse("2026-01-01", "2026-01-31").expect("valid");
        assert_eq!(rfc3339(period.start), "2026-01-01T00:00:00Z");
        assert_eq!(rfc3339(period.end), "2026-02-01T00:00:00Z");
        let exact = Period::parse("2026-01-01T06:00:00+02:00", "2026-01-02T00:00:00Z").expect("ok");
        assert_eq!(rfc3339(exact.start), "2026-01-01T04:00:00Z");
    }

    #[test]
    fn weeks_start_on_monday_and_the_ends_are_cut_to_the_period() {
        // 2026-01-01 is a Thursday.
        let period = Period::parse("2026-01-01", "2026-01-14").expect("valid");
        let weeks = period.split(Granularity::Week).expect("few buckets");
        let starts: Vec<String> = weeks.iter().map(|w| rfc3339(w.start)).collect();
        assert_eq!(
            starts,
            [
                "2026-01-01T00:00:00Z",
                "2026-01-05T00:00:00Z",
                "2026-01-12T00:00:00Z"
            ]
        );
        assert_eq!(rfc3339(weeks[2].end), "2026-01-15T00:00:00Z");
    }

    #[test]
    fn months_roll_over_the_year() {
        let period = Period::parse("2025-11-15", "2026-01-31").expect("valid");
        let months = period.split(Granularity::Month).expect("few buckets");
        let starts: Vec<String> = months.iter().map(|m| rfc3339(m.start)).collect();
        assert_eq!(
            starts,
            [
                "2025-11-15T00:00:00Z",
                "2025-12-01T00:00:00Z",
                "2026-01-01T00:00:00Z"
            ]
        );
    }

    #[test]
    fn a_backwards_or_unreadable_or_huge_period_is_refused_with_its_field() {
        let backwards = Period::parse("2026-02-01", "2026-01-01").expect_err("backwards");
        assert_eq!(backwards.field, "to");
        let garbled = Period::parse("yesterday", "2026-01-01").expect_err("garbled");
        assert_eq!(garbled.field, "from");
        let decades = Period::parse("2000-01-01", "2030-01-01").expect("valid");
        let refused = decades.split(Granularity::Day).expect_err("too many days");
        assert_eq!(refused.field, "period");
        assert!("fortnight".parse::<Granularity>().is_err());
    }
}
