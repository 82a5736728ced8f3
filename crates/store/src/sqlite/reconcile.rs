//! Reads and repairs for reconciliation with the carriers on SQLite (operator scope, all
//! workspaces).

use super::SqliteStore;
use super::conn::exec;
use crate::queries as q;
use crate::rows::{self, ms};
use crate::{PhoneNumberRecord, ReconcileStore, StoreResult};
use async_trait::async_trait;
use dialnexa_domain::{PhoneNumberId, Provider};
use jiff::Timestamp;

#[async_trait]
impl ReconcileStore for SqliteStore {
    async fn live_numbers_by_provider(
        &self,
        provider: Provider,
    ) -> StoreResult<Vec<PhoneNumberRecord>> {
        self.read_all(&q::LIVE_BY_PROVIDER, &[&provider.as_str()], rows::number)
    }

    async fn release_ghost(&self, id: &PhoneNumberId, now: Timestamp) -> StoreResult<()> {
        let id = id.clone();
        self.write(move |c| {
            exec(c, q::RELEASE_GHOST, &[&id.as_str(), &ms(now)])?;
            exec(c, q::DELETE_SIP_TRUNK, &[&id.as_str()])?;
            exec(c, q::FORGET_DEFAULT, &[&id.as_str()]).map(drop)
        })
        .await
    }

    async fn set_carrier_ref(&self, id: &PhoneNumberId, carrier_ref: &str) -> StoreResult<()> {
        let (id, carrier_ref) = (id.clone(), carrier_ref.to_owned());
        self.write(move |c| exec(c, q::SET_CARRIER_REF, &[&id.as_str(), &carrier_ref]).map(drop))
            .await
    }
}
