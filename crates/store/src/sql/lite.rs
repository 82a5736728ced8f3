//! The hot paths on SQLite, through rusqlite on the calling thread.
//!
//! sqlx runs every SQLite connection on a worker thread of its own: each statement is handed to
//! that thread and its rows handed back, and its pool pings a connection when it is taken and
//! again when it is returned. On one core every hand-off is a context switch, about ten per
//! request (BENCHMARKS.md). The statements the API runs on every request (authentication, the
//! workspace, a number, a list page, the purchase's claim and activation) run here instead:
//! on the request's own thread, with prepared statements cached per connection. They are short
//! (an index lookup, or one commit to the WAL with `synchronous = NORMAL`, which does not wait
//! for the disk), so running them in place costs less than any hand-off would.
//!
//! Writes still take the sqlx writer connection first and hold it while they run: it is the
//! single writer every other statement of the store goes through, so holding it keeps SQLite's
//! one-writer-at-a-time in this process a queue rather than a busy-wait between two writers.

use super::Columns;
use crate::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags, Statement, ToSql};
use std::path::PathBuf;
use std::sync::Mutex;

/// Idle read connections kept for reuse; more are opened when requests overlap and closed when
/// they come back to a full shelf.
const MAX_IDLE_READERS: usize = 16;
const STATEMENT_CACHE: usize = 64;

/// A statement argument: the store binds only text and integers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Text(&'a str),
    Int(i64),
}

impl Arg<'_> {
    fn bind_sqlx<'q>(
        self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>
    where
        Self: 'q,
    {
        match self {
            Arg::Text(s) => q.bind(s),
            Arg::Int(i) => q.bind(i),
        }
    }
}

/// An [`Arg`] that owns its text, for a write queued for the next group commit.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(String),
    Int(i64),
}

pub(crate) fn to_values(args: &[Arg<'_>]) -> Vec<Value> {
    args.iter()
        .map(|a| match a {
            Arg::Text(s) => Value::Text((*s).to_owned()),
            Arg::Int(n) => Value::Int(*n),
        })
        .collect()
}

pub(crate) fn as_args(values: &[Value]) -> Vec<Arg<'_>> {
    values
        .iter()
        .map(|v| match v {
            Value::Text(s) => Arg::Text(s),
            Value::Int(n) => Arg::Int(*n),
        })
        .collect()
}

/// Bind `$1`, `$2`, … of a statement written for both backends.
pub(crate) fn bind_sqlx<'q>(
    sql: &'q str,
    args: &[Arg<'q>],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    args.iter()
        .fold(sqlx::query(sql), |q, arg| arg.bind_sqlx(q))
}

/// SQLite numbers named parameters in order of first appearance, so `$2` may be its first:
/// bind each of the statement's parameters by the number in its name.
fn bind_lite(stmt: &mut Statement<'_>, args: &[Arg<'_>]) -> rusqlite::Result<()> {
    for index in 1..=stmt.parameter_count() {
        let arg = stmt
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| args.get(n.checked_sub(1)?))
            .ok_or(rusqlite::Error::InvalidParameterCount(index, args.len()))?;
        let value: &dyn ToSql = match arg {
            Arg::Text(s) => s,
            Arg::Int(n) => n,
        };
        stmt.raw_bind_parameter(index, value)?;
    }
    Ok(())
}

impl Columns for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> StoreResult<String> {
        self.get(i).map_err(lite_err)
    }
    fn opt_text(&self, i: usize) -> StoreResult<Option<String>> {
        self.get(i).map_err(lite_err)
    }
    fn int(&self, i: usize) -> StoreResult<i64> {
        self.get(i).map_err(lite_err)
    }
    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>> {
        self.get(i).map_err(lite_err)
    }
}

/// Busy and locked mean another writer held on past the busy timeout: unavailable, like a pool
/// timeout. A uniqueness violation keeps its own variant so callers can tell a lost race.
pub(crate) fn lite_err(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Other(e.to_string()),
    }
}

pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

/// A write waiting for the next batch: it runs inside the batch's transaction (or is told why
/// the batch could not start) and returns how to tell its caller the outcome once the batch
/// has committed or failed to.
type Job = Box<dyn FnOnce(Result<&Connection, &StoreError>) -> Reply + Send>;
type Reply = Box<dyn FnOnce(Option<&StoreError>) + Send>;

