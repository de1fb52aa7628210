//! A batch of events into the `events` table: each key stored once, and
//! which rows were new told by the insert itself.
//!
//! Each statement inserts many rows and skips those whose key is stored
//! already, so no query for the batch's keys goes before it. Keys repeated
//! inside the batch are settled here first: the first place of a key is
//! the one inserted, later places are duplicates, so the answer per event
//! stays exact. Which inserted rows were new is learnt per database:
//!
//! - PostgreSQL returns the keys it stored (`RETURNING`); a key another
//!   writer stored in between counts as the duplicate it is.
//! - SQLite counts the rows it stored. All or none tells every outcome at
//!   once; only a batch with both reads the new keys back, by rowid (see
//!   [`sqlite_stored`]). Returning every key would cost SQLite's writer
//!   thread a row handed to the caller per event, in a batch that is
//!   nearly always all new.
//!
//! The statements are built before the caller takes the audit lock, so
//! one batch's binding overlaps the write of the batch before it.

use std::collections::HashSet;
use std::fmt::Write;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, Value};

use super::{NewEvent, Stored};
use crate::StoreError;

/// The columns in the order each row's values are bound (see [`bind_row`]).
const COLUMNS: &str = "dedup_key, event_id, vehicle_id, source, kind, vehicle_time_us, \
                       received_time_us, ecu, build_id, attributes";
const COLUMN_COUNT: usize = 10;

/// The most rows one statement carries: 10,240 parameters, within the
/// 32,766 SQLite allows and the 65,535 of PostgreSQL.
const MAX_ROWS: usize = 1_024;

/// A batch bound into its insert statements.
pub(crate) struct PreparedInsert<'a> {
    events: &'a [NewEvent],
    /// The place of the first event of each key, in batch order.
    firsts: Vec<usize>,
    statements: Vec<Statement>,
}

/// What the insert did.
pub(crate) struct Inserted {
    /// The outcome of each event, in batch order.
    pub(crate) outcomes: Vec<Stored>,
    /// The keys stored, in batch order (for the audit entry).
    pub(crate) fresh_keys: Vec<String>,
}

impl<'a> PreparedInsert<'a> {
    pub(crate) fn new(backend: DbBackend, events: &'a [NewEvent]) -> Self {
        let firsts = first_places(events);
        let mut statements = Vec::new();
        let mut rest = firsts.as_slice();
        for size in chunk_sizes(firsts.len()) {
            let (chunk, later) = rest.split_at(size);
            statements.push(insert_statement(backend, events, chunk));
            rest = later;
        }
        Self {
            events,
            firsts,
            statements,
        }
    }

    /// Runs the statements in the caller's transaction.
    pub(crate) async fn execute(self, txn: &DatabaseTransaction) -> Result<Inserted, StoreError> {
        let stored = match txn.get_database_backend() {
            DbBackend::Postgres => postgres_stored(txn, self.statements).await?,
            _ => sqlite_stored(txn, self.statements, self.firsts.len()).await?,
        };

        let mut outcomes = vec![Stored::Duplicate; self.events.len()];
        let mut fresh_keys = Vec::new();
        for place in self.firsts {
            let key = &self.events[place].dedup_key;
            if stored.holds(key) {
                outcomes[place] = Stored::Accepted;
                fresh_keys.push(key.clone());
            }
        }
        Ok(Inserted {
            outcomes,
            fresh_keys,
        })
    }
}

/// Which of the keys offered the statements stored.
enum StoredKeys {
    All,
    None,
    These(HashSet<String>),
}

impl StoredKeys {
    fn holds(&self, key: &str) -> bool {
        match self {
            StoredKeys::All => true,
            StoredKeys::None => false,
            StoredKeys::These(keys) => keys.contains(key),
        }
    }
}

