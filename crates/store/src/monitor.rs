//! What an operator's metrics read from the store: how busy its connections are (cheap, no
//! query) and how many purchases wait for their outcome (one small read of the counters).

use crate::StoreResult;
use async_trait::async_trait;

/// How the store's connections are used right now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections lent to a call.
    pub in_use: u64,
    /// Open connections waiting for a call.
    pub idle: u64,
    /// Calls waiting for a connection. Always 0 on SQLite, where a read opens a connection
    /// rather than wait for one.
    pub waiting: u64,
    /// PostgreSQL: the pool's size limit. SQLite: how many idle read connections are kept.
    pub max: u64,
}

#[async_trait]
pub trait MonitorStore: Send + Sync {
    /// Read from the pool's own counters: no query, no lock held for long.
    fn pool_status(&self) -> PoolStatus;

    /// Purchases claimed and not yet settled (`pending` rows), across every workspace.
    async fn pending_purchases(&self) -> StoreResult<u64>;
}
