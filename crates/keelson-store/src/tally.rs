//! Counts over large tables for the dashboards and the lists: SQL groups
//! rows by what a chart needs *and* by marking, and the exact clearance
//! rule is then applied once per distinct marking instead of once per row.
//! A million alerts carry a few dozen distinct markings, so counting what a
//! reader may see costs one grouped scan and a few dozen checks.

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
