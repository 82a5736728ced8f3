//! Statements on one PostgreSQL connection (pooled, or inside a transaction): prepared once per
//! connection and cached, rows read by position, and what PostgreSQL's errors mean to the
//! service.

use crate::queries::Value;
use crate::rows::Columns;
use crate::{StoreError, StoreResult};
use deadpool_postgres::StatementCache;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

pub(super) type Args<'a> = &'a [&'a (dyn ToSql + Sync)];

/// A connection to run statements on: a pooled client, or the client of an open transaction.
#[derive(Clone, Copy)]
pub(super) struct Db<'a> {
    client: &'a tokio_postgres::Client,
    cache: &'a StatementCache,
}

impl<'a> Db<'a> {
    pub(super) fn client(c: &'a deadpool_postgres::Object) -> Self {
        Db {
            client: c,
            cache: &c.statement_cache,
        }
    }

    pub(super) fn tx(tx: &'a deadpool_postgres::Transaction<'a>) -> Self {
        Db {
            client: tx.client(),
            cache: &tx.statement_cache,
        }
    }

    async fn statement(&self, sql: &str) -> StoreResult<tokio_postgres::Statement> {
        self.cache.prepare(self.client, sql).await.map_err(err)
    }

    /// The first row of a query, mapped.
    pub(super) async fn one<T>(
        &self,
        sql: &str,
        args: Args<'_>,
        map: impl Fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        self.one_with(sql, args, map, err).await
    }

    /// [`Db::one`] with the caller's reading of the driver's errors.
    #[tracing::instrument(level = "debug", name = "store.query", skip_all, fields(db.system = "postgresql", db.statement = sql))]
    pub(super) async fn one_with<T>(
        &self,
        sql: &str,
        args: Args<'_>,
        map: impl Fn(&dyn Columns) -> StoreResult<T>,
        err: impl Fn(tokio_postgres::Error) -> StoreError,
    ) -> StoreResult<Option<T>> {
        let stmt = self.statement(sql).await?;
        let rows = self.client.query(&stmt, args).await.map_err(err)?;
        rows.first().map(|r| map(r)).transpose()
    }

    #[tracing::instrument(level = "debug", name = "store.query", skip_all, fields(db.system = "postgresql", db.statement = sql))]
    pub(super) async fn all<T>(
        &self,
        sql: &str,
        args: Args<'_>,
        map: impl Fn(&dyn Columns) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let stmt = self.statement(sql).await?;
        let rows = self.client.query(&stmt, args).await.map_err(err)?;
        rows.iter().map(|r| map(r)).collect()
    }

    /// Execute a statement; how many rows it changed. Outside a transaction the answer comes
    /// after PostgreSQL's `ReadyForQuery`, that is after the statement's implicit commit.
    #[tracing::instrument(level = "debug", name = "store.query", skip_all, fields(db.system = "postgresql", db.statement = sql))]
    pub(super) async fn exec(&self, sql: &str, args: Args<'_>) -> StoreResult<u64> {
        let stmt = self.statement(sql).await?;
        self.client.execute(&stmt, args).await.map_err(err)
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Text(s) => s.as_str().to_sql(ty, out),
            Value::NullText => Ok(IsNull::Yes),
            Value::Int(n) => n.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        <&str as ToSql>::accepts(ty) || <i64 as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

/// The arguments of a dynamic statement, as tokio-postgres takes them.
pub(super) fn values(values: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

impl Columns for tokio_postgres::Row {
    fn text(&self, i: usize) -> StoreResult<String> {
        self.try_get(i).map_err(err)
    }
    fn opt_text(&self, i: usize) -> StoreResult<Option<String>> {
        self.try_get(i).map_err(err)
    }
    fn int(&self, i: usize) -> StoreResult<i64> {
        self.try_get(i).map_err(err)
    }
    fn opt_int(&self, i: usize) -> StoreResult<Option<i64>> {
        self.try_get(i).map_err(err)
    }
}

/// Database trouble is `Unavailable` (503, retry later): a lost, refused or timed-out
/// connection, a server shutting down (57P), out of disk or memory (53), an I/O error (58), a
/// database in read-only mode, and the conflicts PostgreSQL asks clients to retry (serialization
/// failure, deadlock). Anything else (a statement or a row this code did not expect) is a bug.
pub(super) fn err(e: tokio_postgres::Error) -> StoreError {
    let retry = match e.code() {
        Some(code) => {
            matches!(&code.code()[..2], "08" | "53" | "57" | "58")
                || *code == SqlState::READ_ONLY_SQL_TRANSACTION
                || *code == SqlState::T_R_SERIALIZATION_FAILURE
                || *code == SqlState::T_R_DEADLOCK_DETECTED
        }
        // tokio-postgres tells its connection-level kinds apart only by their message.
        None => {
            let message = e.to_string();
            e.is_closed()
                || [
                    "error communicating with the server",
                    "error performing TLS handshake",
                    "error connecting to server",
                    "timeout waiting for server",
                    "authentication error",
                ]
                .iter()
                .any(|kind| message.starts_with(kind))
        }
    };
    if retry {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Other(e.to_string())
    }
}

/// [`err`], except that a uniqueness violation means `held`.
pub(super) fn err_unique(held: StoreError) -> impl Fn(tokio_postgres::Error) -> StoreError {
    move |e| {
        if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
            held.clone()
        } else {
            err(e)
        }
    }
}

pub(super) fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    use deadpool_postgres::PoolError;
    match e {
        PoolError::Backend(e) => match err(e) {
            StoreError::Other(detail) => StoreError::Unavailable(detail),
            other => other,
        },
        other => StoreError::Unavailable(format!("no database connection: {other}")),
    }
}
