//! Support for tests that need a real store: a fresh SQLite folder or a
//! fresh PostgreSQL database per test, so tests never see each other's rows.
//!
//! PostgreSQL tests run when `KEELSON_TEST_POSTGRES_URL` names a server
//! (`postgres://postgres@127.0.0.1:5432/test` on the CI machine); without it
//! they say so and skip, unless `KEELSON_REQUIRE_POSTGRES=1` makes the
//! absence a failure.

use sea_orm::{ConnectionTrait, Database};

use crate::{StoreError, StoreLocation};

pub const POSTGRES_URL_VAR: &str = "KEELSON_TEST_POSTGRES_URL";
pub const REQUIRE_POSTGRES_VAR: &str = "KEELSON_REQUIRE_POSTGRES";

/// The PostgreSQL server for tests, or `None` (after saying why) to skip.
///
/// # Panics
///
/// When no server is configured and `KEELSON_REQUIRE_POSTGRES=1`.
pub fn postgres_url() -> Option<String> {
    if let Ok(url) = std::env::var(POSTGRES_URL_VAR) {
        return Some(url);
    }
    let required = std::env::var(REQUIRE_POSTGRES_VAR).is_ok_and(|value| value == "1");
    assert!(
        !required,
        "{POSTGRES_URL_VAR} is unset and {REQUIRE_POSTGRES_VAR}=1 demands it"
    );
    eprintln!("skipping PostgreSQL test: {POSTGRES_URL_VAR} is unset");
    None
}

/// Creates an empty database on the server at `server_url` and returns the
/// location of it.
pub async fn fresh_postgres(server_url: &str) -> Result<StoreLocation, StoreError> {
    let name = format!("keelson_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(server_url).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    admin.close().await?;
    Ok(StoreLocation::Postgres(replace_database(server_url, &name)))
}

/// A fresh SQLite data folder that lives as long as the returned guard.
pub fn fresh_sqlite() -> Result<(StoreLocation, TempDir), StoreError> {
    let dir = TempDir::new()?;
    Ok((StoreLocation::DataDir(dir.path.clone()), dir))
}

/// A temporary folder removed on drop.
pub struct TempDir {
    pub path: std::path::PathBuf,
}

impl TempDir {
    pub fn new() -> Result<Self, StoreError> {
        let path = std::env::temp_dir().join(format!("keelson-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).map_err(|source| StoreError::DataDir {
            path: path.clone(),
            source,
        })?;
        Ok(Self { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |at| at + 3);
    let path_start = base[authority_end..].find('/').map(|at| at + authority_end);
    let host = path_start.map_or(base, |at| &base[..at]);
    match query {
        Some(query) => format!("{host}/{database}?{query}"),
        None => format!("{host}/{database}"),
    }
}

/// Runs each named `async fn(&Store)` of the calling module as two tests,
/// `sqlite::NAME` on a fresh SQLite folder and `postgres::NAME` on a fresh
/// PostgreSQL database (skipped without `KEELSON_TEST_POSTGRES_URL`, failing
/// with `KEELSON_REQUIRE_POSTGRES=1`). The caller needs tokio as a
/// dev-dependency.
/// Runs SQL on the store's database behind the store's back, for tests
/// that change or delete rows to show that a check notices.
pub async fn tamper(store: &crate::Store, sql: &str) -> Result<(), StoreError> {
    store.connection().execute_unprepared(sql).await?;
    Ok(())
}

/// Opens a manual, AMBER, high-severity case on CVE-2024-3094 for tests
/// that need a case to hang work on; returns its ID.
pub async fn open_test_case(store: &crate::Store, actor: &str, title: &str) -> String {
    use keelson_core::{IntakeKind, Marking, Principal, Role, Severity, SlaPolicy, Tlp};

    use crate::cases::{Intake, NewCase, Opened};

    let new = NewCase {
        title: title.to_owned(),
        intake: Intake {
            kind: IntakeKind::Manual,
            source: None,
        },
        vulnerability_ids: vec!["CVE-2024-3094".parse().expect("a CVE ID")],
        severity: Severity::High,
        owner: None,
        team: None,
        marking: Marking::new(Tlp::Amber),
        builds: Vec::new(),
    };
    let reader = Principal::new(actor, Role::PsirtEngineer, None);
    let opened = store
        .open_case(actor, &reader, &new, &SlaPolicy::default())
        .await;
    let (Opened::Created(case) | Opened::Merged(case)) = opened.expect("open a case");
    case.id
}

#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (location, _dir) =
                        $crate::testing::fresh_sqlite().expect("temp dir");
                    let store = $crate::Store::open(&location).await.expect("open sqlite");
                    super::$name(&store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(server) = $crate::testing::postgres_url() else { return };
                    let location = $crate::testing::fresh_postgres(&server)
                        .await
                        .expect("fresh database");
                    let store = $crate::Store::open(&location).await.expect("open postgres");
                    super::$name(&store).await;
                }
            )*
        }
    };
}

/// A marking of `tlp` shared with `orgs` and naming `readers`, for tests
/// that cycle records through every clearance path.
pub fn marking(tlp: keelson_core::Tlp, orgs: &[&str], readers: &[&str]) -> keelson_core::Marking {
    keelson_core::Marking {
        tlp,
        shared_with_orgs: orgs.iter().map(|org| (*org).to_owned()).collect(),
        named_readers: readers.iter().map(|reader| (*reader).to_owned()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn database_name_is_replaced_in_url() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(replace_database("postgres://h", "x"), "postgres://h/x");
        assert_eq!(
            replace_database("postgres://h/db?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
    }
}
