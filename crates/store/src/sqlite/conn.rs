//! Statements on one rusqlite connection: binding the `$n` placeholders the shared SQL uses,
//! reading rows by position, and what SQLite's errors mean to the service.

use crate::queries::Value;
use crate::rows::Columns;
use crate::{StoreError, StoreResult};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, Statement, ToSql};
use std::path::Path;

pub(super) type Args<'a> = &'a [&'a dyn ToSql];

const STATEMENT_CACHE: usize = 64;

pub(super) fn open(path: &Path, read_only: bool) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(err)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    for pragma in super::PRAGMAS {
        conn.execute_batch(pragma).map_err(err)?;
    }
    if read_only {
        conn.execute_batch("PRAGMA query_only = ON").map_err(err)?;
    }
    Ok(conn)
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::NullText => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(n) => ToSqlOutput::Borrowed(ValueRef::Integer(*n)),
        })
    }
}

/// The arguments of a dynamic statement, as rusqlite takes them.
pub(super) fn values(values: &[Value]) -> Vec<&dyn ToSql> {
    values.iter().map(|v| v as &dyn ToSql).collect()
}

/// SQLite numbers named parameters in order of first appearance, so `$2` may be its first:
/// bind each of the statement's parameters by the number in its name.
fn bind(stmt: &mut Statement<'_>, args: Args<'_>) -> rusqlite::Result<()> {
    for index in 1..=stmt.parameter_count() {
        let arg = stmt
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| args.get(n.checked_sub(1)?))
            .ok_or(rusqlite::Error::InvalidParameterCount(index, args.len()))?;
        stmt.raw_bind_parameter(index, *arg)?;
    }
    Ok(())
}

impl Columns for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> StoreResult<String> {
        self.get(i).map_err(err)
    }
    fn opt_text(&self, i: usize) -> StoreResult<Option<String>> {
        self.get(i).map_err(err)
    }
    fn int(&self, i: usize) -> StoreResult<i64> {
        self.get(i).map_err(err)
    }
    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>> {
        self.get(i).map_err(err)
    }
}

/// Database trouble (busy past the timeout, an I/O error, a full, read-only or unreadable
/// file) is `Unavailable`: the service answers 503 and the request can be retried. Anything
/// else is a bug or a row this code did not write.
pub(super) fn err(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode::*;
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                DatabaseBusy
                    | DatabaseLocked
                    | SystemIoFailure
                    | DiskFull
                    | ReadOnly
                    | CannotOpen
                    | DatabaseCorrupt
                    | NotADatabase
                    | PermissionDenied
                    | FileLockingProtocolFailed
                    | OutOfMemory
            ) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Other(e.to_string()),
    }
}

pub(super) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

/// [`err`], except that a uniqueness violation means `held`.
pub(super) fn err_unique(held: StoreError) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| {
        if is_unique_violation(&e) {
            held.clone()
        } else {
            err(e)
        }
    }
}

/// The first row of a query, mapped.
pub(super) fn one<T>(
    c: &Connection,
    sql: &str,
    args: Args<'_>,
    map: impl Fn(&dyn Columns) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    one_with(c, sql, args, map, err)
}

/// [`one`] with the caller's reading of the driver's errors. It steps the statement to its
/// end, so a write's every row is done when it returns.
pub(super) fn one_with<T>(
    c: &Connection,
    sql: &str,
    args: Args<'_>,
    map: impl Fn(&dyn Columns) -> StoreResult<T>,
    err: impl Fn(rusqlite::Error) -> StoreError,
) -> StoreResult<Option<T>> {
    let mut stmt = c.prepare_cached(sql).map_err(&err)?;
    bind(&mut stmt, args).map_err(&err)?;
    let mut rows = stmt.raw_query();
    let mut first = None;
    while let Some(row) = rows.next().map_err(&err)? {
        if first.is_none() {
            first = Some(map(row)?);
        }
    }
    Ok(first)
}

/// Every row of a query, mapped.
pub(super) fn all<T>(
    c: &Connection,
    sql: &str,
    args: Args<'_>,
    map: impl Fn(&dyn Columns) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = c.prepare_cached(sql).map_err(err)?;
    bind(&mut stmt, args).map_err(err)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(err)? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// Execute a statement that returns no rows; how many rows it changed.
pub(super) fn exec(c: &Connection, sql: &str, args: Args<'_>) -> StoreResult<usize> {
    exec_with(c, sql, args, err)
}

pub(super) fn exec_with(
    c: &Connection,
    sql: &str,
    args: Args<'_>,
    err: impl Fn(rusqlite::Error) -> StoreError,
) -> StoreResult<usize> {
    let mut stmt = c.prepare_cached(sql).map_err(&err)?;
    bind(&mut stmt, args).map_err(&err)?;
    stmt.raw_execute().map_err(err)
}

/// A statement without arguments or rows (transaction control).
pub(super) fn run(c: &Connection, sql: &str) -> StoreResult<()> {
    c.prepare_cached(sql)
        .and_then(|mut stmt| stmt.raw_execute())
        .map(drop)
        .map_err(err)
}

/// Run `f` inside a savepoint: when it fails, its changes are undone and the enclosing
/// transaction goes on. Savepoints nest, and `ROLLBACK TO` and `RELEASE` act on the innermost
/// of a name, so one name serves every level (a write of the group commit, an audit row inside
/// it). The outer error: the savepoint could not be taken, undone or released, and the
/// transaction is in doubt; the inner one is `f`'s own.
pub(super) fn in_savepoint<T>(
    c: &Connection,
    f: impl FnOnce(&Connection) -> StoreResult<T>,
) -> StoreResult<StoreResult<T>> {
    run(c, "SAVEPOINT part")?;
    let result = f(c);
    if result.is_err() {
        run(c, "ROLLBACK TO part")?;
    }
    run(c, "RELEASE part")?;
    Ok(result)
}
