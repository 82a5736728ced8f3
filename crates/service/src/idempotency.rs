//! Idempotency keys, transport-free: claim a key for a request fingerprint, record the answer,
//! replay it. The HTTP layer decides what a request and an answer are.

use crate::{Caller, ErrorKind, ServiceError, ServiceResult, Services};
use dialnexa_store::IdempotencyBegin;
use jiff::Timestamp;
use std::time::Duration;

/// How long an answer is replayed.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// A key in flight longer than this belongs to a request that died; a retry may take it over.
pub const STALE_AFTER: Duration = Duration::from_secs(90);

/// What to do with a request that carries a key (a key in flight or reused with another
/// request is an error instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClaim {
    /// The key is this request's: run it, then record the answer.
    Run {
        /// Set when the key's first request died after this instant and this one takes over.
        resumed_from: Option<Timestamp>,
    },
    /// The key's request already ran: answer as it did.
    Replay { status: u16, body: String },
}

/// Checks a client's key: 1 to 255 visible ASCII characters.
pub fn check_key(key: &str) -> ServiceResult<()> {
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ServiceError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 255 visible ASCII characters, e.g. a UUID.",
        ));
    }
    Ok(())
}

impl Services {
    pub async fn idempotency_begin(
        &self,
        caller: &Caller,
        key: &str,
        request_hash: &str,
    ) -> ServiceResult<KeyClaim> {
        check_key(key)?;
        let now = self.clock.now();
        let ago = |d: Duration| {
            now.checked_sub(jiff::SignedDuration::try_from(d).unwrap_or_default())
                .unwrap_or(now)
        };
        let begin = self
            .store
            .idempotency_begin(
                &caller.workspace_id,
                key,
                request_hash,
                now,
                ago(REPLAY_WINDOW),
                ago(STALE_AFTER),
            )
            .await?;
        match begin {
            IdempotencyBegin::InFlight => Err(ServiceError::new(
                ErrorKind::Conflict,
                "idempotency_in_progress",
                "A request with this Idempotency-Key is still being processed; retry in a moment.",
            )),
            IdempotencyBegin::Mismatch => Err(ServiceError::new(
                ErrorKind::Unprocessable,
                "idempotency_key_reused",
                "This Idempotency-Key was already used with a different request; use a new key for a new request.",
            )),
            IdempotencyBegin::Started { resumed_from } => Ok(KeyClaim::Run { resumed_from }),
            IdempotencyBegin::Completed { status, body } => Ok(KeyClaim::Replay { status, body }),
        }
    }

    pub async fn idempotency_complete(
        &self,
        caller: &Caller,
        key: &str,
        status: u16,
        body: &str,
    ) -> ServiceResult<()> {
        Ok(self
            .store
            .idempotency_complete(&caller.workspace_id, key, status, body)
            .await?)
    }

    pub async fn idempotency_abandon(&self, caller: &Caller, key: &str) -> ServiceResult<()> {
        Ok(self
            .store
            .idempotency_abandon(&caller.workspace_id, key)
            .await?)
    }
}
