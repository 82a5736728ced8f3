//! Reservations: numbers held for a workspace for up to 30 minutes, so a search's pick is not
//! lost to another buyer before the purchase. The hold is ours (a row per number that every
//! claim and search reads, counting only until it expires); where the carrier can hold numbers
//! too (Telnyx), it is placed there as well. Another workspace's purchase or reservation of a
//! held number is refused with 409 `number_reserved`; the holder buys it as usual.

use crate::audit::{AuditEntry, actions};
use crate::carriers::carrier_error;
use crate::input::{self, present};
use crate::model::Reservation;
use crate::quote::QuoteRequest;
use crate::{Caller, ServiceError, ServiceResult, Services};
use dialnexa_domain::{E164, Provider, ReservationId};
use dialnexa_store::{HoldMode, NewReservation, Reserved};
use jiff::SignedDuration;

/// At most this many numbers in one reservation.
pub const MAX_RESERVATION_NUMBERS: usize = 20;
/// How long a reservation holds by default, and at most, in seconds.
pub const MAX_TTL_SECONDS: i64 = 1800;

/// A reservation as sent.
#[derive(Debug, Clone, Default)]
pub struct ReservationInput {
    pub phone_numbers: Option<Vec<String>>,
    pub provider: Option<String>,
    pub ttl_seconds: Option<i64>,
}

/// A checked reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationRequest {
    pub phone_numbers: Vec<E164>,
    pub provider: Option<Provider>,
    pub ttl: SignedDuration,
}

impl ReservationInput {
    pub fn parse(&self) -> ServiceResult<ReservationRequest> {
        let field = "phone_numbers";
        let raw = self.phone_numbers.as_deref().unwrap_or_default();
        if raw.is_empty() {
            return Err(ServiceError::bad_request(
                "missing_field",
                "phone_numbers is required: a list of 1 to 20 numbers in E.164 format.",
            )
            .on(field));
        }
        if raw.len() > MAX_RESERVATION_NUMBERS {
            return Err(ServiceError::bad_request(
                "too_many_numbers",
                format!(
                    "A reservation holds at most {MAX_RESERVATION_NUMBERS} numbers; {} were sent.",
                    raw.len()
                ),
            )
            .on(field));
        }
        let mut phone_numbers: Vec<E164> = Vec::with_capacity(raw.len());
        for n in raw {
            input::no_nul(field, n)?;
            let number = input::e164(field, Some(n))?;
            if phone_numbers.contains(&number) {
                return Err(ServiceError::bad_request(
                    "duplicate_number",
                    format!("{number} is listed twice in phone_numbers."),
                )
                .on(field));
            }
            phone_numbers.push(number);
        }
        let ttl = self.ttl_seconds.unwrap_or(MAX_TTL_SECONDS);
        if !(1..=MAX_TTL_SECONDS).contains(&ttl) {
            return Err(ServiceError::bad_request(
                "invalid_ttl",
                format!("ttl_seconds must be a whole number from 1 to {MAX_TTL_SECONDS}."),
            )
            .on("ttl_seconds"));
        }
        Ok(ReservationRequest {
            phone_numbers,
            provider: present(&self.provider)
                .map(|p| input::provider("provider", p))
                .transpose()?,
            ttl: SignedDuration::from_secs(ttl),
        })
    }
}

