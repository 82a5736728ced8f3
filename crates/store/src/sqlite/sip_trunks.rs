//! Bring-your-own numbers on SQLite: the number row (provider `sip_trunk`, never billed) and
//! its trunk, written together so a number is never linked without its trunk or the other way.

use super::SqliteStore;
use super::conn::{Args, err_unique, exec, one_with};
use super::numbers::insert_event;
use crate::queries as q;
use crate::rows::{self, ms};
use crate::{
    NewEvent, NewNumber, PhoneNumberRecord, SipTrunkRecord, SipTrunkStore, StoreError, StoreResult,
};
use async_trait::async_trait;
use dialnexa_domain::{PhoneNumberId, WorkspaceId};

#[async_trait]
impl SipTrunkStore for SqliteStore {
    async fn insert_sip_trunk(
        &self,
        number: &NewNumber,
        nickname: Option<&str>,
        trunk: &SipTrunkRecord,
        event: &NewEvent,
    ) -> StoreResult<PhoneNumberRecord> {
        let (number, nickname) = (number.clone(), nickname.map(str::to_owned));
        let (trunk, event) = (trunk.clone(), event.clone());
        self.write(move |c| {
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
            let record = one_with(c, &q::INSERT_SIP_NUMBER, args, rows::number, held)?
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
            exec(c, q::INSERT_SIP_TRUNK, args)?;
            insert_event(c, &record.workspace_id, &event, number.created_at)?;
            Ok(record)
        })
        .await
    }

    async fn get_sip_trunk(
        &self,
        workspace: &WorkspaceId,
        number: &PhoneNumberId,
    ) -> StoreResult<Option<SipTrunkRecord>> {
        self.read_one(
            &q::SIP_TRUNK,
            &[&number.as_str(), &workspace.as_str()],
            rows::sip_trunk,
        )
    }
}
