//! The purchase saga. A purchase spans the carrier and our database, so it is never "call the
//! carrier and hope the write succeeds":
//! 1. claim: a `pending` row, unique among live rows for the number (the intent is saved first);
//! 2. buy at the carrier;
//! 3. activate, write the first rental charge and the outbox event in one transaction.
//!
//! A lost carrier answer, or a crash between the steps, leaves the row `pending`; recovery asks
//! the carrier who owns the number and finishes (owned by us) or unwinds (not owned).

use crate::audit::{AuditEntry, actions};
use crate::carriers::carrier_error;
use crate::input::{self, present};
use crate::model::PhoneNumber;
use crate::quote::{QuoteRequest, type_words};
use crate::{Caller, ErrorKind, ServiceError, ServiceResult, Services};
use dialnexa_carriers::{CarrierError, OwnedNumber};
use dialnexa_domain::{
    BillingPeriod, Capabilities, Capability, ChargeId, CountryIso, E164, EventId, NumberStatus,
    PhoneNumberId, Provider,
};
use dialnexa_store::{
    NewAuditEvent, NewCharge, NewEvent, NewNumber, PhoneNumberRecord, StoreError,
};
use jiff::Timestamp;
use std::time::Duration;
use tracing::Instrument;

/// After the claim is saved, before the carrier is called.
pub const AFTER_CLAIM: &str = "purchase.after_claim";
/// After the carrier sold the number, before it is activated here.
pub const AFTER_CARRIER: &str = "purchase.after_carrier";
/// After the activation is committed, before the answer.
pub const AFTER_ACTIVATE: &str = "purchase.after_activate";

/// A purchase as sent: the seed's `phone_number` and `provider`, or the spec's spellings.
#[derive(Debug, Clone, Default)]
pub struct PurchaseInput {
    pub phone_number: Option<String>,
    pub provider: Option<String>,
    pub country: Option<String>,
    /// Sent in the spec's spellings (`phoneNumber`, `telephonyProviderId`, `countryISO`):
    /// refusals name the fields that way.
    pub spec_names: bool,
}

impl PurchaseInput {
    /// `resumed_from`: see [`PurchaseRequest::resumed_from`].
    pub fn parse(&self, resumed_from: Option<Timestamp>) -> ServiceResult<PurchaseRequest> {
        let (number, provider) = if self.spec_names {
            ("phoneNumber", "telephonyProviderId")
        } else {
            ("phone_number", "provider")
        };
        Ok(PurchaseRequest {
            phone_number: input::e164(number, self.phone_number.as_deref())?,
            provider: present(&self.provider)
                .map(|p| input::provider(provider, p))
                .transpose()?,
            country: present(&self.country)
                .map(|c| input::country("countryISO", c))
                .transpose()?,
            resumed_from,
        })
    }
}

#[derive(Debug, Clone)]
pub struct PurchaseRequest {
    pub phone_number: E164,
    /// `None`: the workspace's default provider.
    pub provider: Option<Provider>,
    /// When given (the spec's `countryISO`), it must match the number's country.
    pub country: Option<CountryIso>,
    /// Set when this request retries an idempotent purchase whose first attempt died after
    /// `resumed_from`: a live row of ours for the number from since then is that attempt's work.
    pub resumed_from: Option<Timestamp>,
}

/// Whether a purchase's audit row is already written (with its activation) or still due.
enum Audit {
    Written,
    Due,
}

#[derive(Debug, Clone)]
pub enum PurchaseOutcome {
    /// Bought and provisioned.
    Active(PhoneNumber),
    /// The carrier's answer was lost; the outcome will show on GET once recovery settles it.
    Pending(PhoneNumber),
}

/// What recovery did with the pending purchases it looked at.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryReport {
    pub activated: u32,
    pub failed: u32,
    pub undecided: u32,
}

