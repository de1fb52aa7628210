//! Keelson's persistence: one interface, two back ends.
//!
//! [`Store`] is the only way the server and the CLI reach records. It opens
//! SQLite in the data folder (the embedded default) or PostgreSQL from a
//! `postgres://` URL, applies the migrations on open, and offers domain
//! operations (accounts, tokens, sessions, the audit chain, the fleet,
//! detection rules and alerts, incidents with their playbook runs and
//! evidence, PSIRT cases and disclosures, VEX statements, TARAs, threat
//! intelligence) rather than SQL. Queries are written once with sea-orm's builder, which renders
//! them for either database; backend-specific are only the audit chain's lock and the text of
//! the telemetry insert (`telemetry::insert`), the one hot path written as SQL.
//!
//! **Invariant:** every change of state goes through a method that appends
//! its audit entry in the same transaction as the change.

mod alert_tallies;
pub mod alerts;
pub mod audit;
pub mod bulk;
pub mod cases;
pub mod dashboards;
pub mod disclosures;
mod entity;
mod error;
pub mod evidence;
pub mod feeds;
pub mod fleet;
pub mod incidents;
pub mod installations;
pub mod intel;
pub mod log_requests;
pub mod marking;
mod migration;
pub mod paging;
pub mod playbooks;
pub mod readable;
pub mod replay;
pub mod reports;
pub mod retention;
pub mod rules;
pub mod sboms;
pub mod security_findings;
pub mod sessions;
pub mod suppliers;
pub mod tally;
pub mod tara;
pub mod telemetry;
pub mod testing;
pub mod tokens;
pub mod uploads;
pub mod users;
pub mod vex;
pub mod webhooks;
pub mod widget_counts;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectOptions, ConnectionTrait, Database,
    DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, IntoActiveModel,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tokio::sync::Mutex;

pub use audit::{AuditEntry, AuditEvent, ChainReport};
pub use error::{ErrorKind, StoreError};

/// Which database to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// SQLite in `DIR/keelson.sqlite3`; the folder is created if needed.
    DataDir(PathBuf),
    /// A PostgreSQL URL (`postgres://...`).
    Postgres(String),
}

impl StoreLocation {
    /// The location a `--database` URL or a `--data-dir` folder names.
    pub fn from_options(database: Option<&str>, data_dir: &Path) -> Self {
        match database {
            Some(url) => StoreLocation::Postgres(url.to_owned()),
            None => StoreLocation::DataDir(data_dir.to_owned()),
        }
    }

    /// A description safe to print: the password of a URL is masked.
    pub fn describe(&self) -> String {
        match self {
            StoreLocation::DataDir(dir) => format!("sqlite:{}", sqlite_file(dir).display()),
            StoreLocation::Postgres(url) => mask_url_password(url),
        }
    }
}

/// The handle on the open store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// Where telemetry batches are written. On SQLite a connection of its
    /// own: SQLite drops a connection's whole page cache when another
    /// connection wrote since its last transaction, and the pool hands out
    /// its connections in turn, so batches written through the pool would
    /// read every index page they touch again. On PostgreSQL the pool.
    writer: DatabaseConnection,
    /// Serialises appends to the audit chain (and the webhook delivery
    /// records written beside them) within this process; the database lock
    /// taken inside the transaction covers other processes.
    audit_lock: Arc<Mutex<()>>,
}

impl Store {
    /// Opens the store and applies every pending migration.
    pub async fn open(location: &StoreLocation) -> Result<Self, StoreError> {
        let url = match location {
            StoreLocation::DataDir(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                    path: dir.clone(),
                    source,
                })?;
                format!("sqlite://{}?mode=rwc", sqlite_file(dir).display())
            }
            StoreLocation::Postgres(url) => url.clone(),
        };
        let db = Database::connect(connect_options(url.clone(), ConnectionUse::Pool)).await?;
        prepare_connection(&db).await?;
        migration::Migrator::up(&db, None).await?;
        let writer = match location {
            StoreLocation::DataDir(_) => {
                Database::connect(connect_options(url, ConnectionUse::TelemetryWriter)).await?
            }
            StoreLocation::Postgres(_) => db.clone(),
        };
        Ok(Self {
            db,
            writer,
            audit_lock: Arc::new(Mutex::new(())),
        })
    }

    /// Whether the database answers a trivial query (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await?;
        Ok(())
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        match self.db.get_database_backend() {
            DbBackend::Postgres => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }

    /// Closes the pool, waiting for connections to return.
    pub async fn close(self) -> Result<(), StoreError> {
        if self.backend() == Backend::Sqlite {
            self.writer.close().await?;
        }
        self.db.close().await?;
        Ok(())
    }

    pub(crate) fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The connection telemetry batches are written on (see `writer`).
    pub(crate) fn telemetry_writer(&self) -> &DatabaseConnection {
        &self.writer
    }

    /// Inserts one row and its `<type>.create` audit entry in one transaction.
    pub(crate) async fn insert_audited<A>(&self, created: Created, row: A) -> Result<(), StoreError>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        let _turn = self.audit_lock.lock().await;
        let txn = self.db.begin().await?;
        insert_row_audited(&txn, created, row).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Inserts a row and appends its creation to the audit chain, in the
/// caller's transaction (which must hold the audit lock).
pub(crate) async fn insert_row_audited<A>(
    txn: &DatabaseTransaction,
    created: Created,
    row: A,
) -> Result<(), StoreError>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    <A::Entity as EntityTrait>::insert(row)
        .exec_without_returning(txn)
        .await
        .map_err(|error| StoreError::from_insert(error, created.what()))?;
    let action = format!("{}.create", created.object_type);
    let event = AuditEvent::new(&created.actor, &action, created.object_type, &created.id)
        .after(created.state);
    audit::append(txn, event).await?;
    Ok(())
}