impl Services {
    /// Hold numbers for the caller's workspace: every number or none. Audited.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn reserve(
        &self,
        caller: &Caller,
        req: &ReservationRequest,
    ) -> ServiceResult<Reservation> {
        let entry =
            AuditEntry::new(actions::RESERVATION_CREATE, "reservation").with(serde_json::json!({
                "phone_numbers": req.phone_numbers.iter().map(E164::as_str).collect::<Vec<_>>(),
                "provider": req.provider.map(|p| p.as_str()),
                "ttl_seconds": req.ttl.as_secs(),
            }));
        let held = self.hold(caller, req).await;
        self.audited(caller, entry, held, |r| Some(r.id.to_string()))
            .await
    }

    async fn hold(&self, caller: &Caller, req: &ReservationRequest) -> ServiceResult<Reservation> {
        // Each number must be one the workspace may buy: the same quote as a purchase.
        let mut provider = None;
        for number in &req.phone_numbers {
            let quote = self
                .quote(caller, QuoteRequest::for_number(number, req.provider))
                .await?;
            if let Some(blocked) = quote.blocked_by {
                return Err(blocked
                    .error(*number.country(), quote.number_type)
                    .on("phone_numbers"));
            }
            provider = Some(quote.provider);
        }
        let provider = provider.ok_or_else(|| ServiceError::internal("no numbers to reserve"))?;
        if !provider.is_carrier() {
            return Err(ServiceError::bad_request(
                "invalid_provider",
                "Numbers on your own SIP trunk are not reserved: they are linked.",
            )
            .on("provider"));
        }
        let carrier = self.carriers.get(provider)?.clone();
        let now = self.clock.now();
        let new = NewReservation {
            id: ReservationId::generate(),
            workspace_id: caller.workspace_id.clone(),
            provider,
            phone_numbers: req.phone_numbers.clone(),
            carrier_ref: None,
            created_at: now,
            expires_at: now
                .checked_add(req.ttl)
                .map_err(|e| ServiceError::internal(e.to_string()))?,
        };
        let record = match self.store.reserve(&new, &HoldMode::All, now).await? {
            Reserved::Held(record) => record,
            Reserved::Refused(numbers) => return Err(self.refused(caller, &numbers).await),
        };
        // Ours is held; the carrier's hold (where it has one) keeps other platforms off too.
        if carrier.can_reserve() {
            let ttl = std::time::Duration::try_from(req.ttl).unwrap_or_default();
            let at_carrier = carrier.reserve(&req.phone_numbers, ttl).await;
            let refusal = match at_carrier {
                Ok(held) if held.refused.is_empty() => None,
                Ok(held) => {
                    let (number, why) = &held.refused[0];
                    Some(ServiceError::conflict(
                        "number_taken",
                        format!(
                            "{provider} would not hold {number}: {why}. Search again for another number."
                        ),
                    ))
                }
                Err(e) => Some(carrier_error(provider, e)),
            };
            if let Some(refusal) = refusal {
                self.store
                    .release_reservation(&caller.workspace_id, &record.id, self.clock.now())
                    .await?;
                return Err(refusal);
            }
        }
        Ok(Reservation::from_record(record, now))
    }

    /// Why a reservation was refused: held by another workspace, or already bought.
    async fn refused(&self, caller: &Caller, numbers: &[E164]) -> ServiceError {
        let Some(first) = numbers.first() else {
            return ServiceError::internal("a refused reservation named no number");
        };
        let now = self.clock.now();
        match self.store.held_by_others(&caller.workspace_id, numbers, now).await {
            Ok(held) if !held.is_empty() => ServiceError::conflict(
                "number_reserved",
                format!(
                    "{} is held by another workspace's reservation. Search again for another number.",
                    held[0]
                ),
            )
            .on("phone_numbers"),
            Ok(_) => ServiceError::conflict(
                "number_taken",
                format!("{first} is already held by a workspace on this platform. Search again for another number."),
            )
            .on("phone_numbers"),
            Err(e) => e.into(),
        }
    }

    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn reservation(&self, caller: &Caller, id: &str) -> ServiceResult<Reservation> {
        let id = ReservationId::parse(id).ok_or_else(|| ServiceError::not_found("Reservation"))?;
        let record = self
            .store
            .get_reservation(&caller.workspace_id, &id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Reservation"))?;
        Ok(Reservation::from_record(record, self.clock.now()))
    }

    /// End a reservation early; its numbers are free at once. One that already ended is
    /// answered as it is.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn release_reservation(
        &self,
        caller: &Caller,
        id: &str,
    ) -> ServiceResult<Reservation> {
        let entry = AuditEntry::new(actions::RESERVATION_RELEASE, "reservation").on(id);
        let now = self.clock.now();
        let released = match ReservationId::parse(id) {
            None => Err(ServiceError::not_found("Reservation")),
            Some(id) => self
                .store
                .release_reservation(&caller.workspace_id, &id, now)
                .await
                .map_err(ServiceError::from)
                .and_then(|r| r.ok_or_else(|| ServiceError::not_found("Reservation"))),
        };
        let released = released.map(|r| Reservation::from_record(r, now));
        self.audited(caller, entry, released, |r| Some(r.id.to_string()))
            .await
    }

    /// The sweeper: mark reservations past their deadline expired and drop their holds. The
    /// holds stopped counting at the deadline already; this only tidies, and the store's
    /// compare-and-set makes each reservation expire in one process only. A carrier's own
    /// hold (Telnyx) runs out at the carrier by itself.
    #[tracing::instrument(skip_all)]
    pub async fn sweep_reservations(&self) -> ServiceResult<usize> {
        let mut total = 0;
        loop {
            let expired = self
                .store
                .expire_reservations(self.clock.now(), 100)
                .await?;
            for id in &expired {
                tracing::info!(reservation = %id, "reservation expired");
            }
            total += expired.len();
            if expired.len() < 100 {
                return Ok(total);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(numbers: &[&str], ttl: Option<i64>) -> ReservationInput {
        ReservationInput {
            phone_numbers: Some(numbers.iter().map(|n| (*n).to_owned()).collect()),
            provider: None,
            ttl_seconds: ttl,
        }
    }

    #[test]
    fn a_reservation_is_checked_with_the_field_of_each_refusal() {
        let ok = input(&["+14155550101"], None).parse().unwrap();
        assert_eq!(ok.ttl, SignedDuration::from_mins(30));
        let many: Vec<String> = (0..21).map(|i| format!("+1415555{i:04}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        for (sent, code, field) in [
            (input(&[], None), "missing_field", "phone_numbers"),
            (input(&many, None), "too_many_numbers", "phone_numbers"),
            (
                input(&["12"], None),
                "invalid_phone_number",
                "phone_numbers",
            ),
            (
                input(&["+14155550101", "+14155550101"], None),
                "duplicate_number",
                "phone_numbers",
            ),
            (
                input(&["+14155550101"], Some(0)),
                "invalid_ttl",
                "ttl_seconds",
            ),
            (
                input(&["+14155550101"], Some(1801)),
                "invalid_ttl",
                "ttl_seconds",
            ),
        ] {
            let e = sent.parse().unwrap_err();
            assert_eq!((e.code, e.field), (code, Some(field)), "{sent:?}");
        }
        let bad_provider = ReservationInput {
            provider: Some("nope".into()),
            ..input(&["+14155550101"], None)
        };
        assert_eq!(bad_provider.parse().unwrap_err().field, Some("provider"));
    }
}
