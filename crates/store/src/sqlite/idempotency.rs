//! Idempotency keys on SQLite. The claim, the look at what holds the key and the takeover of a
//! dead request's key run in one write, so no other write of the key falls between them.

use super::SqliteStore;
use super::conn::{Args, exec, one};
use crate::queries as q;
use crate::rows::{self, ms, ts};
use crate::{IdempotencyBegin, IdempotencyStore, PhoneNumberRecord, StoreResult};
use async_trait::async_trait;
use dialnexa_domain::{E164, WorkspaceId};
use jiff::Timestamp;

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn idempotency_begin(
        &self,
        workspace: &WorkspaceId,
        key: &str,
        request_hash: &str,
        now: Timestamp,
        expired_before: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<IdempotencyBegin> {
        let (workspace, key, hash) = (workspace.clone(), key.to_owned(), request_hash.to_owned());
        self.write(move |c| {
            let ws = workspace.as_str();
            // An expired key is forgotten first, so its reuse starts afresh.
            exec(c, q::FORGET_EXPIRED_KEY, &[&ws, &key, &ms(expired_before)])?;
            if exec(c, q::CLAIM_KEY, &[&ws, &key, &hash, &ms(now)])? == 1 {
                return Ok(IdempotencyBegin::Started { resumed_from: None });
            }
            let args: Args = &[&ws, &key];
            let state = one(c, q::KEY_STATE, args, |row| {
                Ok((
                    row.text(0)?,
                    row.opt_int(1)?,
                    row.opt_text(2)?,
                    row.int(3)?,
                    row.int(4)?,
                ))
            })?;
            let Some((stored_hash, status, body, created, locked_at)) = state else {
                return Ok(IdempotencyBegin::InFlight);
            };
            if stored_hash != hash {
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
            Ok(match exec(c, q::TAKE_OVER_KEY, args)? {
                1 => IdempotencyBegin::Started {
                    resumed_from: Some(ts(created)?),
                },
                _ => IdempotencyBegin::InFlight,
            })
        })
        .await
    }

    async fn idempotency_complete(
        &self,
        workspace: &WorkspaceId,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        let (workspace, key, body) = (workspace.clone(), key.to_owned(), body.to_owned());
        self.write(move |c| {
            let args: Args = &[&workspace.as_str(), &key, &i64::from(status), &body];
            exec(c, q::COMPLETE_KEY, args).map(drop)
        })
        .await
    }

    async fn idempotency_abandon(&self, workspace: &WorkspaceId, key: &str) -> StoreResult<()> {
        let (workspace, key) = (workspace.clone(), key.to_owned());
        self.write(move |c| exec(c, q::ABANDON_KEY, &[&workspace.as_str(), &key]).map(drop))
            .await
    }

    async fn live_number(
        &self,
        workspace: &WorkspaceId,
        number: &E164,
    ) -> StoreResult<Option<PhoneNumberRecord>> {
        self.read_one(
            &q::LIVE_NUMBER,
            &[&workspace.as_str(), &number.as_str()],
            rows::number,
        )
    }
}
