//! Reads and repairs for reconciliation with the carriers on PostgreSQL (operator scope, all
//! workspaces).

use super::PgStore;
use super::db::{Db, err};
use crate::queries as q;
use crate::rows::{self, ms};
use crate::{PhoneNumberRecord, ReconcileStore, StoreResult};
use async_trait::async_trait;
use dialnexa_domain::{PhoneNumberId, Provider};
use jiff::Timestamp;

#[async_trait]
impl ReconcileStore for PgStore {
    async fn live_numbers_by_provider(
        &self,
        provider: Provider,
    ) -> StoreResult<Vec<PhoneNumberRecord>> {
        self.read_all(&q::LIVE_BY_PROVIDER, &[&provider.as_str()], rows::number)
            .await
    }

    async fn release_ghost(&self, id: &PhoneNumberId, now: Timestamp) -> StoreResult<()> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(err)?;
        let db = Db::tx(&tx);
        db.exec(q::RELEASE_GHOST, &[&id.as_str(), &ms(now)]).await?;
        db.exec(q::DELETE_SIP_TRUNK, &[&id.as_str()]).await?;
        db.exec(q::FORGET_DEFAULT, &[&id.as_str()]).await?;
        self.commit(tx).await
    }

    async fn set_carrier_ref(&self, id: &PhoneNumberId, carrier_ref: &str) -> StoreResult<()> {
        self.write_exec(q::SET_CARRIER_REF, &[&id.as_str(), &carrier_ref])
            .await
            .map(drop)
    }
}