async fn postgres_stored(
    txn: &DatabaseTransaction,
    statements: Vec<Statement>,
) -> Result<StoredKeys, StoreError> {
    let mut stored = HashSet::new();
    for statement in statements {
        for row in txn.query_all_raw(statement).await? {
            stored.insert(row.try_get::<String>("", "dedup_key")?);
        }
    }
    Ok(StoredKeys::These(stored))
}

/// SQLite gives each new row of a rowid table the largest rowid so far
/// plus one, and the rows come in while this transaction holds the
/// database's only write lock: the rows past the largest rowid from before
/// the insert are exactly the ones it stored. (Past the largest possible
/// rowid SQLite would pick rowids at random; that is nine quintillion
/// events away, but refused rather than answered wrongly.)
async fn sqlite_stored(
    txn: &DatabaseTransaction,
    statements: Vec<Statement>,
    offered: usize,
) -> Result<StoredKeys, StoreError> {
    let before = largest_rowid(txn).await?;
    if before > i64::MAX - offered as i64 {
        let reason = "the events table has no rowids left for this batch";
        return Err(StoreError::Refused(reason.to_owned()));
    }

    let mut stored = 0;
    for statement in statements {
        stored += txn.execute_raw(statement).await?.rows_affected();
    }

    match stored {
        0 => Ok(StoredKeys::None),
        all if all == offered as u64 => Ok(StoredKeys::All),
        _ => Ok(StoredKeys::These(keys_after(txn, before).await?)),
    }
}

async fn largest_rowid(txn: &DatabaseTransaction) -> Result<i64, StoreError> {
    let query = Statement::from_string(
        DbBackend::Sqlite,
        "SELECT coalesce(max(rowid), 0) AS largest FROM events",
    );
    match txn.query_one_raw(query).await? {
        Some(row) => Ok(row.try_get::<i64>("", "largest")?),
        None => Ok(0),
    }
}

async fn keys_after(txn: &DatabaseTransaction, rowid: i64) -> Result<HashSet<String>, StoreError> {
    let query = Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "SELECT dedup_key FROM events WHERE rowid > ?",
        [Value::BigInt(Some(rowid))],
    );
    let mut keys = HashSet::new();
    for row in txn.query_all_raw(query).await? {
        keys.insert(row.try_get::<String>("", "dedup_key")?);
    }
    Ok(keys)
}

/// The place of the first event of each key: a later event with the same
/// key is a duplicate of it, whatever the store holds.
fn first_places(events: &[NewEvent]) -> Vec<usize> {
    let mut seen = HashSet::with_capacity(events.len());
    events
        .iter()
        .enumerate()
        .filter(|(_, event)| seen.insert(event.dedup_key.as_str()))
        .map(|(place, _)| place)
        .collect()
}

/// How many rows each statement of a batch carries: full statements of
/// [`MAX_ROWS`], then the rest in falling powers of two, so that a
/// connection prepares at most eleven statement shapes and reuses them
/// for every batch instead of preparing one for each remainder.
fn chunk_sizes(rows: usize) -> Vec<usize> {
    let mut sizes = vec![MAX_ROWS; rows / MAX_ROWS];
    let mut rest = rows % MAX_ROWS;
    let mut size = MAX_ROWS / 2;
    while rest > 0 {
        if rest >= size {
            sizes.push(size);
            rest -= size;
        }
        size /= 2;
    }
    sizes
}

fn insert_statement(backend: DbBackend, events: &[NewEvent], places: &[usize]) -> Statement {
    let mut values = Vec::with_capacity(places.len() * COLUMN_COUNT);
    for &place in places {
        bind_row(&events[place], &mut values);
    }
    Statement::from_sql_and_values(backend, insert_sql(backend, places.len()), values)
}

fn bind_row(event: &NewEvent, values: &mut Vec<Value>) {
    values.extend([
        Value::String(Some(event.dedup_key.clone())),
        Value::String(event.event_id.clone()),
        Value::String(event.vehicle_id.clone()),
        Value::String(Some(event.source.clone())),
        Value::String(Some(event.kind.clone())),
        Value::BigInt(event.vehicle_time_us),
        Value::BigInt(Some(event.received_time_us)),
        Value::String(event.ecu.clone()),
        Value::String(event.build_id.clone()),
        Value::String(Some(event.attributes.clone())),
    ]);
}

