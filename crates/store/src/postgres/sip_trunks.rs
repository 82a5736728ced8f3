//! Bring-your-own numbers on PostgreSQL: the number row (provider `sip_trunk`, never billed)
//! and its trunk, written in one transaction so neither exists without the other.

use super::PgStore;
use super::db::{Args, Db, err, err_unique};
use super::numbers::insert_event;
use crate::queries as q;
use crate::rows::{self, ms};
use crate::{
    NewEvent, NewNumber, PhoneNumberRecord, SipTrunkRecord, SipTrunkStore, StoreError, StoreResult,
};
use async_trait::async_trait;
use dialnexa_domain::{PhoneNumberId, WorkspaceId};

#[async_trait]
impl SipTrunkStore for PgStore {
    async fn insert_sip_trunk(
        &self,
        number: &NewNumber,
        nickname: Option<&str>,
        trunk: &SipTrunkRecord,
        event: &NewEvent,
    ) -> StoreResult<PhoneNumberRecord> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(err)?;
        let db = Db::tx(&tx);
        let caps = number.capabilities.to_csv();
        // Active at once and with no rental cursor: nothing to buy, nothing to renew.
        let args: Args = &[
            &number.id.as_str(),
            &number.workspace_id.as_str(),
            &number.phone_number.as_str(),
            &number.phone_number.country().as_str(),
            &number.number_type.as_str(),
            &caps,
            &number.monthly_cost.micros(),
            &number.provider.as_str(),
            &nickname,
            &ms(number.created_at),
        ];
        let held = err_unique(StoreError::NumberAlreadyHeld);
        let record = db
            .one_with(&q::INSERT_SIP_NUMBER, args, rows::number, held)
            .await?
            .ok_or(StoreError::NotFound)?;
        let args: Args = &[
            &trunk.phone_number_id.as_str(),
            &trunk.workspace_id.as_str(),
            &trunk.termination_uri,
            &trunk.auth_mode.as_str(),
            &trunk.username,
            &trunk.password_encrypted,
            &ms(trunk.created_at),
        ];
        db.exec(q::INSERT_SIP_TRUNK, args).await?;
        insert_event(db, &record.workspace_id, event, number.created_at).await?;
        self.commit(tx).await?;
        Ok(record)
    }

    async fn get_sip_trunk(
        &self,
        workspace: &WorkspaceId,
        number: &PhoneNumberId,
    ) -> StoreResult<Option<SipTrunkRecord>> {
        let args: Args = &[&number.as_str(), &workspace.as_str()];
        self.read_one(&q::SIP_TRUNK, args, rows::sip_trunk).await
    }
}