pub(crate) struct Lite {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
    /// A read connection kept for `PRAGMA data_version` alone, so that its answers can be
    /// compared over time (each connection counts on its own).
    probe: Mutex<Option<Connection>>,
    /// Writes go to one thread that commits them in batches (group commit, below).
    jobs: tokio::sync::mpsc::UnboundedSender<Job>,
}

impl std::fmt::Debug for Lite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lite").field("path", &self.path).finish()
    }
}

/// The most writes one transaction carries; more wait for the next.
const MAX_BATCH: usize = 512;

impl Lite {
    /// The database file behind a `sqlite:` URL, or `None` for an in-memory database (which
    /// a second connection could not see). Starts the writer task, holding `gate` (the sqlx
    /// writer pool) around every batch.
    pub(crate) fn for_url(url: &str, gate: sqlx::AnyPool) -> Option<Lite> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path.contains(":memory:") || url.contains("mode=memory") {
            return None;
        }
        let path = PathBuf::from(path);
        let (jobs, queue) = tokio::sync::mpsc::unbounded_channel();
        let (writer_path, runtime) = (path.clone(), tokio::runtime::Handle::current());
        let spawned = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer(writer_path, gate, queue, runtime));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the SQLite writer thread");
            return None;
        }
        Some(Lite {
            path,
            readers: Mutex::new(Vec::new()),
            probe: Mutex::new(None),
            jobs,
        })
    }

    /// Run `f` on an idle read connection (opening one if none is idle).
    fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let idle = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open(&self.path, true)?,
        };
        let result = f(&conn);
        let mut shelf = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if shelf.len() < MAX_IDLE_READERS {
            shelf.push(conn);
        }
        result
    }

    /// SQLite's `PRAGMA data_version` on the probe connection: it changes whenever another
    /// connection, in this process (every write goes through the writer's) or another one,
    /// has committed since the probe's previous look. It never writes, so it never changes
    /// on its own account.
    pub(crate) fn data_version(&self) -> StoreResult<u64> {
        let mut probe = self.probe.lock().unwrap_or_else(|p| p.into_inner());
        let conn = match probe.take() {
            Some(conn) => conn,
            None => open(&self.path, true)?,
        };
        let version = query_optional(&conn, "PRAGMA data_version", &[], |row| row.int(0));
        *probe = Some(conn);
        Ok(version?.unwrap_or_default() as u64)
    }

    /// The first row of a query, mapped.
    pub(crate) fn fetch_optional<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        map: impl Fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        self.with_reader(|conn| query_optional(conn, sql, args, map))
    }

    /// Every row of a query, mapped.
    pub(crate) fn fetch_all<T>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        map: impl Fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        self.with_reader(|conn| query_all(conn, sql, args, map))
    }

    /// Run `f` as one all-or-nothing unit of the next batch, and answer once that batch is
    /// committed: `f`'s value, or its error (its changes undone, the batch's others kept), or
    /// the commit's error. A caller that stops waiting does not stop the write.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = match conn {
                Ok(conn) => in_savepoint(conn, f),
                Err(e) => Err(e.clone()),
            };
            Box::new(move |batch_error: Option<&StoreError>| {
                let result = match (batch_error, result) {
                    (Some(e), Ok(_)) => Err(e.clone()),
                    (_, result) => result,
                };
                let _ = answer.send(result);
            })
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".into()))?;
        answered
            .await
            .map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".into()))?
    }
}

fn open(path: &std::path::Path, read_only: bool) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(lite_err)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    for pragma in super::SQLITE_PRAGMAS {
        conn.execute_batch(pragma).map_err(lite_err)?;
    }
    if read_only {
        conn.execute_batch("PRAGMA query_only = ON")
            .map_err(lite_err)?;
    }
    Ok(conn)
}

fn run(conn: &Connection, sql: &str) -> StoreResult<()> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.raw_execute())
        .map(drop)
        .map_err(lite_err)
}

