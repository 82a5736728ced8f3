//! The quantity-order saga. Each step is saved before the next, and each is safe to run again,
//! so a worker that dies anywhere leaves the order to the next one (the lease runs out):
//! 1. choose: search the carrier, then hold up to `quantity` free numbers in one reservation
//!    whose numbers become the order's items (one transaction), so a race loses no order
//!    halfway;
//! 2. buy each held number through the purchase saga itself (rules, idempotency, billing),
//!    resumed from the order's creation so a purchase a dead worker finished is adopted, not
//!    repeated; each item's outcome is saved;
//! 3. settle: completed, partial (best effort) or failed; an `all_or_none` order that cannot
//!    finish releases what it bought through the release saga first. Settling drops the holds.

use super::purchase::{PurchaseOutcome, PurchaseRequest};
use crate::model::OrderMode;
use crate::search::SearchRequest;
use crate::{Actor, Caller, ErrorKind, ServiceError, ServiceResult, Services};
use dialnexa_domain::{OrderId, ReservationId};
use dialnexa_store::{HoldMode, NewReservation, OrderRecord, Reserved};
use jiff::{SignedDuration, Timestamp};

/// After the order's numbers are held, before any is bought.
pub const AFTER_HOLD: &str = "order.after_hold";
/// After the first number is bought, before its item is saved.
pub const AFTER_FIRST_PURCHASE: &str = "order.after_first_purchase";

/// How long a worker may work on an order before another may take it over; renewed after
/// every number, so only a dead worker's lease runs out.
const LEASE: SignedDuration = SignedDuration::from_secs(60);
/// How long an order's numbers are held.
const HOLD: SignedDuration = SignedDuration::from_mins(30);

/// What became of the items after a round of buying.
enum Round {
    /// Every item is settled (bought or failed).
    Settled,
    /// Some purchase awaits its carrier, or the database or carrier was unavailable: the
    /// order stays pending for a later round.
    Unfinished,
}

impl Services {
    /// Work on an order if nobody else is: take its lease, then run the saga from wherever
    /// it stands.
    #[tracing::instrument(skip_all, fields(order = %id))]
    pub async fn work_order(&self, id: &OrderId) -> ServiceResult<()> {
        let now = self.clock.now();
        let mut lease = after(now, LEASE)?;
        let Some(mut order) = self.store.lease_order(id, now, lease).await? else {
            return Ok(());
        };
        let caller = Caller::new(order.workspace_id.clone(), Actor::system("order"));
        if order.reservation_id.is_none() {
            match self.choose_order_numbers(&caller, &order).await? {
                Some(chosen) => order = chosen,
                None => return Ok(()),
            }
            self.config.failpoints.hit(AFTER_HOLD);
        }
        let mode = OrderMode::from_stored(&order.mode);
        let mut bought_one = false;
        // An all-or-none order that lost a number (in this round or one before a crash) buys
        // nothing more.
        let mut gave_up =
            mode == OrderMode::AllOrNone && order.items.iter().any(|i| i.status == "failed");
        for item in order.items.clone() {
            if !matches!(item.status.as_str(), "reserved" | "pending") {
                continue;
            }
            if gave_up {
                let why = "not bought: the order could not be completed";
                self.save_item(&order.id, item.position, "failed", None, Some(why))
                    .await?;
                continue;
            }
            let outcome = self
                .purchase(
                    &caller,
                    PurchaseRequest {
                        phone_number: item.phone_number.clone(),
                        provider: Some(order.provider),
                        country: None,
                        resumed_from: Some(order.created_at),
                    },
                )
                .await;
            if !bought_one {
                bought_one = true;
                self.config.failpoints.hit(AFTER_FIRST_PURCHASE);
            }
            match outcome {
                Ok(PurchaseOutcome::Active(n)) => {
                    self.save_item(&order.id, item.position, "bought", Some(&n.id), None)
                        .await?;
                }
                Ok(PurchaseOutcome::Pending(n)) => {
                    self.save_item(&order.id, item.position, "pending", Some(&n.id), None)
                        .await?;
                }
                Err(e) if e.kind == ErrorKind::Unavailable => return Err(e),
                Err(e) => {
                    self.save_item(&order.id, item.position, "failed", None, Some(&e.message))
                        .await?;
                    gave_up = mode == OrderMode::AllOrNone;
                }
            }
            // Still ours? Another worker took over only if this one was too slow; stop then.
            let next = after(self.clock.now(), LEASE)?;
            if !self.store.renew_order_lease(&order.id, lease, next).await? {
                return Ok(());
            }
            lease = next;
        }
        let order = self
            .store
            .get_order(&order.workspace_id, &order.id)
            .await?
            .ok_or_else(|| ServiceError::internal("an order vanished while being worked"))?;
        match self.order_round(&order) {
            Round::Unfinished => Ok(()),
            Round::Settled => self.settle_order(&caller, &order).await,
        }
    }