/// A record about to be created, with what its audit entry needs.
pub(crate) struct Created {
    actor: String,
    object_type: &'static str,
    id: String,
    state: serde_json::Value,
}

impl Created {
    pub(crate) fn new(
        actor: &str,
        object_type: &'static str,
        id: &str,
        record: &impl serde::Serialize,
    ) -> Self {
        Self {
            actor: actor.to_owned(),
            object_type,
            id: id.to_owned(),
            state: serde_json::to_value(record).unwrap_or_default(),
        }
    }

    fn what(&self) -> String {
        format!("{} {:?}", self.object_type.replace('_', " "), self.id)
    }
}

/// Values per `IN (...)` list in one statement: well inside every
/// backend's limit on bound parameters.
pub(crate) const IN_CHUNK: usize = 500;

/// The database behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The SQLite file inside a data folder.
pub fn sqlite_file(data_dir: &Path) -> PathBuf {
    data_dir.join("keelson.sqlite3")
}

/// What a set of connections is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnectionUse {
    /// Every read and most writes.
    Pool,
    /// The one SQLite connection telemetry batches are written on.
    TelemetryWriter,
}

/// Pages of SQLite's write-ahead log after which a commit copies them back
/// into the database file. A batch of 5,000 events from a thousand vehicles
/// writes several hundred to over a thousand pages (a leaf of the
/// per-vehicle index for each vehicle, besides the table and its other
/// indexes), so at SQLite's default of 1,000 (4 MB) a checkpoint followed
/// nearly every batch; at 8,192 (32 MB) one comes every several batches
/// and copies a page they all rewrote once. Durability is the same: a
/// commit is on disk in the log either way.
const SQLITE_WAL_AUTOCHECKPOINT_PAGES: &str = "8192";

/// The telemetry writer's page cache, in KiB (SQLite's unit when negative):
/// enough for the index pages a large batch touches, so a batch neither
/// spills dirty pages into the log before its commit nor reads them back.
/// The pool's connections keep SQLite's default of 2 MB each.
const SQLITE_WRITER_CACHE_KIB: &str = "-65536";

/// Rows the SQLite connection's thread may hand back before the caller
/// takes them: enough for the keys a mixed batch reads back (see
/// `telemetry::insert`), where sqlx's default of 50 makes the two threads
/// wake each other for every 50 rows.
const SQLITE_WRITER_ROW_BUFFER: usize = 2_048;

fn connect_options(url: String, purpose: ConnectionUse) -> ConnectOptions {
    let is_sqlite = url.starts_with("sqlite:");
    let connections = match (is_sqlite, purpose) {
        (_, ConnectionUse::TelemetryWriter) => 1,
        (true, ConnectionUse::Pool) => 4,
        (false, ConnectionUse::Pool) => 16,
    };
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(connections)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    if is_sqlite {
        options.map_sqlx_sqlite_opts(move |sqlite| {
            let sqlite = sqlite.pragma("wal_autocheckpoint", SQLITE_WAL_AUTOCHECKPOINT_PAGES);
            match purpose {
                ConnectionUse::TelemetryWriter => sqlite
                    .pragma("cache_size", SQLITE_WRITER_CACHE_KIB)
                    .row_buffer_size(SQLITE_WRITER_ROW_BUFFER),
                ConnectionUse::Pool => sqlite,
            }
        });
    }
    options
}

/// SQLite needs WAL (readers do not block the writer) and a busy timeout
/// (a second writer waits instead of failing).
async fn prepare_connection(db: &DatabaseConnection) -> Result<(), StoreError> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000;")
            .await?;
    }
    Ok(())
}

/// A URL safe to print: the password in its credentials and any
/// `password` query parameter masked.
pub fn mask_url_password(url: &str) -> String {
    let (address, query) = match url.split_once('?') {
        Some((address, query)) => (address, Some(query)),
        None => (url, None),
    };
    let address = mask_credentials(address);
    match query {
        Some(query) => format!("{address}?{}", mask_password_parameter(query)),
        None => address,
    }
}

/// `scheme://user:secret@host` with the secret masked.
fn mask_credentials(address: &str) -> String {
    let Some((scheme, rest)) = address.split_once("://") else {
        return address.to_owned();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return address.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:****@{host}"),
        None => address.to_owned(),
    }
}

/// A query string with the value of every `password` parameter masked
/// (libpq accepts the password there too).
fn mask_password_parameter(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=****"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Microseconds since the Unix epoch, the store's one time representation.
pub fn now_us() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// A store time as RFC 3339 text, for API answers.
pub fn format_us(micros: i64) -> String {
    let nanos = i128::from(micros) * 1_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|at| {
            at.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// A new random identifier (UUID v7: time-ordered, so indexes stay compact).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_password_is_masked() {
        assert_eq!(
            mask_url_password("postgres://keelson:s3cret@db:5432/k"),
            "postgres://keelson:****@db:5432/k"
        );
        assert_eq!(mask_url_password("postgres://db/k"), "postgres://db/k");
        assert_eq!(
            mask_url_password("postgres://u:pw@db/k?sslmode=require&Password=qs&x=1"),
            "postgres://u:****@db/k?sslmode=require&Password=****&x=1"
        );
    }

    #[test]
    fn store_times_format_as_rfc3339() {
        assert_eq!(format_us(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_us(1_500_000), "1970-01-01T00:00:01.5Z");
    }
}
