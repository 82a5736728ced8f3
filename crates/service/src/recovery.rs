//! The saga's recovery worker: a `pending` row whose request died (crash, lost carrier answer)
//! is settled by asking the carrier who owns the number. Owned by our account: finish the
//! purchase (activate, charge once). Not owned: unwind (mark failed, free the claim). A carrier
//! that does not answer leaves the row for the next round; nothing is ever guessed.

use crate::{ServiceResult, Services};
use dialnexa_store::PhoneNumberRecord;
use std::time::Duration;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryReport {
    pub activated: u32,
    pub failed: u32,
    pub undecided: u32,
}

impl Services {
    /// Settle pending purchases older than `min_age`. The age must exceed the carrier timeout,
    /// so a purchase whose request is still waiting on the carrier is never judged early.
    #[tracing::instrument(skip_all)]
    pub async fn recover_pending(&self, min_age: Duration) -> ServiceResult<RecoveryReport> {
        let age = jiff::SignedDuration::try_from(min_age).unwrap_or_default();
        let before = self
            .clock
            .now()
            .checked_sub(age)
            .unwrap_or(self.clock.now());
        let mut report = RecoveryReport::default();
        for pending in self.store.pending_before(before, 100).await? {
            match self.settle(&pending).await {
                Ok(Settled::Activated) => report.activated += 1,
                Ok(Settled::Failed) => report.failed += 1,
                Ok(Settled::Undecided) => report.undecided += 1,
                Err(e) => {
                    tracing::warn!(id = %pending.id, error = %e, "recovery of a pending purchase failed; will retry");
                    report.undecided += 1;
                }
            }
        }
        if report != RecoveryReport::default() {
            tracing::info!(?report, "recovered pending purchases");
        }
        Ok(report)
    }

    async fn settle(&self, pending: &PhoneNumberRecord) -> ServiceResult<Settled> {
        let carrier = self.carriers.get(pending.provider)?;
        match carrier.fetch_owned(&pending.phone_number).await {
            Ok(Some(owned)) => {
                self.activate(pending, &owned).await?;
                Ok(Settled::Activated)
            }
            Ok(None) => {
                self.store
                    .fail_pending(
                        &pending.id,
                        "the carrier did not sell the number (recovered)",
                        self.clock.now(),
                    )
                    .await?;
                Ok(Settled::Failed)
            }
            Err(e) => {
                tracing::info!(id = %pending.id, error = %e, "carrier did not answer; pending purchase stays pending");
                Ok(Settled::Undecided)
            }
        }
    }
}

enum Settled {
    Activated,
    Failed,
    Undecided,
}
