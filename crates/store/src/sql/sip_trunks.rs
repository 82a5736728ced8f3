//! Bring-your-own numbers: the number row (provider `sip_trunk`, never billed) and its trunk,
//! written together so a number is never linked without its trunk or the other way round.

use super::numbers::{NUMBER_COLUMNS, number_from_row};
use super::{SqlStore, col, get, is_unique_violation, map_err, ms, ts};
use crate::{
    NewEvent, NewNumber, PhoneNumberRecord, SipTrunkRecord, SipTrunkStore, StoreError, StoreResult,
};
use async_trait::async_trait;
use dialnexa_domain::{PhoneNumberId, WorkspaceId};

#[async_trait]
impl SipTrunkStore for SqlStore {
    async fn insert_sip_trunk(
        &self,
        number: &NewNumber,
        nickname: Option<&str>,
        trunk: &SipTrunkRecord,
        event: &NewEvent,
    ) -> StoreResult<PhoneNumberRecord> {
        let mut tx = self.write.begin().await.map_err(map_err)?;
        // Active at once and with no rental cursor: nothing to buy, nothing to renew.
        let sql = format!(
            "INSERT INTO phone_numbers (id, workspace_id, phone_number, country_code, number_type, \
             capabilities, monthly_cost_micros, provider, status, nickname, created_at, updated_at, \
             activated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $10, $10, $10) \
             RETURNING {NUMBER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(number.id.as_str())
            .bind(number.workspace_id.as_str())
            .bind(number.phone_number.as_str())
            .bind(number.phone_number.country().as_str())
            .bind(number.number_type.as_str())
            .bind(number.capabilities.to_csv())
            .bind(number.monthly_cost.micros())
            .bind(number.provider.as_str())
            .bind(nickname)
            .bind(ms(number.created_at))
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::NumberAlreadyHeld
                } else {
                    map_err(e)
                }
            })?;
        let record = number_from_row(&row)?;
        sqlx::query(
            "INSERT INTO sip_trunks (phone_number_id, workspace_id, termination_uri, auth_mode, \
             username, password_encrypted, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(trunk.phone_number_id.as_str())
        .bind(trunk.workspace_id.as_str())
        .bind(&trunk.termination_uri)
        .bind(trunk.auth_mode.as_str())
        .bind(trunk.username.as_deref())
        .bind(trunk.password_encrypted.as_deref())
        .bind(ms(trunk.created_at))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        super::insert_event(
            &mut tx,
            record.workspace_id.as_str(),
            event,
            number.created_at,
        )
        .await?;
        tx.commit().await.map_err(map_err)?;
        Ok(record)
    }

    async fn get_sip_trunk(
        &self,
        workspace: &WorkspaceId,
        number: &PhoneNumberId,
    ) -> StoreResult<Option<SipTrunkRecord>> {
        let row = sqlx::query(
            "SELECT phone_number_id, workspace_id, termination_uri, auth_mode, username, \
             password_encrypted, created_at FROM sip_trunks \
             WHERE phone_number_id = $1 AND workspace_id = $2",
        )
        .bind(number.as_str())
        .bind(workspace.as_str())
        .fetch_optional(&self.read)
        .await
        .map_err(map_err)?;
        row.map(|r| {
            Ok(SipTrunkRecord {
                phone_number_id: PhoneNumberId::from_trusted(get(&r, "phone_number_id")?),
                workspace_id: WorkspaceId::from_trusted(get(&r, "workspace_id")?),
                termination_uri: get(&r, "termination_uri")?,
                auth_mode: col(&r, "auth_mode")?,
                username: get(&r, "username")?,
                password_encrypted: get(&r, "password_encrypted")?,
                created_at: ts(get(&r, "created_at")?)?,
            })
        })
        .transpose()
    }
}
