//! The release saga, shaped like the purchase:
//! 1. claim: the intent is saved on the row (`release_requested_at`), so the workspace default
//!    cannot be moved onto it and a second release waits;
//! 2. release at the carrier (a carrier that already forgot the number counts as done);
//! 3. one transaction marks the row released, clears its routing and writes the event.
//!
//! Any other carrier failure forgets the intent and answers 5xx with the number still active,
//! so nothing is lost. A request that dies between the steps is finished by recovery.

use crate::audit::{AuditEntry, actions};
use crate::carriers::owned_number;
use crate::model::PhoneNumber;
use crate::numbers::number_not_found;
use crate::{Caller, ErrorKind, ServiceError, ServiceResult, Services};
use dialnexa_carriers::CarrierError;
use dialnexa_domain::{EventId, NumberStatus, PhoneNumberId, Provider};
use dialnexa_store::{NewEvent, PhoneNumberRecord, ReleaseClaim};
use std::time::Duration;
use tracing::Instrument;

/// After the release intent is saved, before the carrier is called.
pub const AFTER_CLAIM: &str = "release.after_claim";
/// After the carrier released the number, before our finishing write.
pub const AFTER_CARRIER: &str = "release.after_carrier";

/// A carrier failure during release, for the caller: nothing changed on our side.
fn release_failed(provider: Provider, e: CarrierError) -> ServiceError {
    match e {
        CarrierError::Unauthorized => ServiceError::new(
            ErrorKind::BadGateway,
            "carrier_auth_failed",
            format!("{provider} refused this deployment's credentials; the number is still active. An operator must fix the carrier configuration."),
        ),
        CarrierError::Rejected(reason) => ServiceError::new(
            ErrorKind::BadGateway,
            "carrier_rejected",
            format!("{provider} refused to release the number; it is still active."),
        )
        .with_internal(reason),
        other => ServiceError::new(
            ErrorKind::Unavailable,
            "carrier_unavailable",
            format!("{provider} is not answering right now; the number is still active. Retry the release in a few seconds."),
        )
        .with_internal(other.to_string()),
    }
}

impl Services {
    /// Release a number at its carrier (or unlink a SIP trunk) and stop routing it.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, number = %id))]
    pub async fn release_number(&self, caller: &Caller, id: &str) -> ServiceResult<PhoneNumber> {
        let entry = AuditEntry::new(actions::NUMBER_RELEASE, "phone_number").on(id.trim());
        let released = self.run_release(caller, id).await;
        crate::telemetry::release(match &released {
            Ok(_) => "released",
            Err(e) => e.code,
        });
        self.audited(caller, entry, released, |_| None).await
    }

    async fn run_release(&self, caller: &Caller, id: &str) -> ServiceResult<PhoneNumber> {
        let number_id = PhoneNumberId::parse(id).ok_or_else(number_not_found)?;
        // Step 1: the claim.
        let record = match self
            .store
            .claim_release(&caller.workspace_id, &number_id, self.clock.now())
            .instrument(tracing::info_span!("release.claim"))
            .await?
        {
            ReleaseClaim::Claimed(record) => *record,
            // Released (or never bought) numbers are gone: a second DELETE changes nothing.
            ReleaseClaim::NotFound
            | ReleaseClaim::NotActive(NumberStatus::Released | NumberStatus::Failed) => {
                return Err(number_not_found());
            }
            ReleaseClaim::NotActive(status) => {
                return Err(ServiceError::conflict(
                    "phone_number_not_active",
                    format!(
                        "Phone number {id} is {status}: its purchase has not settled yet. Retry once GET shows it active."
                    ),
                ));
            }
            ReleaseClaim::IsDefault => {
                return Err(ServiceError::conflict(
                    "default_phone_number",
                    format!(
                        "Phone number {id} is this workspace's default number. Make another number the \
                         default (PUT /v1/workspace/default-phone-number {{\"phone_number_id\": \"phn_…\"}}) \
                         or clear it ({{\"phone_number_id\": null}}), then release this one."
                    ),
                ));
            }
            ReleaseClaim::InProgress => {
                return Err(ServiceError::conflict(
                    "release_in_progress",
                    format!(
                        "Phone number {id} is being released by another request; GET it to see the outcome."
                    ),
                ));
            }
        };
        self.config.failpoints.hit(AFTER_CLAIM);
        // Step 2: the carrier.
        let at_carrier = self
            .release_at_carrier(&record)
            .instrument(tracing::info_span!("release.carrier"))
            .await;
        match at_carrier {
            Ok(()) => {
                self.config.failpoints.hit(AFTER_CARRIER);
                // Step 3: the finishing write.
                let released = self
                    .finish_release(&record)
                    .instrument(tracing::info_span!("release.finish"))
                    .await?;
                Ok(self.present(released))
            }
            Err(e) => {
                self.store.abandon_release(&record.id).await?;
                Err(e)
            }
        }
    }

