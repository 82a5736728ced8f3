//! `SqlStore`: one implementation of the store traits over sqlx's `Any` driver. The SQL is
//! written once in the subset SQLite and PostgreSQL share (`$n` placeholders, BIGINT times in
//! milliseconds, TEXT everything else); only connection setup and migrations differ.

mod agents;
mod billing;
mod catalog;
mod idempotency;
mod lifecycle;
mod lite;
mod numbers;
mod reconcile;
mod sip_trunks;
mod workspaces;

use crate::{StoreError, StoreResult};
use async_trait::async_trait;
use jiff::Timestamp;
pub(crate) use lite::{Arg, bind_sqlx};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[cfg(feature = "testing")]
pub(crate) fn postgres_migrations() -> &'static [sqlx::migrate::Migration] {
    &POSTGRES_MIGRATIONS.migrations
}

/// WAL lets readers run beside the writer; NORMAL sync is durable across process crashes
/// (only an OS crash can lose the last commits); the busy timeout covers other processes
/// (the CLI, a second server) holding the write lock.
const SQLITE_PRAGMAS: &[&str] = &[
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA foreign_keys = ON",
    // Statement and savepoint journals (every write of a group commit runs in a savepoint)
    // in memory: past 64 KB SQLite would spill them to a temporary file and from then on
    // copy every page a write first touches there with a system call of its own, a third of
    // the writer's time in a burst of purchases (BENCHMARKS.md).
    "PRAGMA temp_store = MEMORY",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `sqlite://path/to/file.db` (created if missing) or `postgres://…`.
    pub url: String,
    pub max_connections: u32,
    /// How long a request waits for a connection before the store answers `Unavailable`.
    pub acquire_timeout: Duration,
}

impl StoreOptions {
    pub fn new(url: impl Into<String>) -> Self {
        StoreOptions {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SqlStore {
    backend: Backend,
    /// Reads go here.
    read: AnyPool,
    /// Writes go here. On SQLite it holds a single connection: SQLite allows one writer at a
    /// time anyway, and queueing in the pool is fairer and cheaper than busy-waiting on locks.
    write: AnyPool,
    /// On a SQLite file: the hot paths through rusqlite on the calling thread (`lite.rs`).
    lite: Option<std::sync::Arc<lite::Lite>>,
}

impl SqlStore {
    pub async fn connect(options: &StoreOptions) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let backend =
            if options.url.starts_with("postgres://") || options.url.starts_with("postgresql://") {
                Backend::Postgres
            } else if options.url.starts_with("sqlite:") {
                Backend::Sqlite
            } else {
                return Err(StoreError::Other(
                    "the database URL must start with sqlite:// or postgres://".into(),
                ));
            };
        let pool = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(options.acquire_timeout)
                // A local SQLite connection does not go stale; pinging it on every acquire is a
                // round trip to its worker thread for nothing. PostgreSQL keeps the check.
                .test_before_acquire(backend == Backend::Postgres)
                .after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            for pragma in SQLITE_PRAGMAS {
                                conn.execute(*pragma).await?;
                            }
                        }
                        Ok(())
                    })
                })
        };
        match backend {
            Backend::Sqlite => {
                let url = sqlite_url(&options.url);
                // The writer first: it creates the file, so readers never race to create it.
                let write = pool(1).connect(&url).await.map_err(map_err)?;
                let lite =
                    lite::Lite::for_url(&options.url, write.clone()).map(std::sync::Arc::new);
                let read = pool(options.max_connections.max(2))
                    .connect(&url)
                    .await
                    .map_err(map_err)?;
                Ok(SqlStore {
                    backend,
                    read,
                    write,
                    lite,
                })
            }
            Backend::Postgres => {
                let pool = pool(options.max_connections)
                    .connect(&options.url)
                    .await
                    .map_err(map_err)?;
                Ok(SqlStore {
                    backend,
                    read: pool.clone(),
                    write: pool,
                    lite: None,
                })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// One row of a hot-path read: in place through rusqlite on a SQLite file, through the
    /// read pool otherwise. `sql` is written for both (`$n` placeholders).
    pub(crate) async fn read_optional<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        map: impl Fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        if let Some(lite) = &self.lite {
            return lite.fetch_optional(sql, args, map);
        }
        let row = bind_sqlx(sql, args)
            .fetch_optional(&self.read)
            .await
            .map_err(map_err)?;
        row.as_ref().map(|r| map(r)).transpose()
    }

    /// Every row of a hot-path read; see [`SqlStore::read_optional`].
    pub(crate) async fn read_all<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        map: impl Fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        if let Some(lite) = &self.lite {
            return lite.fetch_all(sql, args, map);
        }
        let rows = bind_sqlx(sql, args)
            .fetch_all(&self.read)
            .await
            .map_err(map_err)?;
        rows.iter().map(|r| map(r)).collect()
    }

    /// On a SQLite file, run `f` through rusqlite as one all-or-nothing part of the next
    /// group commit (`lite.rs`); `None` on PostgreSQL, where the caller uses sqlx.
    pub(crate) async fn lite_write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> StoreResult<T> + Send + 'static,
    ) -> Option<StoreResult<T>> {
        Some(self.lite.as_ref()?.write(f).await)
    }

    /// Apply pending migrations. Safe to run from several processes at once: PostgreSQL
    /// serialises them with an advisory lock, SQLite with its write lock.
    pub async fn migrate(&self) -> StoreResult<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.write)
            .await
            .map_err(|e| StoreError::Other(format!("migration failed: {e}")))
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// `sqlite://file.db` → `sqlite://file.db?mode=rwc` so a missing file is created.
fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

