//! Misbehaviour on demand: latency, failures and timeouts tests switch on over HTTP.
//!
//! Faults live in memory only: a restarted emulator behaves, whatever it was told before.

use std::sync::Mutex;
use std::time::Duration;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

/// How long a buy hangs after committing when `timeout_after_commit_next` is set: longer than
/// any sane client timeout, so the client gives up although the number was sold.
pub const HANG_AFTER_COMMIT: Duration = Duration::from_secs(60);

/// The faults in force, as `GET /_emulator/faults` shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FaultSettings {
    /// Added to every carrier call.
    pub latency_ms: u64,
    /// Added to buys only, on top of `latency_ms`.
    pub buy_latency_ms: u64,
    /// The next N carrier calls answer `fail_status` with the carrier's error body.
    pub fail_next: u32,
    pub fail_status: u16,
    /// The next N buys commit, then hang for a minute before answering.
    pub timeout_after_commit_next: u32,
    /// Telnyx: how many polls each new number order answers `pending` before it completes.
    pub order_pending_polls: u32,
    /// Telnyx: the next N number orders end in `failure` (their numbers go back on sale).
    pub order_fail_next: u32,
}

impl Default for FaultSettings {
    fn default() -> Self {
        FaultSettings {
            latency_ms: 0,
            buy_latency_ms: 0,
            fail_next: 0,
            fail_status: 500,
            timeout_after_commit_next: 0,
            order_pending_polls: 0,
            order_fail_next: 0,
        }
    }
}

/// A `POST /_emulator/faults` body: fields present replace the current ones; `reset` first
/// clears everything.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultUpdate {
    pub latency_ms: Option<u64>,
    pub buy_latency_ms: Option<u64>,
    pub fail_next: Option<u32>,
    pub fail_status: Option<u16>,
    pub timeout_after_commit_next: Option<u32>,
    pub order_pending_polls: Option<u32>,
    pub order_fail_next: Option<u32>,
    #[serde(default)]
    pub reset: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("fail_status must be an HTTP error status (400-599), not {0}")]
pub struct BadFailStatus(pub u16);

/// What to do to one carrier call before serving it.
#[derive(Debug, PartialEq, Eq)]
pub struct CallFault {
    pub delay: Duration,
    pub fail: Option<StatusCode>,
}

#[derive(Debug, Default)]
pub struct Faults {
    settings: Mutex<FaultSettings>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, FaultSettings> {
        // Settings are plain numbers; a panic elsewhere cannot leave them inconsistent.
        self.settings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn snapshot(&self) -> FaultSettings {
        self.lock().clone()
    }

    pub fn apply(&self, update: FaultUpdate) -> Result<FaultSettings, BadFailStatus> {
        if let Some(status) = update.fail_status.filter(|s| !(400..=599).contains(s)) {
            return Err(BadFailStatus(status));
        }
        let mut settings = self.lock();
        if update.reset {
            *settings = FaultSettings::default();
        }
        let s = &mut *settings;
        s.latency_ms = update.latency_ms.unwrap_or(s.latency_ms);
        s.buy_latency_ms = update.buy_latency_ms.unwrap_or(s.buy_latency_ms);
        s.fail_next = update.fail_next.unwrap_or(s.fail_next);
        s.fail_status = update.fail_status.unwrap_or(s.fail_status);
        s.timeout_after_commit_next = update
            .timeout_after_commit_next
            .unwrap_or(s.timeout_after_commit_next);
        s.order_pending_polls = update.order_pending_polls.unwrap_or(s.order_pending_polls);
        s.order_fail_next = update.order_fail_next.unwrap_or(s.order_fail_next);
        Ok(s.clone())
    }

    pub fn reset(&self) {
        *self.lock() = FaultSettings::default();
    }

    /// Consumes one pending failure, if any, and says how long to stall the call.
    pub fn on_call(&self, is_buy: bool) -> CallFault {
        let mut s = self.lock();
        let extra = if is_buy { s.buy_latency_ms } else { 0 };
        let delay = Duration::from_millis(s.latency_ms.saturating_add(extra));
        let fail = (s.fail_next > 0).then(|| {
            s.fail_next -= 1;
            StatusCode::from_u16(s.fail_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        });
        CallFault { delay, fail }
    }

    /// Whether this committed buy should hang before answering; consumes one if so.
    pub fn take_hang_after_commit(&self) -> bool {
        let mut s = self.lock();
        let hang = s.timeout_after_commit_next > 0;
        if hang {
            s.timeout_after_commit_next -= 1;
        }
        hang
    }

    /// How a new Telnyx number order will go: the polls it stays `pending` for, and whether it
    /// ends in failure (consuming one `order_fail_next`).
    pub fn on_order(&self) -> (u32, bool) {
        let mut s = self.lock();
        let fail = s.order_fail_next > 0;
        if fail {
            s.order_fail_next -= 1;
        }
        (s.order_pending_polls, fail)
    }

    /// Returns a hang taken by a buy that then sold nothing, for the next buy to use.
    pub fn give_back_hang(&self) {
        self.lock().timeout_after_commit_next += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_down_and_latency_adds_up_for_buys() {
        let faults = Faults::default();
        let update = FaultUpdate {
            latency_ms: Some(5),
            buy_latency_ms: Some(20),
            fail_next: Some(2),
            fail_status: Some(503),
            ..FaultUpdate::default()
        };
        faults.apply(update).unwrap();
        let first = faults.on_call(true);
        assert_eq!(first.delay, Duration::from_millis(25));
        assert_eq!(first.fail, Some(StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(faults.on_call(false).delay, Duration::from_millis(5));
        assert_eq!(faults.on_call(false).fail, None);
    }

    #[test]
    fn reset_clears_and_bad_statuses_are_refused() {
        let faults = Faults::default();
        faults
            .apply(FaultUpdate {
                timeout_after_commit_next: Some(1),
                ..Default::default()
            })
            .unwrap();
        assert!(faults.take_hang_after_commit());
        assert!(!faults.take_hang_after_commit());
        faults
            .apply(FaultUpdate {
                fail_next: Some(3),
                ..Default::default()
            })
            .unwrap();
        let cleared = faults
            .apply(FaultUpdate {
                reset: true,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(cleared, FaultSettings::default());
        let bad = FaultUpdate {
            fail_status: Some(200),
            ..Default::default()
        };
        assert_eq!(faults.apply(bad), Err(BadFailStatus(200)));
    }
}