    /// Step 1: search, and hold up to `quantity` of the free numbers found as the order's
    /// items. `None` when the order was settled instead (nothing, or too little, to hold).
    async fn choose_order_numbers(
        &self,
        caller: &Caller,
        order: &OrderRecord,
    ) -> ServiceResult<Option<OrderRecord>> {
        let search = SearchRequest {
            country: order.country,
            number_type: order.number_type,
            area_code: order.area_code.clone(),
            contains: order.contains.clone(),
            region: order.region.clone(),
            capabilities: Default::default(),
            // Room for numbers others hold or buy meanwhile.
            limit: (order.quantity * 2).clamp(1, crate::search::MAX_SEARCH_LIMIT),
            provider: Some(order.provider),
        };
        let found = self.search(caller, &search).await?;
        let free: Vec<_> = found
            .into_iter()
            .filter(|n| n.blocked_by.is_none())
            .map(|n| n.phone_number)
            .collect();
        let now = self.clock.now();
        let new = NewReservation {
            id: ReservationId::generate(),
            workspace_id: order.workspace_id.clone(),
            provider: order.provider,
            phone_numbers: free,
            carrier_ref: None,
            created_at: now,
            expires_at: after(now, HOLD)?,
        };
        let mode = HoldMode::ForOrder {
            order: order.id.clone(),
            want: order.quantity,
        };
        let held = match self.store.reserve(&new, &mode, now).await? {
            Reserved::Held(held) => held.phone_numbers,
            Reserved::Refused(_) => Vec::new(),
        };
        let short = (held.len() as u32) < order.quantity;
        if held.is_empty() || (short && order.mode == OrderMode::AllOrNone.as_str()) {
            let why = format!(
                "only {} of the {} numbers asked for are available; search with fewer filters or order fewer",
                held.len(),
                order.quantity
            );
            self.store
                .finish_order(&order.id, "failed", Some(&why), self.clock.now())
                .await?;
            return Ok(None);
        }
        // Where the carrier holds numbers too, ask it; ours already decides among our buyers.
        let carrier = self.carriers.get(order.provider)?;
        if carrier.can_reserve() {
            let ttl = std::time::Duration::try_from(HOLD).unwrap_or_default();
            if let Err(e) = carrier.reserve(&held, ttl).await {
                tracing::info!(order = %order.id, error = %e, "the carrier did not hold the order's numbers");
            }
        }
        Ok(self.store.get_order(&order.workspace_id, &order.id).await?)
    }

    fn order_round(&self, order: &OrderRecord) -> Round {
        let open = order
            .items
            .iter()
            .any(|i| matches!(i.status.as_str(), "reserved" | "pending"));
        if open {
            Round::Unfinished
        } else {
            Round::Settled
        }
    }

    /// Step 3. An `all_or_none` order short of its quantity gives back what it bought first;
    /// a release that fails leaves the order pending, for the next round to finish.
    async fn settle_order(&self, caller: &Caller, order: &OrderRecord) -> ServiceResult<()> {
        let bought: Vec<_> = order
            .items
            .iter()
            .filter(|i| i.status == "bought")
            .collect();
        let failed = order.items.iter().filter(|i| i.status == "failed").count();
        let (status, reason) = if failed == 0 && bought.len() as u32 == order.quantity {
            ("completed", None)
        } else if order.mode == OrderMode::AllOrNone.as_str() {
            let why = "not every number could be bought; what was bought was released";
            for item in &bought {
                let Some(id) = &item.phone_number_id else {
                    continue;
                };
                match self.release_number(caller, id.as_str()).await {
                    Ok(_) => {}
                    Err(e) if e.kind == ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
                self.save_item(&order.id, item.position, "released", Some(id), Some(why))
                    .await?;
            }
            ("failed", Some(why))
        } else if bought.is_empty() {
            ("failed", Some("none of the numbers could be bought"))
        } else {
            (
                "partial",
                Some("some numbers could not be bought; see each item's reason"),
            )
        };
        let done = self
            .store
            .finish_order(&order.id, status, reason, self.clock.now())
            .await?;
        if done {
            tracing::info!(order = %order.id, status, bought = bought.len(), "order settled");
        }
        Ok(())
    }

    async fn save_item(
        &self,
        order: &OrderId,
        position: u32,
        status: &str,
        number: Option<&dialnexa_domain::PhoneNumberId>,
        reason: Option<&str>,
    ) -> ServiceResult<()> {
        Ok(self
            .store
            .set_order_item(order, position, status, number, reason, self.clock.now())
            .await?)
    }
}

fn after(now: Timestamp, by: SignedDuration) -> ServiceResult<Timestamp> {
    now.checked_add(by)
        .map_err(|e| ServiceError::internal(e.to_string()))
}
