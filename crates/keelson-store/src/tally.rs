//! Counts over large tables for the dashboards, the lists and the reports:
//! SQL groups rows by what a chart needs *and* by marking, and the exact
//! clearance rule is then applied once per distinct marking instead of once
//! per row. A million alerts carry a few dozen distinct markings, so
//! counting what a reader may see costs one grouped scan and a few dozen
//! checks. Where a tally table keeps counts per UTC day (`alert_tallies`),
//! [`cut_days`] says which part of a time range its whole days answer and
//! which parts are counted from the rows.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult};

use crate::StoreError;
use crate::paging::{COUNT_CAP, CappedCount};
use crate::readable::Readable;

/// Microseconds in a UTC day, the bucket of per-day charts.
pub const DAY_US: i64 = 86_400_000_000;

/// The number of rows per marking, of a query that selects the three
/// marking columns.
#[derive(Debug, FromQueryResult)]
struct MarkingCount {
    tlp: String,
    shared_with_orgs: String,
    named_readers: String,
    n: i64,
}

/// How many rows of `matching` (a query selecting the marking columns
/// `tlp`, `shared_with_orgs` and `named_readers`, limited to at most
/// `COUNT_CAP + 1` rows) the reader may read.
pub(crate) async fn capped_count(
    connection: &DatabaseConnection,
    matching: SelectStatement,
    reader: &Readable<'_>,
) -> Result<CappedCount, StoreError> {
    let (admitted, read) = readable_rows(connection, matching, reader).await?;
    Ok(CappedCount {
        count: admitted.min(COUNT_CAP),
        more: read > COUNT_CAP,
    })
}

/// How many rows of `matching` (a query selecting the marking columns) the
/// reader may read, and how many it holds.
pub(crate) async fn readable_rows(
    connection: &DatabaseConnection,
    matching: SelectStatement,
    reader: &Readable<'_>,
) -> Result<(u64, u64), StoreError> {
    let per_marking = Query::select()
        .columns(["tlp", "shared_with_orgs", "named_readers"])
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from_subquery(matching, "matching")
        .group_by_columns(["tlp", "shared_with_orgs", "named_readers"])
        .to_owned();
    let rows = connection.query_all(&per_marking).await?;

    let mut read = 0_u64;
    let mut admitted = 0_u64;
    for row in rows {
        let group = MarkingCount::from_query_result(&row, "")?;
        let n = u64::try_from(group.n).unwrap_or(0);
        read += n;
        if reader.admits_columns(&group.tlp, &group.shared_with_orgs, &group.named_readers)? {
            admitted += n;
        }
    }
    Ok((admitted, read))
}

/// The number of rows per key and marking, of a query that selects `key`,
/// the three marking columns and `n`.
#[derive(Debug, FromQueryResult)]
struct KeyedCount {
    key: Option<String>,
    tlp: String,
    shared_with_orgs: String,
    named_readers: String,
    n: i64,
}

/// Per key, how many rows of `grouped` the reader may read: `grouped`
/// selects `key` (text or NULL), the marking columns and the count `n`,
/// grouped by the key and the marking.
pub(crate) async fn readable_per_key(
    connection: &DatabaseConnection,
    grouped: SelectStatement,
    reader: &Readable<'_>,
) -> Result<BTreeMap<Option<String>, u64>, StoreError> {
    let mut counts = BTreeMap::new();
    for row in connection.query_all(&grouped).await? {
        let group = KeyedCount::from_query_result(&row, "")?;
        if reader.admits_columns(&group.tlp, &group.shared_with_orgs, &group.named_readers)? {
            *counts.entry(group.key).or_default() += u64::try_from(group.n).unwrap_or(0);
        }
    }
    Ok(counts)
}

/// The UTC day (days since the Unix epoch, rounded down) of a time column,
/// as SQL for both databases: their division rounds toward zero, which
/// is the same for every time from 1970 on.
pub(crate) fn day_of(column: &str) -> Expr {
    Expr::cust(day_sql(column))
}

/// [`day_of`] as SQL text.
pub(crate) fn day_sql(column: &str) -> String {
    format!(
        "CASE WHEN {column} >= 0 THEN {column} / {DAY_US} ELSE ({column} + 1) / {DAY_US} - 1 END"
    )
}

/// A time range cut for a per-day tally: the whole UTC days the tally
/// answers, and the rest, counted from the rows themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DayCut {
    /// Whole days from the first, up to the end (excluded) when the range
    /// has one.
    pub days: Option<(i64, Option<i64>)>,
    /// The parts outside those days, each from a time up to another
    /// (excluded) or without end.
    pub rest: Vec<(i64, Option<i64>)>,
}

/// Cuts `[from_us, to_us)` (no end when `to_us` is `None`) into whole days
/// from day 1 on and the rest: a tally's day 0 also holds times before
/// 1970 (see `alert_tallies`), so those are always counted from the rows.
pub(crate) fn cut_days(from_us: i64, to_us: Option<i64>) -> DayCut {
    let rows_only = DayCut {
        days: None,
        rest: vec![(from_us, to_us)],
    };
    let start = from_us.max(DAY_US);
    let first = start / DAY_US + i64::from(start % DAY_US != 0);
    let Some(first_us) = first.checked_mul(DAY_US) else {
        return rows_only;
    };
    let head = (from_us < first_us).then_some((from_us, Some(first_us)));
    let Some(to_us) = to_us else {
        return DayCut {
            days: Some((first, None)),
            rest: head.into_iter().collect(),
        };
    };
    let end = to_us.div_euclid(DAY_US);
    if end <= first {
        return rows_only;
    }
    let end_us = end * DAY_US;
    let tail = (end_us < to_us).then_some((end_us, Some(to_us)));
    DayCut {
        days: Some((first, Some(end))),
        rest: head.into_iter().chain(tail).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_cut_into_days_keeps_every_instant_once() {
        let day = |d: i64| d * DAY_US;

        let aligned = cut_days(day(10), Some(day(40)));
        assert_eq!(aligned.days, Some((10, Some(40))));
        assert!(aligned.rest.is_empty());

        let ragged = cut_days(day(10) + 5, Some(day(40) + 7));
        assert_eq!(ragged.days, Some((11, Some(40))));
        assert_eq!(
            ragged.rest,
            [(day(10) + 5, Some(day(11))), (day(40), Some(day(40) + 7))]
        );

        let open = cut_days(day(10) + 5, None);
        assert_eq!(open.days, Some((11, None)));
        assert_eq!(open.rest, [(day(10) + 5, Some(day(11)))]);

        let within_a_day = cut_days(day(10) + 5, Some(day(11) + 3));
        assert_eq!(within_a_day.days, None);
        assert_eq!(within_a_day.rest, [(day(10) + 5, Some(day(11) + 3))]);

        // Day 0 of a tally also holds the last day before 1970.
        let early = cut_days(-day(3), None);
        assert_eq!(early.days, Some((1, None)));
        assert_eq!(early.rest, [(-day(3), Some(day(1)))]);

        let far = cut_days(i64::MAX - 5, None);
        assert_eq!(far.days, None);
        assert_eq!(far.rest, [(i64::MAX - 5, None)]);
        assert_eq!(cut_days(i64::MIN, Some(i64::MIN + 1)).days, None);
    }
}
