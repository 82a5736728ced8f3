//! The store on PostgreSQL, through tokio-postgres with a deadpool pool: statements prepared
//! once per connection, single-statement writes in autocommit (answered after PostgreSQL's
//! commit), multi-statement writes in one transaction each.
//!
//! A burst waits its turn: a request queues for a connection for up to `acquire_timeout` (a
//! request deadline, 30 s by default), while a database that cannot be reached fails at once.
//! No connection is held across a carrier call: each store call takes one and gives it back.

mod agents;
mod audit;
mod billing;
mod catalog;
mod db;
mod holds;
mod idempotency;
mod lane;
mod lanes;
mod lifecycle;
mod monitor;
mod numbers;
mod reads;
mod reconcile;
mod sessions;
mod sip_trunks;
mod tokens;
mod webhooks;
mod workspaces;

use crate::faults::StoreFaults;
use crate::{StoreError, StoreOptions, StoreResult, WorkspaceId};
use async_trait::async_trait;
use db::{Args, Db, err, pool_err};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::sync::Arc;
use std::time::Duration;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[cfg(feature = "testing")]
pub(crate) fn migrations() -> &'static [sqlx::migrate::Migration] {
    &MIGRATIONS.migrations
}

pub(crate) struct PgStore {
    pool: Pool,
    faults: Arc<StoreFaults>,
    tokens: tokens::TokenReader,
    claims: lanes::Claims,
    activations: lanes::Activations,
    audits: audit::Audits,
    workspaces: reads::Workspaces,
    sightings: reads::Sightings,
    url: String,
}

impl PgStore {
    pub(crate) async fn connect(options: &StoreOptions) -> StoreResult<Self> {
        let config: tokio_postgres::Config = options
            .url
            .parse()
            .map_err(|e| StoreError::Other(format!("bad PostgreSQL URL: {e}")))?;
        let manager = Manager::from_config(
            config.clone(),
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.max_connections.max(1) as usize)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.acquire_timeout))
            .create_timeout(Some(Duration::from_secs(5)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| StoreError::Other(format!("cannot build the pool: {e}")))?;
        // Fail at start-up, not on the first request, when the database is not there.
        drop(pool.get().await.map_err(pool_err)?);
        Ok(PgStore {
            pool: pool.clone(),
            faults: options.faults.clone(),
            tokens: tokens::TokenReader::start(config),
            claims: lanes::claims(pool.clone(), options.faults.clone()),
            activations: lanes::activations(pool.clone(), options.faults.clone()),
            audits: audit::audits(pool.clone(), options.faults.clone()),
            workspaces: reads::workspaces(pool.clone()),
            sightings: reads::sightings(pool),
            url: options.url.clone(),
        })
    }

    /// A pooled connection; its span shows the wait in line for one.
    #[tracing::instrument(level = "debug", name = "store.acquire", skip_all)]
    async fn conn(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_err)
    }

    /// The first row of a read.
    async fn read_one<T>(
        &self,
        sql: &str,
        args: Args<'_>,
        map: impl Fn(&dyn crate::rows::Columns) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        let c = self.conn().await?;
        Db::client(&c).one(sql, args, map).await
    }

    async fn read_all<T>(
        &self,
        sql: &str,
        args: Args<'_>,
        map: impl Fn(&dyn crate::rows::Columns) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let c = self.conn().await?;
        Db::client(&c).all(sql, args, map).await
    }

    /// A single-statement write in autocommit: its answer comes after its commit. While the
    /// commit failpoint is armed it is not made, as if its commit had failed.
    async fn write_exec(&self, sql: &str, args: Args<'_>) -> StoreResult<u64> {
        self.faults.commit()?;
        let c = self.conn().await?;
        Db::client(&c).exec(sql, args).await
    }

    /// A single-statement write returning its row; see [`PgStore::write_exec`].
    async fn write_one<T>(
        &self,
        sql: &str,
        args: Args<'_>,
        map: impl Fn(&dyn crate::rows::Columns) -> StoreResult<T>,
        on_err: impl Fn(tokio_postgres::Error) -> StoreError,
    ) -> StoreResult<Option<T>> {
        self.faults.commit()?;
        let c = self.conn().await?;
        Db::client(&c).one_with(sql, args, map, on_err).await
    }

    /// Commit `tx`, or roll it back while the failpoint is armed; an error either way means
    /// nothing of it is kept (or, for a lost connection, that it is unknown).
    #[tracing::instrument(level = "debug", name = "store.commit", skip_all)]
    async fn commit(&self, tx: deadpool_postgres::Transaction<'_>) -> StoreResult<()> {
        if let Err(e) = self.faults.commit() {
            let _ = tx.rollback().await;
            return Err(e);
        }
        tx.commit().await.map_err(err)
    }
}

#[async_trait]
impl crate::Store for PgStore {
    async fn ping(&self) -> StoreResult<()> {
        self.read_one("SELECT CAST(1 AS BIGINT)", &[], |row| row.int(0))
            .await
            .map(drop)
    }

    async fn ready(&self) -> StoreResult<()> {
        self.ping().await?;
        let now = jiff::Timestamp::now().as_millisecond();
        self.write_exec(crate::queries::HEARTBEAT, &[&now])
            .await
            .map(drop)
    }

    async fn change_token(&self, workspace: &WorkspaceId) -> StoreResult<Option<u64>> {
        let read = self.tokens.read(workspace).await?;
        Ok(Some(read.token))
    }

    async fn revocations_and_token(
        &self,
        workspace: &WorkspaceId,
    ) -> StoreResult<(u64, Option<u64>)> {
        let read = self.tokens.read(workspace).await?;
        Ok((read.revocations, Some(read.token)))
    }

    async fn migrate(&self) -> StoreResult<()> {
        // sqlx's migrator (it serialises concurrent runs with an advisory lock), on a pool of
        // one connection that lives as long as the migration.
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&self.url)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot connect to migrate: {e}")))?;
        let ran = MIGRATIONS.run(&pool).await;
        pool.close().await;
        ran.map_err(|e| StoreError::Other(format!("migration failed: {e}")))
    }

    async fn close(&self) {
        self.tokens.stop();
        self.claims.stop();
        self.activations.stop();
        self.audits.stop();
        self.workspaces.stop();
        self.sightings.stop();
        self.pool.close();
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool.status())
            .finish()
    }
}
