//! Opening a store: the URL picks the backend module, and `SqlStore` is the handle the binary
//! keeps (to migrate and close it) and shares with the service as an `Arc<dyn Store>`.

use crate::faults::StoreFaults;
use crate::{Store, StoreError, StoreResult};
use std::sync::Arc;
use std::time::Duration;

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
    /// PostgreSQL: the pool's size. SQLite: how many idle read connections are kept.
    pub max_connections: u32,
    /// How long a request may wait in the queue for a PostgreSQL connection while every one is
    /// busy. A busy database makes requests wait their turn; only a database that cannot be
    /// reached (or this long a wait) answers `Unavailable`.
    pub acquire_timeout: Duration,
    /// The commit failpoint (tests); a fresh, disarmed one by default.
    pub faults: Arc<StoreFaults>,
}

impl StoreOptions {
    pub fn new(url: impl Into<String>) -> Self {
        StoreOptions {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(30),
            faults: Arc::default(),
        }
    }
}

/// The connected store, whichever database is behind it. It dereferences to `dyn Store`, so the
/// trait methods are called on it directly.
#[derive(Clone)]
pub struct SqlStore {
    inner: Arc<dyn Store>,
    backend: Backend,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend)
            .finish()
    }
}

impl SqlStore {
    pub async fn connect(options: &StoreOptions) -> StoreResult<Self> {
        let url = options.url.as_str();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let store = crate::postgres::PgStore::connect(options).await?;
            Ok(SqlStore {
                inner: Arc::new(store),
                backend: Backend::Postgres,
            })
        } else if url.starts_with("sqlite:") {
            let store = crate::sqlite::SqliteStore::open(options)?;
            Ok(SqlStore {
                inner: Arc::new(store),
                backend: Backend::Sqlite,
            })
        } else {
            Err(StoreError::Other(
                "the database URL must start with sqlite:// or postgres://".into(),
            ))
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The store as the service holds it.
    pub fn shared(&self) -> Arc<dyn Store> {
        self.inner.clone()
    }
}

impl std::ops::Deref for SqlStore {
    type Target = dyn Store;

    fn deref(&self) -> &Self::Target {
        &*self.inner
    }
}