/// One job inside the batch: a savepoint undoes its changes alone when it fails (a claim that
/// loses a race to another claim of the same batch, say).
fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    run(conn, "SAVEPOINT job")?;
    let result = f(conn);
    if result.is_err() {
        run(conn, "ROLLBACK TO job")?;
    }
    run(conn, "RELEASE job")?;
    result
}

/// Group commit. Every write of the process comes here; a thread of its own takes all that
/// are waiting, runs them in one `BEGIN IMMEDIATE … COMMIT` while holding the sqlx writer, then
/// answers each. A commit to the WAL costs about the same for one claim as for a hundred, so
/// under load the cost of a purchase's writes falls with the number of purchases in flight:
/// while one batch commits, the next gathers. A thread rather than a task of the runtime, so
/// that a write starts as soon as it is asked for even when thousands of requests are queued
/// ahead of it on the runtime (a burst of purchases: each claim committed sooner sends its buy
/// to the carrier sooner).
fn writer(
    path: PathBuf,
    gate: sqlx::AnyPool,
    mut queue: tokio::sync::mpsc::UnboundedReceiver<Job>,
    runtime: tokio::runtime::Handle,
) {
    // In the runtime's context: the sqlx connection held as the gate goes back to its pool
    // through a task when dropped.
    let _context = runtime.enter();
    let mut conn: Option<Connection> = None;
    while let Some(first) = queue.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        match runtime.block_on(gate.acquire()) {
            Ok(held) => {
                commit_batch(&path, &mut conn, batch);
                drop(held);
            }
            Err(e) => refuse(batch, &super::map_err(e)),
        }
    }
}

/// Tell every job of a batch that could not start why, without running it.
fn refuse(batch: Vec<Job>, error: &StoreError) {
    tracing::warn!(%error, jobs = batch.len(), "a batch of SQLite writes could not start");
    for job in batch {
        job(Err(error))(Some(error));
    }
}

/// Run and commit one batch, then answer each of its jobs.
fn commit_batch(path: &std::path::Path, conn: &mut Option<Connection>, batch: Vec<Job>) {
    if conn.is_none() {
        match open(path, false) {
            Ok(c) => *conn = Some(c),
            Err(e) => return refuse(batch, &e),
        }
    }
    let c = conn.as_ref().expect("opened above");
    if let Err(e) = run(c, "BEGIN IMMEDIATE") {
        return refuse(batch, &e);
    }
    let replies: Vec<Reply> = batch.into_iter().map(|job| job(Ok(c))).collect();
    let committed = run(c, "COMMIT");
    if committed.is_err() {
        let _ = run(c, "ROLLBACK");
    }
    let error = committed.err();
    if let Some(error) = &error {
        tracing::warn!(%error, jobs = replies.len(), "a batch of SQLite writes did not commit");
    }
    for reply in replies {
        reply(error.as_ref());
    }
}

pub(crate) fn query_optional<T>(
    conn: &Connection,
    sql: &str,
    args: &[Arg<'_>],
    map: impl Fn(&dyn Columns) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    query_optional_with(conn, sql, args, map, lite_err)
}

/// [`query_optional`] with the caller's reading of the driver's errors.
pub(crate) fn query_optional_with<T>(
    conn: &Connection,
    sql: &str,
    args: &[Arg<'_>],
    map: impl Fn(&dyn Columns) -> StoreResult<T>,
    err: impl Fn(rusqlite::Error) -> StoreError,
) -> StoreResult<Option<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(&err)?;
    bind_lite(&mut stmt, args).map_err(&err)?;
    let mut rows = stmt.raw_query();
    match rows.next().map_err(&err)? {
        Some(row) => map(row).map(Some),
        None => Ok(None),
    }
}

pub(crate) fn query_all<T>(
    conn: &Connection,
    sql: &str,
    args: &[Arg<'_>],
    map: impl Fn(&dyn Columns) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(lite_err)?;
    bind_lite(&mut stmt, args).map_err(lite_err)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(lite_err)? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// Execute a statement that returns no rows, keeping the driver's error for the caller to
/// classify (a uniqueness violation is an answer, not a failure).
pub(crate) fn execute(
    conn: &Connection,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<usize, rusqlite::Error> {
    let mut stmt = conn.prepare_cached(sql)?;
    bind_lite(&mut stmt, args)?;
    stmt.raw_execute()
}
