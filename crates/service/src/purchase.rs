//! The purchase saga. A purchase spans the carrier and our database, so it is never "call the
//! carrier and hope the write succeeds":
//! 1. claim: a `pending` row, unique among live rows for the number (the intent is saved first);
//! 2. buy at the carrier;
//! 3. activate, write the first rental charge and the outbox event in one transaction.
//!
//! A lost carrier answer leaves the row `pending` for the recovery worker, which asks the
//! carrier who owns the number and finishes or unwinds.

use crate::{Caller, ErrorKind, ServiceError, ServiceResult, Services, failpoints};
use dialnexa_carriers::{CarrierError, OwnedNumber};
use dialnexa_domain::{
    BillingPeriod, Capabilities, Capability, ChargeId, CountryIso, E164, EventId, KycStatus,
    NumberType, PhoneNumberId, Provider,
};
use dialnexa_store::{NewCharge, NewEvent, NewNumber, PhoneNumberRecord, StoreError};
use jiff::Timestamp;

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

#[derive(Debug, Clone)]
pub enum PurchaseOutcome {
    /// Bought and provisioned.
    Active(PhoneNumberRecord),
    /// The carrier's answer was lost; the outcome will show on GET once recovery settles it.
    Pending(PhoneNumberRecord),
}

impl Services {
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id, number = %req.phone_number))]
    pub async fn purchase(
        &self,
        caller: &Caller,
        req: PurchaseRequest,
    ) -> ServiceResult<PurchaseOutcome> {
        let number = &req.phone_number;
        let country = *number.country();
        if let Some(claimed) = req.country
            && claimed != country
        {
            return Err(ServiceError::bad_request(
                "country_mismatch",
                format!("{number} is a {country} number, not {claimed}."),
            ));
        }
        let workspace = self.workspace(caller).await?;
        if !workspace.country_enabled(country) {
            return Err(ServiceError::bad_request(
                "country_not_enabled",
                format!(
                    "{country} is not enabled for this workspace. Enable it in Workspace Settings → \
                     Telephony Config (PUT /v1/workspace/telephony-config) and retry."
                ),
            ));
        }
        let number_type = number.number_type();
        if self.requires_kyc(country, number_type) {
            let kyc = self.store.kyc_status(&caller.workspace_id, country).await?;
            if kyc != KycStatus::Approved {
                return Err(ServiceError::new(
                    ErrorKind::Forbidden,
                    "kyc_required",
                    format!(
                        "{country} {} numbers require approved KYC; this workspace's KYC for {country} \
                         is {kyc}. Complete KYC and verification (GET /v1/workspace/kyc), then retry.",
                        type_words(number_type)
                    ),
                ));
            }
        }
        if let Some(since) = req.resumed_from
            && let Some(earlier) = self.store.live_number(&caller.workspace_id, number).await?
            && earlier.created_at >= since
        {
            return Ok(match earlier.status {
                dialnexa_domain::NumberStatus::Active => PurchaseOutcome::Active(earlier),
                _ => PurchaseOutcome::Pending(earlier),
            });
        }
        let provider = req.provider.unwrap_or(workspace.default_provider);
        if !provider.is_carrier() {
            return Err(ServiceError::bad_request(
                "invalid_provider",
                "Numbers on your own SIP trunk are linked with POST /v1/organization-phone-numbers/sip-trunks, not purchased.",
            ));
        }
        let carrier = self.carriers.get(provider)?.clone();
        let monthly_cost = self
            .store
            .price(provider, country, number_type)
            .await?
            .ok_or_else(|| {
                ServiceError::bad_request(
                    "number_not_available",
                    format!(
                        "{provider} does not sell {country} {} numbers.",
                        type_words(number_type)
                    ),
                )
            })?;
        let sighting = self.store.sighting(&caller.workspace_id, number).await?;
        let capabilities = sighting
            .as_ref()
            .map(|s| s.capabilities)
            .unwrap_or_else(|| Capabilities::default().with(Capability::Voice));

        // Step 1: the claim.
        let now = self.clock.now();
        let pending = self
            .store
            .insert_pending(&NewNumber {
                id: PhoneNumberId::generate(),
                workspace_id: caller.workspace_id.clone(),
                phone_number: number.clone(),
                number_type,
                capabilities,
                monthly_cost,
                provider,
                created_at: now,
            })
            .await
            .map_err(|e| match e {
                StoreError::NumberAlreadyHeld => taken(number),
                other => other.into(),
            })?;

        self.config.failpoints.hit(failpoints::PURCHASE_AFTER_CLAIM);

        // Step 2: the carrier.
        match carrier.buy(number).await {
            Ok(owned) => {
                self.config
                    .failpoints
                    .hit(failpoints::PURCHASE_AFTER_CARRIER);
                let active = match self.activate(&pending, &owned).await {
                    Ok(active) => active,
                    // The claim is durable and the carrier sold us the number: what is not
                    // known yet is only our own record of it, which recovery completes once
                    // the database commits again. That is a pending purchase, not a failure.
                    Err(e) if e.kind == ErrorKind::Unavailable => {
                        tracing::warn!(id = %pending.id, error = %e, "activation did not commit; left pending for recovery");
                        return Ok(PurchaseOutcome::Pending(pending));
                    }
                    Err(e) => return Err(e),
                };
                self.config
                    .failpoints
                    .hit(failpoints::PURCHASE_AFTER_ACTIVATE);
                Ok(PurchaseOutcome::Active(active))
            }
            Err(CarrierError::UnknownOutcome(detail)) => {
                tracing::warn!(id = %pending.id, %detail, "carrier outcome unknown; left pending for recovery");
                Ok(PurchaseOutcome::Pending(pending))
            }
            Err(e) => {
                self.store
                    .fail_pending(&pending.id, &e.to_string(), self.clock.now())
                    .await?;
                Err(self.refusal(provider, number, sighting.map(|s| s.seen_at), e))
            }
        }
    }

    /// Step 3: activation, first charge and event, in one transaction. Idempotent.
    pub(crate) async fn activate(
        &self,
        pending: &PhoneNumberRecord,
        owned: &OwnedNumber,
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
            payload: serde_json::json!({
                "id": pending.id,
                "phone_number": pending.phone_number,
                "provider": pending.provider,
                "monthly_cost_usd": pending.monthly_cost,
            }),
        };
        Ok(self
            .store
            .activate_purchase(&pending.id, &owned.carrier_ref, now, &charge, &event)
            .await?)
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
            other => crate::search::carrier_error(provider, other),
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

fn type_words(t: NumberType) -> &'static str {
    match t {
        NumberType::Local => "local",
        NumberType::Mobile => "mobile",
        NumberType::TollFree => "toll-free",
    }
}
