//! The store on a SQLite file, through rusqlite.
//!
//! Reads run on the calling thread, on a connection from a shelf of idle ones with their
//! prepared statements cached: an index lookup costs less than any hand-off to another thread
//! would. Writes go to one writer thread that commits everything waiting in one transaction
//! (group commit, `writer.rs`) and answers each write only after that commit succeeded.
//!
//! WAL with `synchronous = FULL`: a commit is on the disk when it is answered, and group commit
//! makes the one fsync per batch cheap under load.

mod agents;
mod audit;
mod billing;
mod catalog;
mod conn;
mod holds;
mod idempotency;
mod lifecycle;
mod looks;
mod monitor;
mod numbers;
mod reconcile;
mod sessions;
mod sip_trunks;
mod webhooks;
mod workspaces;
mod writer;

use crate::faults::StoreFaults;
use crate::rows::Columns;
use crate::{StoreError, StoreOptions, StoreResult, WorkspaceId};
use async_trait::async_trait;
use conn::{Args, open};
use rusqlite::Connection;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tracing::Instrument;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Every connection's settings. WAL lets readers run beside the writer; FULL makes a commit
/// durable before it returns; the busy timeout covers other processes (the CLI) holding the
/// write lock; statement and savepoint journals stay in memory (every write of a group commit
/// runs in a savepoint, and past 64 KB SQLite would spill them to a temporary file).
pub(crate) const PRAGMAS: &[&str] = &[
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA foreign_keys = ON",
    "PRAGMA temp_store = MEMORY",
];

pub(crate) struct SqliteStore {
    path: PathBuf,
    /// Idle read connections; more are opened when requests overlap.
    readers: Mutex<Vec<Connection>>,
    max_idle_readers: usize,
    /// Read connections lent to a call right now (the metrics' "in use").
    readers_lent: AtomicU64,
    /// The change token and the key revocation count, read in batches (`looks.rs`).
    looks: looks::Looks,
    writer: writer::Writer,
}

impl SqliteStore {
    pub(crate) fn open(options: &StoreOptions) -> StoreResult<Self> {
        let path = file_path(&options.url)?;
        // Creates the file and switches it to WAL before any other connection looks at it.
        drop(open(&path, false)?);
        Ok(SqliteStore {
            writer: writer::Writer::start(path.clone(), options.faults.clone())?,
            looks: looks::Looks::new(path.clone()),
            path,
            readers: Mutex::new(Vec::new()),
            readers_lent: AtomicU64::new(0),
            max_idle_readers: options.max_connections.max(2) as usize,
        })
    }

    /// Run `f` on an idle read connection (opening one if none is idle). A connection that
    /// failed is not put back: the next read opens a fresh one.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        self.read_sql(None, f)
    }

    /// [`SqliteStore::read`], its span for traces naming the statement when there is one.
    fn read_sql<T>(
        &self,
        sql: Option<&str>,
        f: impl FnOnce(&Connection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        // Debug level: off unless a trace exporter asks for it.
        let _span =
            tracing::debug_span!("store.query", db.system = "sqlite", db.statement = sql).entered();
        let idle = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open(&self.path, true)?,
        };
        self.readers_lent.fetch_add(1, Ordering::Relaxed);
        let result = f(&conn);
        self.readers_lent.fetch_sub(1, Ordering::Relaxed);
        if !matches!(result, Err(StoreError::Unavailable(_))) {
            let mut shelf = self.readers.lock().unwrap_or_else(|p| p.into_inner());
            if shelf.len() < self.max_idle_readers {
                shelf.push(conn);
            }
        }
        result
    }

    fn read_one<T>(
        &self,
        sql: &str,
        args: Args<'_>,
        map: impl Fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        self.read_sql(Some(sql), |c| conn::one(c, sql, args, map))
    }

    fn read_all<T>(
        &self,
        sql: &str,
        args: Args<'_>,
        map: impl Fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        self.read_sql(Some(sql), |c| conn::all(c, sql, args, map))
    }

    /// Run `f` as one all-or-nothing part of the next group commit; its answer comes once that
    /// commit succeeded, or as the commit's error.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        // The span covers the wait for the group commit, on the caller's task: the writer
        // thread has no trace to join.
        let span = tracing::debug_span!("store.write", db.system = "sqlite");
        self.writer.write(f).instrument(span).await
    }
}

/// The database file behind a `sqlite:` URL. An in-memory database is refused: each of the
/// store's connections would see a database of its own.
fn file_path(url: &str) -> StoreResult<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") || url.contains("mode=memory") {
        return Err(StoreError::Other(
            "an in-memory SQLite database is not supported: give a file, e.g. sqlite://dialnexa.db"
                .into(),
        ));
    }
    Ok(PathBuf::from(path))
}

#[async_trait]
impl crate::Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        self.read_one("SELECT 1", &[], |row| row.int(0)).map(drop)
    }

    async fn ready(&self) -> StoreResult<()> {
        self.ping().await?;
        let now = jiff::Timestamp::now().as_millisecond();
        self.write(move |c| conn::exec(c, crate::queries::HEARTBEAT, &[&now]).map(drop))
            .await
    }

    async fn change_token(&self, _workspace: &WorkspaceId) -> StoreResult<Option<u64>> {
        Ok(Some(self.looks.look().await?.0))
    }

    async fn revocations_and_token(
        &self,
        _workspace: &WorkspaceId,
    ) -> StoreResult<(u64, Option<u64>)> {
        let (version, revocations) = self.looks.look().await?;
        Ok((revocations, Some(version)))
    }

    async fn migrate(&self) -> StoreResult<()> {
        // sqlx's migrator, on a pool of one connection that lives as long as the migration.
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&self.path)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot open the database: {e}")))?;
        let ran = MIGRATIONS.run(&pool).await;
        pool.close().await;
        ran.map_err(|e| StoreError::Other(format!("migration failed: {e}")))
    }

    async fn close(&self) {
        self.writer.stop();
        self.readers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.looks.close();
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

/// The faults handle, for the writer.
pub(crate) type Faults = Arc<StoreFaults>;
