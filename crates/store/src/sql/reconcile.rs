//! Reads and repairs for reconciliation with the carriers (operator scope, all workspaces).

use super::numbers::{NUMBER_COLUMNS, number_from_row};
use super::{SqlStore, map_err, ms};
use crate::{PhoneNumberRecord, ReconcileStore, StoreResult};
use async_trait::async_trait;
use dialnexa_domain::{PhoneNumberId, Provider};
use jiff::Timestamp;

#[async_trait]
impl ReconcileStore for SqlStore {
    async fn live_numbers_by_provider(
        &self,
        provider: Provider,
    ) -> StoreResult<Vec<PhoneNumberRecord>> {
        let sql = format!(
            "SELECT {NUMBER_COLUMNS} FROM phone_numbers WHERE provider = $1 \
             AND status IN ('pending', 'active') ORDER BY phone_number"
        );
        let rows = sqlx::query(&sql)
            .bind(provider.as_str())
            .fetch_all(&self.read)
            .await
            .map_err(map_err)?;
        rows.iter().map(|r| number_from_row(r)).collect()
    }

    async fn release_ghost(&self, id: &PhoneNumberId, now: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "UPDATE phone_numbers SET status = 'released', released_at = $2, updated_at = $2, \
             failure_reason = 'gone at the carrier (reconciliation)' WHERE id = $1 AND status = 'active'",
        )
        .bind(id.as_str())
        .bind(ms(now))
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn set_carrier_ref(&self, id: &PhoneNumberId, carrier_ref: &str) -> StoreResult<()> {
        sqlx::query("UPDATE phone_numbers SET carrier_ref = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(carrier_ref)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