impl Services {
    /// Buy a number; audited with its outcome (the number's id once it has one).
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, number = %req.phone_number))]
    pub async fn purchase(
        &self,
        caller: &Caller,
        req: PurchaseRequest,
    ) -> ServiceResult<PurchaseOutcome> {
        let entry = AuditEntry::new(actions::NUMBER_PURCHASE, "phone_number")
            .on(req.phone_number.as_str())
            .with(serde_json::json!({
                "phone_number": req.phone_number.as_str(),
                "provider": req.provider.map(|p| p.as_str()),
            }));
        let outcome = self.run_purchase(caller, req, &entry).await;
        if let Ok((PurchaseOutcome::Pending(n), _)) = &outcome {
            let data = crate::webhooks::number_data(n);
            let ws = &caller.workspace_id;
            self.emit(ws, None, "phone_number.purchase_pending", data)
                .await;
        }
        crate::telemetry::purchase(match &outcome {
            Ok((PurchaseOutcome::Active(_), _)) => "active",
            Ok((PurchaseOutcome::Pending(_), _)) => "pending",
            Err(e) => e.code,
        });
        // An activation writes its audit row in its own transaction; the rest are written here.
        let outcome = match outcome {
            Ok((outcome, Audit::Written)) => return Ok(outcome),
            Ok((outcome, Audit::Due)) => Ok(outcome),
            Err(e) => Err(e),
        };
        self.audited(caller, entry, outcome, |outcome| {
            let (PurchaseOutcome::Active(n) | PurchaseOutcome::Pending(n)) = outcome;
            Some(n.id.to_string())
        })
        .await
    }

    async fn run_purchase(
        &self,
        caller: &Caller,
        req: PurchaseRequest,
        entry: &AuditEntry,
    ) -> ServiceResult<(PurchaseOutcome, Audit)> {
        let number = &req.phone_number;
        let country = *number.country();
        if let Some(claimed) = req.country
            && claimed != country
        {
            return Err(ServiceError::bad_request(
                "country_mismatch",
                format!("{number} is a {country} number, not {claimed}."),
            )
            .on("countryISO"));
        }
        // What a search showed this workspace of the number is read beside the quote: both are
        // needed before the claim, and neither depends on the other.
        let (quote, sighting) = tokio::try_join!(
            self.quote(caller, QuoteRequest::for_number(number, req.provider)),
            async {
                self.store
                    .sighting(&caller.workspace_id, number)
                    .await
                    .map_err(ServiceError::from)
            }
        )?;
        if let Some(blocked) = quote.blocked_by {
            return Err(blocked.error(country, quote.number_type));
        }
        if let Some(since) = req.resumed_from
            && let Some(earlier) = self.store.live_number(&caller.workspace_id, number).await?
            && earlier.created_at >= since
        {
            let active = earlier.status == NumberStatus::Active;
            let earlier = self.present(earlier);
            let outcome = if active {
                PurchaseOutcome::Active(earlier)
            } else {
                PurchaseOutcome::Pending(earlier)
            };
            return Ok((outcome, Audit::Due));
        }
        let provider = quote.provider;
        if !provider.is_carrier() {
            return Err(ServiceError::bad_request(
                "invalid_provider",
                "Numbers on your own SIP trunk are linked with POST /v1/organization-phone-numbers/sip-trunks, not purchased.",
            ));
        }
        let carrier = self.carriers.get(provider)?.clone();
        let monthly_cost = quote.monthly_cost.ok_or_else(|| {
            ServiceError::bad_request(
                "number_not_available",
                format!(
                    "{provider} does not sell {country} {} numbers.",
                    type_words(quote.number_type)
                ),
            )
        })?;
        let capabilities = sighting
            .as_ref()
            .map(|s| s.capabilities)
            .unwrap_or_else(|| Capabilities::default().with(Capability::Voice));

        // Step 1: the claim.
        let claim = self
            .store
            .insert_pending(&NewNumber {
                id: PhoneNumberId::generate(),
                workspace_id: caller.workspace_id.clone(),
                phone_number: number.clone(),
                number_type: quote.number_type,
                capabilities,
                monthly_cost,
                provider,
                created_at: self.clock.now(),
            })
            .instrument(tracing::info_span!("purchase.claim"))
            .await;
        let pending = match claim {
            Ok(pending) => pending,
            Err(StoreError::NumberAlreadyHeld) => return Err(self.held_why(caller, number).await),
            Err(other) => return Err(other.into()),
        };
        self.config.failpoints.hit(AFTER_CLAIM);

        // Step 2: the carrier.
        let bought = carrier
            .buy(number)
            .instrument(tracing::info_span!("purchase.carrier"))
            .await;
        match bought {
            Ok(owned) => {
                self.config.failpoints.hit(AFTER_CARRIER);
                // Step 3: the activation.
                let mut done = entry.clone();
                done.resource_id = Some(pending.id.to_string());
                let audit = self.audit_row(&caller.workspace_id, &caller.actor, &done, Ok(()));
                let activation = self
                    .activate(&pending, &owned, Some(&audit))
                    .instrument(tracing::info_span!("purchase.activate"));
                let active = match activation.await {
                    Ok(active) => active,
                    // The claim is durable and the carrier sold us the number: what is not
                    // known yet is only our own record of it, which recovery completes once
                    // the database commits again. That is a pending purchase, not a failure.
                    Err(e) if e.kind == ErrorKind::Unavailable => {
                        tracing::warn!(id = %pending.id, error = %e, "activation did not commit; left pending for recovery");
                        let pending = PurchaseOutcome::Pending(self.present(pending));
                        return Ok((pending, Audit::Due));
                    }
                    Err(e) => return Err(e),
                };
                self.config.failpoints.hit(AFTER_ACTIVATE);
                Ok((
                    PurchaseOutcome::Active(self.present(active)),
                    Audit::Written,
                ))
            }
            Err(CarrierError::UnknownOutcome(detail)) => {
                tracing::warn!(id = %pending.id, %detail, "carrier outcome unknown; left pending for recovery");
                Ok((PurchaseOutcome::Pending(self.present(pending)), Audit::Due))
            }
            Err(e) => {
                let reason = e.to_string();
                let now = self.clock.now();
                let event = self.purchase_failed_event(&pending, &reason, now);
                self.store
                    .fail_pending(&pending.id, &reason, now, &event)
                    .instrument(tracing::info_span!("purchase.unwind"))
                    .await?;
                self.wake_webhooks();
                Err(self.refusal(provider, number, sighting.map(|s| s.seen_at), e))
            }
        }
    }

    /// Step 3: activation, first charge, event and the request's audit row (none when the
    /// recovery worker activates), in one transaction. Idempotent.
    async fn activate(
        &self,
        pending: &PhoneNumberRecord,
        owned: &OwnedNumber,
        audit: Option<&NewAuditEvent>,
    ) -> ServiceResult<PhoneNumberRecord> {
        let now = self.clock.now();
        let first = BillingPeriod::nth(now, 0);
        let charge = NewCharge {
            id: ChargeId::generate(),
            period_index: 0,
            period_start: first.start,
            period_end: first.end,
            amount: pending.monthly_cost,
        };
        let event = NewEvent {
            id: EventId::generate(),
            event_type: "phone_number.purchased".into(),
            // The number as the activation leaves it (and as GET will show it).
            payload: {
                let mut active = pending.clone();
                active.status = NumberStatus::Active;
                active.activated_at = Some(now);
                active.updated_at = now;
                crate::webhooks::number_data(&self.present(active))
            },
        };
        let active = self
            .store
            .activate_purchase(&pending.id, &owned.carrier_ref, now, &charge, &event, audit)
            .await?;
        self.wake_webhooks();
        Ok(active)
    }

    /// What a carrier's refusal means to the buyer.
    fn refusal(
        &self,
        provider: Provider,
        number: &E164,
        seen_at: Option<Timestamp>,
        e: CarrierError,
    ) -> ServiceError {
        match e {
            CarrierError::NotAvailable | CarrierError::NotFound => {
                let ttl =
                    jiff::SignedDuration::try_from(self.config.sighting_ttl).unwrap_or_default();
                let recently_seen = seen_at.is_some_and(|seen| {
                    seen.checked_add(ttl)
                        .is_ok_and(|until| until >= self.clock.now())
                });
                if recently_seen {
                    ServiceError::conflict(
                        "number_taken",
                        format!(
                            "{number} was claimed by another buyer between your search and this purchase. \
                             Search again for another number."
                        ),
                    )
                } else {
                    ServiceError::bad_request(
                        "number_not_available",
                        format!(
                            "{number} is no longer available from {provider}. Search available numbers \
                             (GET /v1/organization-phone-numbers/available) and pick one from the results."
                        ),
                    )
                }
            }
            other => carrier_error(provider, other),
        }
    }

    /// Recovery: settle pending purchases older than `min_age`. The age must exceed the
    /// carrier timeout, so a purchase whose request is still waiting on the carrier is never
    /// judged early. A carrier that does not answer leaves the row for the next round.
    #[tracing::instrument(skip_all)]
    pub async fn recover_pending(&self, min_age: Duration) -> ServiceResult<RecoveryReport> {
        let age = jiff::SignedDuration::try_from(min_age).unwrap_or_default();
        let now = self.clock.now();
        let before = now.checked_sub(age).unwrap_or(now);
        let mut report = RecoveryReport::default();
        for pending in self.store.pending_before(before, 100).await? {
            let settled = self.settle(&pending).await;
            crate::telemetry::recovery(match settled {
                Ok(Settled::Activated) => "activated",
                Ok(Settled::Failed) => "failed",
                Ok(Settled::Undecided) | Err(_) => "undecided",
            });
            match settled {
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

    /// Owned by our account: finish (activate, charge once). Not owned: unwind (mark failed,
    /// free the claim). Nothing is ever guessed.
    async fn settle(&self, pending: &PhoneNumberRecord) -> ServiceResult<Settled> {
        let carrier = self.carriers.get(pending.provider)?;
        match carrier.fetch_owned(&pending.phone_number).await {
            Ok(Some(owned)) => {
                self.activate(pending, &owned, None).await?;
                Ok(Settled::Activated)
            }
            Ok(None) => {
                let reason = "the carrier did not sell the number (recovered)";
                let now = self.clock.now();
                let event = self.purchase_failed_event(pending, reason, now);
                self.store
                    .fail_pending(&pending.id, reason, now, &event)
                    .await?;
                self.wake_webhooks();
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

impl Services {
    /// Why a claim was refused: another workspace's reservation, or a live row.
    async fn held_why(&self, caller: &Caller, number: &E164) -> ServiceError {
        let now = self.clock.now();
        match self
            .store
            .held_by_others(&caller.workspace_id, std::slice::from_ref(number), now)
            .await
        {
            Ok(held) if !held.is_empty() => {
                crate::quote::Ineligible::Reserved.error(*number.country(), number.number_type())
            }
            Ok(_) => taken(number),
            Err(e) => e.into(),
        }
    }
}

fn taken(number: &E164) -> ServiceError {
    ServiceError::conflict(
        "number_taken",
        format!(
            "{number} is already held by a workspace on this platform. Search again for another number."
        ),
    )
}
