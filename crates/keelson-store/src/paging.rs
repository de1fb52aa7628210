//! Keyset pages: a page starts after the last row of the page before,
//! named by its sort key (a time, then the row's key), so reading page 1,000
//! costs what reading page 1 does and a row that arrives meanwhile moves no
//! row to another page. Events, quarantined records, alerts and incidents
//! all page this way. Counts shown beside the alert and incident lists are
//! capped for the same reason.

use std::future::Future;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{ColumnTrait, Condition};

use crate::StoreError;

/// Counts beside a list stop here: beyond it the page says "more than".
pub const COUNT_CAP: u64 = 10_000;

/// Where a page starts: the sort key (time, then the row's key) of the
/// last row of the page before, as opaque URL-safe text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    at_us: i64,
    key: String,
}

impl Cursor {
    pub(crate) fn new(at_us: i64, key: &str) -> Self {
        Cursor {
            at_us,
            key: key.to_owned(),
        }
    }

    /// The row key the page before ended on.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The text a page gives as `next`.
    pub fn encode(&self) -> String {
        let pair = serde_json::json!([self.at_us, self.key]).to_string();
        URL_SAFE_NO_PAD.encode(pair)
    }

    /// Reads back a `next` value; anything else is `Invalid`.
    pub fn decode(text: &str) -> Result<Cursor, StoreError> {
        let bad = || StoreError::invalid("cursor", "not a cursor this list gave");
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let (at_us, key): (i64, String) = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        Ok(Cursor { at_us, key })
    }
}

/// Rows sorting after the cursor in descending (time, key) order.
pub(crate) fn before<C: ColumnTrait>(time: C, key: C, cursor: &Cursor) -> Condition {
    Condition::any().add(time.lt(cursor.at_us)).add(
        Condition::all()
            .add(time.eq(cursor.at_us))
            .add(key.lt(cursor.key.as_str())),
    )
}

/// Rows sorting after the cursor in ascending (time, key) order.
pub(crate) fn after<C: ColumnTrait>(time: C, key: C, cursor: &Cursor) -> Condition {
    Condition::any().add(time.gt(cursor.at_us)).add(
        Condition::all()
            .add(time.eq(cursor.at_us))
            .add(key.gt(cursor.key.as_str())),
    )
}

/// One page of a list, and where the next starts (`None` on the last).
#[derive(Debug, Clone, PartialEq)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

/// A count beside a list: exact up to [`COUNT_CAP`], else "more than".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CappedCount {
    pub count: u64,
    /// More rows match than `count` says.
    pub more: bool,
}

/// Fills a page of `limit` rows the reader may read: `fetch` reads up to
/// `n` rows after a cursor in list order, each with its own position, and
/// `admits` is the exact clearance rule for the rows the SQL condition let
/// through. Reads again when refused rows left the page short.
pub(crate) async fn fill_page<T, F, Fut>(
    limit: usize,
    after: Option<Cursor>,
    mut fetch: F,
    admits: impl Fn(&T) -> bool,
) -> Result<ListPage<T>, StoreError>
where
    F: FnMut(Option<Cursor>, u64) -> Fut,
    Fut: Future<Output = Result<Vec<(Cursor, T)>, StoreError>>,
{
    let limit = limit.max(1);
    let mut items = Vec::with_capacity(limit + 1);
    let mut position = after;
    loop {
        let wanted = limit + 1 - items.len();
        let rows = fetch(position.clone(), wanted as u64).await?;
        let exhausted = rows.len() < wanted;
        for (place, row) in rows {
            if admits(&row) {
                items.push((place.clone(), row));
            }
            position = Some(place);
        }

        if items.len() > limit {
            items.truncate(limit);
            let next = items.last().map(|(place, _)| place.clone());
            let items = items.into_iter().map(|(_, row)| row).collect();
            return Ok(ListPage { items, next });
        }
        if exhausted {
            let items = items.into_iter().map(|(_, row)| row).collect();
            return Ok(ListPage { items, next: None });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_page_refills_past_refused_rows_and_ends_where_the_rows_do() {
        // Ten rows seen at 100, 99, ... 91; every third one is refused.
        let rows: Vec<(Cursor, bool)> = (0..10)
            .map(|n| (Cursor::new(100 - n, &format!("row{n}")), n % 3 != 0))
            .collect();
        let fetch = |after: Option<Cursor>, n: u64| {
            let start = after.map_or(0, |after| {
                rows.iter().take_while(|(place, _)| *place != after).count() + 1
            });
            let found: Vec<_> = rows.iter().skip(start).take(n as usize).cloned().collect();
            async move { Ok(found) }
        };
        let admitted = |row: &bool| *row;

        let first = fill_page(4, None, fetch, admitted).await.expect("page");
        assert_eq!(first.items.len(), 4);
        assert_eq!(first.next, Some(Cursor::new(95, "row5")));

        let second = fill_page(4, first.next, fetch, admitted)
            .await
            .expect("page");
        assert_eq!(
            second.items.len(),
            2,
            "93 and 92 are left, 94 and 91 refused"
        );
        assert_eq!(second.next, None);
    }
}
