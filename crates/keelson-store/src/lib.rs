//! Keelson's persistence: one interface, two back ends.
//!
//! [`Store`] is the only way the server and the CLI reach records. It opens
//! SQLite in the data folder (the embedded default) or PostgreSQL from a
//! `postgres://` URL, applies the migrations on open, and offers domain
//! operations (accounts, tokens, sessions, the audit chain, the fleet,
//! detection rules and alerts, incidents with their playbook runs and
//! evidence, PSIRT cases and disclosures, VEX statements, TARAs, threat
//! intelligence) rather than SQL. Queries are written once with sea-orm's builder, which renders
//! them for either database; only the audit chain's lock is backend-specific.
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
        let db = Database::connect(connect_options(url)).await?;
        prepare_connection(&db).await?;
        migration::Migrator::up(&db, None).await?;
        Ok(Self {
            db,
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
        self.db.close().await?;
        Ok(())
    }

    pub(crate) fn connection(&self) -> &DatabaseConnection {
        &self.db
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

fn connect_options(url: String) -> ConnectOptions {
    let is_sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(if is_sqlite { 4 } else { 16 })
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
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
