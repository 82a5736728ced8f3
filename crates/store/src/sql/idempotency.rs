//! Idempotency keys. The claim is an INSERT on the (workspace, key) primary key, so exactly one
//! of many concurrent requests, in any number of processes, runs; the others see it in flight.

use super::numbers::{NUMBER_COLUMNS, number_from_row};
use super::{SqlStore, get, map_err, ms};
use crate::{IdempotencyBegin, IdempotencyStore, PhoneNumberRecord, StoreResult};
use async_trait::async_trait;
use dialnexa_domain::{E164, WorkspaceId};
use jiff::Timestamp;

#[async_trait]
impl IdempotencyStore for SqlStore {
    async fn idempotency_begin(
        &self,
        workspace: &WorkspaceId,
        key: &str,
        request_hash: &str,
        now: Timestamp,
        expired_before: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<IdempotencyBegin> {
        // An expired key is forgotten first, so its reuse starts afresh.
        sqlx::query("DELETE FROM idempotency_keys WHERE workspace_id = $1 AND idem_key = $2 AND created_at < $3")
            .bind(workspace.as_str())
            .bind(key)
            .bind(ms(expired_before))
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        let claimed = sqlx::query(
            "INSERT INTO idempotency_keys (workspace_id, idem_key, request_hash, created_at, locked_at) \
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (workspace_id, idem_key) DO NOTHING",
        )
        .bind(workspace.as_str())
        .bind(key)
        .bind(request_hash)
        .bind(ms(now))
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        if claimed.rows_affected() == 1 {
            return Ok(IdempotencyBegin::Started { resumed_from: None });
        }
        let row = sqlx::query(
            "SELECT request_hash, status_code, response_body, created_at, locked_at FROM idempotency_keys \
             WHERE workspace_id = $1 AND idem_key = $2",
        )
        .bind(workspace.as_str())
        .bind(key)
        .fetch_optional(&self.write)
        .await
        .map_err(map_err)?;
        let Some(row) = row else {
            // Deleted between our insert and read (an abandon): the caller may simply retry.
            return Ok(IdempotencyBegin::InFlight);
        };
        let hash: String = get(&row, "request_hash")?;
        if hash != request_hash {
            return Ok(IdempotencyBegin::Mismatch);
        }
        if let Some(status) = get::<Option<i64>>(&row, "status_code")? {
            return Ok(IdempotencyBegin::Completed {
                status: u16::try_from(status).unwrap_or(500),
                body: get::<Option<String>>(&row, "response_body")?.unwrap_or_default(),
            });
        }
        let locked_at: i64 = get(&row, "locked_at")?;
        if locked_at >= ms(stale_before) {
            return Ok(IdempotencyBegin::InFlight);
        }
        // The first request died without answering: take the key over, once (compare-and-set).
        let taken = sqlx::query(
            "UPDATE idempotency_keys SET locked_at = $3 \
             WHERE workspace_id = $1 AND idem_key = $2 AND locked_at = $4 AND status_code IS NULL",
        )
        .bind(workspace.as_str())
        .bind(key)
        .bind(ms(now))
        .bind(locked_at)
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        if taken.rows_affected() == 1 {
            let created: i64 = get(&row, "created_at")?;
            Ok(IdempotencyBegin::Started {
                resumed_from: Some(super::ts(created)?),
            })
        } else {
            Ok(IdempotencyBegin::InFlight)
        }
    }

    async fn idempotency_complete(
        &self,
        workspace: &WorkspaceId,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET status_code = $3, response_body = $4 WHERE workspace_id = $1 AND idem_key = $2",
        )
        .bind(workspace.as_str())
        .bind(key)
        .bind(i64::from(status))
        .bind(body)
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn idempotency_abandon(&self, workspace: &WorkspaceId, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM idempotency_keys WHERE workspace_id = $1 AND idem_key = $2 AND status_code IS NULL")
            .bind(workspace.as_str())
            .bind(key)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn live_number(
        &self,
        workspace: &WorkspaceId,
        number: &E164,
    ) -> StoreResult<Option<PhoneNumberRecord>> {
        let sql = format!(
            "SELECT {NUMBER_COLUMNS} FROM phone_numbers WHERE workspace_id = $1 AND phone_number = $2 \
             AND status IN ('pending', 'active')"
        );
        let row = sqlx::query(&sql)
            .bind(workspace.as_str())
            .bind(number.as_str())
            .fetch_optional(&self.read)
            .await
            .map_err(map_err)?;
        row.as_ref().map(|r| number_from_row(r)).transpose()
    }
}