#[async_trait]
impl crate::Store for SqlStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn change_token(&self) -> StoreResult<Option<u64>> {
        self.lite
            .as_ref()
            .map(|lite| lite.data_version())
            .transpose()
    }
}

/// Connection-level failures become `Unavailable` (503), everything else `Other` (500).
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
        sqlx::Error::Database(db) if is_connection_error(db.code().as_deref()) => {
            StoreError::Unavailable(e.to_string())
        }
        sqlx::Error::RowNotFound => StoreError::NotFound,
        _ => StoreError::Other(e.to_string()),
    }
}

/// PostgreSQL class 08 (connection exception), 57P01..03 (shutdown), SQLite BUSY/LOCKED.
fn is_connection_error(code: Option<&str>) -> bool {
    matches!(code, Some(c) if c.starts_with("08") || c.starts_with("57P") || c == "5" || c == "6")
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

pub(crate) const INSERT_EVENT: &str = "INSERT INTO outbox (id, workspace_id, event_type, \
     payload, created_at) VALUES ($1, $2, $3, $4, $5)";

/// The arguments of [`INSERT_EVENT`]; `payload` is the event's JSON, serialised by the caller.
pub(crate) fn event_args<'a>(
    workspace: &'a str,
    event: &'a crate::NewEvent,
    payload: &'a str,
    at: Timestamp,
) -> [Arg<'a>; 5] {
    [
        Arg::Text(event.id.as_str()),
        Arg::Text(workspace),
        Arg::Text(&event.event_type),
        Arg::Text(payload),
        Arg::Int(ms(at)),
    ]
}

/// Write an outbox event inside the transaction of the change that causes it.
pub(crate) async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    workspace: &str,
    event: &crate::NewEvent,
    at: Timestamp,
) -> StoreResult<()> {
    let payload = event.payload.to_string();
    bind_sqlx(INSERT_EVENT, &event_args(workspace, event, &payload, at))
        .execute(&mut **tx)
        .await
        .map_err(map_err)?;
    Ok(())
}

pub(crate) fn ms(ts: Timestamp) -> i64 {
    ts.as_millisecond()
}

pub(crate) fn ts(ms: i64) -> StoreResult<Timestamp> {
    Timestamp::from_millisecond(ms)
        .map_err(|e| StoreError::Other(format!("bad timestamp {ms}: {e}")))
}

pub(crate) fn opt_ts(ms: Option<i64>) -> StoreResult<Option<Timestamp>> {
    ms.map(ts).transpose()
}

/// Read a column and parse it into a domain type; a value that does not parse means the row
/// was written by something other than this code, which is an internal error.
pub(crate) fn col<T: FromStr>(row: &AnyRow, name: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    let raw: String = row.try_get(name).map_err(map_err)?;
    raw.parse()
        .map_err(|e| StoreError::Other(format!("column {name}: {e}")))
}

pub(crate) fn get<'r, T>(row: &'r AnyRow, name: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(name).map_err(map_err)
}

/// A result row read by column position, from either driver: the hot-path mappings
/// (`number_from_row`, `workspace_from_row`) run on sqlx's rows and on rusqlite's alike.
pub(crate) trait Columns {
    fn text(&self, i: usize) -> StoreResult<String>;
    fn opt_text(&self, i: usize) -> StoreResult<Option<String>>;
    fn int(&self, i: usize) -> StoreResult<i64>;
    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>>;
}

impl Columns for AnyRow {
    fn text(&self, i: usize) -> StoreResult<String> {
        self.try_get(i).map_err(map_err)
    }
    fn opt_text(&self, i: usize) -> StoreResult<Option<String>> {
        self.try_get(i).map_err(map_err)
    }
    fn int(&self, i: usize) -> StoreResult<i64> {
        self.try_get(i).map_err(map_err)
    }
    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>> {
        self.try_get(i).map_err(map_err)
    }
}

/// Column `i` parsed into a domain type (see [`col`]); `name` is for the error.
pub(crate) fn parse_at<T: FromStr>(row: &dyn Columns, i: usize, name: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    row.text(i)?
        .parse()
        .map_err(|e| StoreError::Other(format!("column {name}: {e}")))
}
