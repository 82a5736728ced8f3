//! Monitoring on SQLite: the read connections lent out and on the shelf, and the pending count.

use super::SqliteStore;
use crate::queries as q;
use crate::{MonitorStore, PoolStatus, StoreResult};
use async_trait::async_trait;
use std::sync::atomic::Ordering;

#[async_trait]
impl MonitorStore for SqliteStore {
    fn pool_status(&self) -> PoolStatus {
        let idle = self.readers.lock().unwrap_or_else(|p| p.into_inner()).len();
        PoolStatus {
            in_use: self.readers_lent.load(Ordering::Relaxed),
            idle: idle as u64,
            waiting: 0,
            max: self.max_idle_readers as u64,
        }
    }

    async fn pending_purchases(&self) -> StoreResult<u64> {
        let n = self.read_one(q::PENDING_PURCHASES, &[], |row| row.int(0))?;
        Ok(n.unwrap_or_default().max(0) as u64)
    }
}
