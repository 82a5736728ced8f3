//! Idempotency keys on PostgreSQL. The claim is an INSERT on the (workspace, key) primary key,
//! so exactly one of many concurrent requests, in any number of processes, runs; the others see
//! it in flight; a dead request's key is taken over by compare-and-set on its lock time.

use super::PgStore;
use super::db::Args;
use crate::queries as q;
use crate::rows::{self, ms, ts};
use crate::{IdempotencyBegin, IdempotencyStore, PhoneNumberRecord, StoreResult};
use async_trait::async_trait;
use dialnexa_domain::{E164, WorkspaceId};
use jiff::Timestamp;

#[async_trait]
impl IdempotencyStore for PgStore {
    async fn idempotency_begin(
        &self,
        workspace: &WorkspaceId,
        key: &str,
        request_hash: &str,
        now: Timestamp,
        expired_before: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<IdempotencyBegin> {
        let ws = workspace.as_str();
        // An expired key is forgotten first, so its reuse starts afresh.
        let args: Args = &[&ws, &key, &ms(expired_before)];
        self.write_exec(q::FORGET_EXPIRED_KEY, args).await?;
        let args: Args = &[&ws, &key, &request_hash, &ms(now)];
        if self.write_exec(q::CLAIM_KEY, args).await? == 1 {
            return Ok(IdempotencyBegin::Started { resumed_from: None });
        }
        let state = self
            .read_one(q::KEY_STATE, &[&ws, &key], |row| {
                Ok((
                    row.text(0)?,
                    row.opt_int(1)?,
                    row.opt_text(2)?,
                    row.int(3)?,
                    row.int(4)?,
                ))
            })
            .await?;
        let Some((stored_hash, status, body, created, locked_at)) = state else {
            // Deleted between our insert and read (an abandon): the caller may simply retry.
            return Ok(IdempotencyBegin::InFlight);
        };
        if stored_hash != request_hash {
            return Ok(IdempotencyBegin::Mismatch);
        }
        if let Some(status) = status {
            return Ok(IdempotencyBegin::Completed {
                status: u16::try_from(status).unwrap_or(500),
                body: body.unwrap_or_default(),
            });
        }
        if locked_at >= ms(stale_before) {
            return Ok(IdempotencyBegin::InFlight);
        }
        // The first request died without answering: take the key over, once.
        let args: Args = &[&ws, &key, &ms(now), &locked_at];
        Ok(match self.write_exec(q::TAKE_OVER_KEY, args).await? {
            1 => IdempotencyBegin::Started {
                resumed_from: Some(ts(created)?),
            },
            _ => IdempotencyBegin::InFlight,
        })
    }

    async fn idempotency_complete(
        &self,
        workspace: &WorkspaceId,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        let args: Args = &[&workspace.as_str(), &key, &i64::from(status), &body];
        self.write_exec(q::COMPLETE_KEY, args).await.map(drop)
    }

    async fn idempotency_abandon(&self, workspace: &WorkspaceId, key: &str) -> StoreResult<()> {
        self.write_exec(q::ABANDON_KEY, &[&workspace.as_str(), &key])
            .await
            .map(drop)
    }

    async fn live_number(
        &self,
        workspace: &WorkspaceId,
        number: &E164,
    ) -> StoreResult<Option<PhoneNumberRecord>> {
        let args: Args = &[&workspace.as_str(), &number.as_str()];
        self.read_one(&q::LIVE_NUMBER, args, rows::number).await
    }
}