    /// `Ok` once the carrier no longer has the number on our account.
    async fn release_at_carrier(&self, record: &PhoneNumberRecord) -> ServiceResult<()> {
        if !record.provider.is_carrier() {
            // A bring-your-own number: there is nothing to give back, only the link to drop.
            return Ok(());
        }
        let provider = record.provider;
        let carrier = self.carriers.get(provider)?;
        match carrier.release(&owned_number(record)).await {
            Ok(()) | Err(CarrierError::NotFound) => Ok(()),
            Err(CarrierError::UnknownOutcome(detail)) => {
                // The release may have happened: ask rather than guess.
                match carrier.fetch_owned(&record.phone_number).await {
                    Ok(None) => Ok(()),
                    Ok(Some(_)) => Err(release_failed(
                        provider,
                        CarrierError::UnknownOutcome(detail),
                    )),
                    Err(e) => Err(release_failed(provider, e)),
                }
            }
            Err(e) => Err(release_failed(provider, e)),
        }
    }

    async fn finish_release(&self, record: &PhoneNumberRecord) -> ServiceResult<PhoneNumberRecord> {
        let now = self.clock.now();
        // The number as the release leaves it (and as GET will show it).
        let mut released = record.clone();
        released.status = NumberStatus::Released;
        released.released_at = Some(now);
        released.updated_at = now;
        released.inbound_agent_id = None;
        released.outbound_agent_id = None;
        let event = NewEvent {
            id: EventId::generate(),
            event_type: "phone_number.released".into(),
            payload: crate::webhooks::number_data(&self.present(released)),
        };
        let released = self
            .store
            .finish_release(&record.id, now, &event)
            .await?
            .ok_or_else(|| ServiceError::internal(format!("release of {} vanished", record.id)));
        self.wake_webhooks();
        released
    }

    /// Recovery: finish releases whose request died after saving the intent. The caller asked
    /// for the release, so it is resumed (a carrier that no longer has the number counts as
    /// done); a carrier that does not answer leaves the row for the next round.
    #[tracing::instrument(skip_all)]
    pub async fn recover_releases(&self, min_age: Duration) -> ServiceResult<u32> {
        let age = jiff::SignedDuration::try_from(min_age).unwrap_or_default();
        let now = self.clock.now();
        let before = now.checked_sub(age).unwrap_or(now);
        let mut finished = 0;
        for record in self.store.stale_releases(before, 100).await? {
            match self.release_at_carrier(&record).await {
                Ok(()) => {
                    self.finish_release(&record).await?;
                    finished += 1;
                }
                Err(e) if e.kind == ErrorKind::Unavailable => {
                    tracing::info!(id = %record.id, error = %e, "release still undecided; will retry");
                }
                Err(e) => {
                    tracing::warn!(id = %record.id, error = %e, "the carrier refused the release; the number stays active");
                    self.store.abandon_release(&record.id).await?;
                }
            }
        }
        if finished > 0 {
            tracing::info!(finished, "interrupted releases finished");
        }
        Ok(finished)
    }
}
