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

pub(crate) struct Lite {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
    writer: Mutex<Option<Connection>>,
}

impl std::fmt::Debug for Lite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lite").field("path", &self.path).finish()
    }
}

impl Lite {
    /// The database file behind a `sqlite:` URL, or `None` for an in-memory database (which
    /// a second connection could not see).
    pub(crate) fn for_url(url: &str) -> Option<Lite> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path.contains(":memory:") || url.contains("mode=memory") {
            return None;
        }
        Some(Lite {
            path: PathBuf::from(path),
            readers: Mutex::new(Vec::new()),
            writer: Mutex::new(None),
        })
    }

    fn open(&self, read_only: bool) -> StoreResult<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags).map_err(lite_err)?;
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

    /// Run `f` on an idle read connection (opening one if none is idle).
    fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let idle = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open(true)?,
        };
        let result = f(&conn);
        let mut shelf = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if shelf.len() < MAX_IDLE_READERS {
            shelf.push(conn);
        }
        result
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

    /// Run `f` in one `BEGIN IMMEDIATE` transaction on the writer connection, committed if it
    /// returns `Ok`. The caller holds the sqlx writer (the gate) while this runs.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut slot = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(self.open(false)?);
        }
        let conn = slot.as_mut().expect("opened above");
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(lite_err)?;
        let value = f(&tx)?;
        tx.commit().map_err(lite_err)?;
        Ok(value)
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
