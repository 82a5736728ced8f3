//! Monitoring on PostgreSQL: deadpool's own counters, and the pending count.

use super::PgStore;
use crate::queries as q;
use crate::{MonitorStore, PoolStatus, StoreResult};
use async_trait::async_trait;

#[async_trait]
impl MonitorStore for PgStore {
    fn pool_status(&self) -> PoolStatus {
        let status = self.pool.status();
        PoolStatus {
            in_use: status.size.saturating_sub(status.available) as u64,
            idle: status.available as u64,
            waiting: status.waiting as u64,
            max: status.max_size as u64,
        }
    }

    async fn pending_purchases(&self) -> StoreResult<u64> {
        let n = self
            .read_one(q::PENDING_PURCHASES, &[], |row| row.int(0))
            .await?;
        Ok(n.unwrap_or_default().max(0) as u64)
    }
}
