//! Rental billing: the renewal worker charges each period when it begins, exactly once, and
//! catches up every missed period after downtime. The ledger's unique (number, period) and the
//! compare-and-set cursor on the number make a second worker, or a second run, harmless. Each
//! charge writes its `phone_number.renewed` event in its own transaction.

use crate::model::{Charge, ChargeFilter, Page};
use crate::{Caller, ServiceResult, Services};
use dialnexa_domain::{BillingPeriod, ChargeId, EventId, PhoneNumberId};
use dialnexa_store::{NewCharge, NewEvent};

impl Services {
    /// Charge every period that has begun by now. Returns how many charges were written.
    #[tracing::instrument(skip_all)]
    pub async fn run_renewals(&self) -> ServiceResult<u32> {
        let mut charged = 0;
        loop {
            let now = self.clock.now();
            let due = self.store.due_renewals(now, 500).await?;
            if due.is_empty() {
                break;
            }
            let mut progressed = false;
            for d in due {
                let period = BillingPeriod::nth(d.activated_at, d.next_period_index);
                let charge = NewCharge {
                    id: ChargeId::generate(),
                    period_index: period.index,
                    period_start: period.start,
                    period_end: period.end,
                    amount: d.amount,
                };
                let event = NewEvent {
                    id: EventId::generate(),
                    event_type: "phone_number.renewed".into(),
                    payload: serde_json::json!({
                        "id": charge.id,
                        "phone_number_id": d.phone_number_id,
                        "period_index": charge.period_index,
                        "period_start": dialnexa_domain::format_time(charge.period_start),
                        "period_end": dialnexa_domain::format_time(charge.period_end),
                        "amount_usd": charge.amount,
                    }),
                };
                if self
                    .store
                    .charge_renewal(&d.phone_number_id, &charge, period.end, now, &event)
                    .await?
                {
                    charged += 1;
                    crate::telemetry::renewals_charged(1);
                    self.wake_webhooks();
                }
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
        if charged > 0 {
            tracing::info!(charged, "rental periods charged");
        }
        Ok(charged)
    }

    pub async fn list_charges(
        &self,
        caller: &Caller,
        phone_number_id: Option<&str>,
        filter: ChargeFilter,
        page: Page,
    ) -> ServiceResult<(Vec<Charge>, u64)> {
        let filter = dialnexa_store::ChargeFilter {
            // An id that cannot exist matches nothing rather than everything.
            phone_number_id: phone_number_id.map(|id| {
                PhoneNumberId::parse(id)
                    .unwrap_or_else(|| PhoneNumberId::from_trusted("phn_none".into()))
            }),
            period_from: filter.period_from,
            period_to: filter.period_to,
        };
        let (charges, total) = self
            .store
            .list_charges(&caller.workspace_id, &filter, page.into())
            .await?;
        Ok((charges.into_iter().map(Into::into).collect(), total))
    }
}
