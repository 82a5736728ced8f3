//! A failpoint in the store's commit path, for tests of what the service answers when the
//! database cannot make a write durable (a full or read-only disk): while armed, every write
//! is undone instead of committed and reported as `Unavailable`, exactly as a commit that
//! failed would be. Inert (one relaxed atomic load per commit) unless a test arms it.

use crate::StoreError;
use std::sync::atomic::{AtomicI64, Ordering};

/// Disarmed: commits go through.
const OFF: i64 = -1;

#[derive(Debug)]
pub struct StoreFaults {
    /// `OFF`, or how many more commits succeed before every later one fails.
    commits_left: AtomicI64,
}

impl Default for StoreFaults {
    fn default() -> Self {
        StoreFaults {
            commits_left: AtomicI64::new(OFF),
        }
    }
}

impl StoreFaults {
    /// From now on every commit fails (`true`), or commits go through again (`false`).
    pub fn fail_commits(&self, on: bool) {
        self.commits_left
            .store(if on { 0 } else { OFF }, Ordering::SeqCst);
    }

    /// The next `n` commits go through, every one after them fails (until disarmed): a saga's
    /// first steps commit and a later one does not.
    pub fn fail_commits_after(&self, n: u32) {
        self.commits_left.store(i64::from(n), Ordering::SeqCst);
    }

    /// Called where a write would commit: the error it reports instead, while armed.
    pub(crate) fn commit(&self) -> Result<(), StoreError> {
        if self.commits_left.load(Ordering::Relaxed) == OFF {
            return Ok(());
        }
        let before = self
            .commits_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                (left > 0).then_some(left - 1)
            });
        match before {
            Ok(_) => Ok(()),
            Err(OFF) => Ok(()),
            Err(_) => Err(StoreError::Unavailable(
                "the commit failed (injected by StoreFaults)".into(),
            )),
        }
    }
}