/// An insert of `rows` rows that skips stored keys (and on PostgreSQL
/// returns the keys it stored).
///
/// SQLite gets `INSERT OR IGNORE` rather than `ON CONFLICT DO NOTHING`:
/// with the latter the table's NOT NULL constraints still abort, and a
/// multi-row statement that may abort keeps a statement journal, a
/// temporary file holding the original of every page the statement
/// changes. `OR IGNORE` would also skip a row breaking NOT NULL, which no
/// row here can: every NOT NULL column is bound from a field `NewEvent`
/// cannot leave out, and the key is the table's only unique constraint.
/// So on both databases a row not stored is a key already stored.
fn insert_sql(backend: DbBackend, rows: usize) -> String {
    let postgres = backend == DbBackend::Postgres;
    let mut sql = String::with_capacity(160 + rows * COLUMN_COUNT * 8);
    sql.push_str(if postgres {
        "INSERT INTO events ("
    } else {
        "INSERT OR IGNORE INTO events ("
    });
    sql.push_str(COLUMNS);
    sql.push_str(") VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        push_placeholders(&mut sql, postgres, row * COLUMN_COUNT);
    }
    if postgres {
        sql.push_str(" ON CONFLICT (dedup_key) DO NOTHING RETURNING dedup_key");
    }
    sql
}

/// `(?, ?, ...)` on SQLite, `($n, $n+1, ...)` on PostgreSQL.
fn push_placeholders(sql: &mut String, postgres: bool, first: usize) {
    sql.push('(');
    for column in 0..COLUMN_COUNT {
        if column > 0 {
            sql.push_str(", ");
        }
        if postgres {
            // Writing into a String cannot fail.
            let _ = write!(sql, "${}", first + column + 1);
        } else {
            sql.push('?');
        }
    }
    sql.push(')');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_row_in_few_shapes() {
        for rows in [0, 1, 7, 1_023, 1_024, 1_025, 5_000, 10_000] {
            let sizes = chunk_sizes(rows);
            assert_eq!(sizes.iter().sum::<usize>(), rows, "{rows} rows");
            assert!(
                sizes
                    .iter()
                    .all(|size| size.is_power_of_two() && *size <= MAX_ROWS)
            );
        }
        assert_eq!(
            chunk_sizes(5_000),
            [1_024, 1_024, 1_024, 1_024, 512, 256, 128, 8]
        );
    }

    #[test]
    fn placeholders_count_every_column_of_every_row() {
        let sqlite = insert_sql(DbBackend::Sqlite, 3);
        assert_eq!(sqlite.matches('?').count(), 3 * COLUMN_COUNT);
        assert!(sqlite.starts_with("INSERT OR IGNORE INTO events ("));
        assert!(!sqlite.contains("RETURNING"));

        let postgres = insert_sql(DbBackend::Postgres, 3);
        assert!(postgres.contains("($21, $22, $23, $24, $25, $26, $27, $28, $29, $30)"));
        assert!(!postgres.contains("$31"));
        assert!(postgres.ends_with("ON CONFLICT (dedup_key) DO NOTHING RETURNING dedup_key"));
    }

    #[test]
    fn a_key_counts_at_its_first_place_only() {
        let event = |key: &str| NewEvent {
            dedup_key: key.to_owned(),
            event_id: None,
            vehicle_id: None,
            source: "ids".to_owned(),
            kind: "k".to_owned(),
            vehicle_time_us: None,
            received_time_us: 0,
            ecu: None,
            build_id: None,
            attributes: "{}".to_owned(),
        };
        let events = [event("a"), event("b"), event("a"), event("c"), event("b")];
        assert_eq!(first_places(&events), [0, 1, 3]);
    }
}
