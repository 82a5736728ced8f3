//! Quantity orders: "twenty numbers in area code 212". The request is parsed and judged here
//! (the same quote as a purchase), saved as a pending order, and worked by `saga::order`:
//! in the request's own task at once, and by the recovery worker after a crash.

use crate::audit::{AuditEntry, actions};
use crate::input::{self, present};
use crate::model::{Order, OrderMode};
use crate::quote::{QuoteRequest, type_words};
use crate::search::{SearchQuery, SearchRequest};
use crate::{Caller, ServiceError, ServiceResult, Services};
use dialnexa_domain::OrderId;
use dialnexa_store::NewOrder;

/// At most this many numbers in one order.
pub const MAX_ORDER_QUANTITY: i64 = 100;

/// An order as sent.
#[derive(Debug, Clone, Default)]
pub struct OrderInput {
    pub country_iso: Option<String>,
    pub number_type: Option<String>,
    pub area_code: Option<String>,
    pub contains: Option<String>,
    pub region: Option<String>,
    pub quantity: Option<i64>,
    pub provider: Option<String>,
    pub mode: Option<String>,
}

/// A checked order: what to search for, how many, and what to do when some cannot be bought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub search: SearchRequest,
    pub quantity: u32,
    pub mode: OrderMode,
}

impl OrderInput {
    pub fn parse(&self) -> ServiceResult<OrderRequest> {
        for (field, value, most) in [
            ("contains", &self.contains, 32),
            ("region", &self.region, 64),
        ] {
            if value.as_deref().is_some_and(|v| v.chars().count() > most) {
                return Err(ServiceError::bad_request(
                    "invalid_field",
                    format!("{field} is at most {most} characters."),
                )
                .on(field));
            }
        }
        let search = SearchQuery {
            country_iso: self.country_iso.clone(),
            number_type: self.number_type.clone(),
            area_code: self.area_code.clone(),
            contains: self.contains.clone(),
            region: self.region.clone(),
            provider: self.provider.clone(),
            ..SearchQuery::default()
        }
        .parse()?;
        let quantity = self.quantity.ok_or_else(|| {
            ServiceError::bad_request(
                "missing_field",
                format!(
                    "quantity is required: how many numbers to buy, 1 to {MAX_ORDER_QUANTITY}."
                ),
            )
            .on("quantity")
        })?;
        if !(1..=MAX_ORDER_QUANTITY).contains(&quantity) {
            return Err(ServiceError::bad_request(
                "invalid_quantity",
                format!("quantity must be a whole number from 1 to {MAX_ORDER_QUANTITY}."),
            )
            .on("quantity"));
        }
        let mode = match present(&self.mode) {
            None | Some("all_or_none") => OrderMode::AllOrNone,
            Some("best_effort") => OrderMode::BestEffort,
            Some(other) => {
                input::no_nul("mode", other)?;
                return Err(ServiceError::bad_request(
                    "invalid_mode",
                    format!("mode must be all_or_none or best_effort, not `{other}`."),
                )
                .on("mode"));
            }
        };
        Ok(OrderRequest {
            search,
            quantity: quantity as u32,
            mode,
        })
    }
}

impl Services {
    /// Save an order and start working on it; answered once the order is durable, while its
    /// numbers are still being bought. Audited (each purchase is audited on its own too).
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn place_order(&self, caller: &Caller, req: &OrderRequest) -> ServiceResult<Order> {
        let s = &req.search;
        let entry = AuditEntry::new(actions::ORDER_CREATE, "order").with(serde_json::json!({
            "country_iso": s.country.as_str(),
            "type": s.number_type.as_str(),
            "area_code": s.area_code,
            "quantity": req.quantity,
            "provider": s.provider.map(|p| p.as_str()),
            "mode": req.mode.as_str(),
        }));
        let placed = self.save_order(caller, req).await;
        self.audited(caller, entry, placed, |o| Some(o.id.to_string()))
            .await
    }

    async fn save_order(&self, caller: &Caller, req: &OrderRequest) -> ServiceResult<Order> {
        let s = &req.search;
        let quote = self
            .quote(
                caller,
                QuoteRequest {
                    country: s.country,
                    number_type: s.number_type,
                    provider: s.provider,
                },
            )
            .await?;
        if let Some(blocked) = quote.blocked_by {
            return Err(blocked.error(s.country, s.number_type));
        }
        let provider = quote.provider;
        if !provider.is_carrier() {
            return Err(ServiceError::bad_request(
                "invalid_provider",
                "Numbers on your own SIP trunk are linked, not ordered.",
            )
            .on("provider"));
        }
        self.carriers.get(provider)?;
        if quote.monthly_cost.is_none() {
            return Err(ServiceError::bad_request(
                "number_not_available",
                format!(
                    "{provider} does not sell {} {} numbers.",
                    s.country,
                    type_words(s.number_type)
                ),
            ));
        }
        let order = self
            .store
            .insert_order(&NewOrder {
                id: OrderId::generate(),
                workspace_id: caller.workspace_id.clone(),
                country: s.country,
                number_type: s.number_type,
                area_code: s.area_code.clone(),
                contains: s.contains.clone(),
                region: s.region.clone(),
                quantity: req.quantity,
                provider,
                mode: req.mode.as_str().to_owned(),
                created_at: self.clock.now(),
            })
            .await?;
        let (services, id) = (self.clone(), order.id.clone());
        tokio::spawn(async move {
            if let Err(e) = services.work_order(&id).await {
                tracing::warn!(order = %id, error = %e, "order round failed; the worker resumes it");
            }
        });
        Ok(order.into())
    }

    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn order(&self, caller: &Caller, id: &str) -> ServiceResult<Order> {
        let id = OrderId::parse(id).ok_or_else(|| ServiceError::not_found("Order"))?;
        self.store
            .get_order(&caller.workspace_id, &id)
            .await?
            .map(Order::from)
            .ok_or_else(|| ServiceError::not_found("Order"))
    }

    /// The worker's round: every pending order nobody is working on (its worker died, or the
    /// carrier or the database failed it last time) is worked again.
    #[tracing::instrument(skip_all)]
    pub async fn resume_orders(&self) -> ServiceResult<u32> {
        let mut resumed = 0;
        for id in self.store.orders_to_resume(self.clock.now(), 20).await? {
            match self.work_order(&id).await {
                Ok(()) => resumed += 1,
                Err(e) => tracing::warn!(order = %id, error = %e, "order round failed; will retry"),
            }
        }
        Ok(resumed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(quantity: Option<i64>, mode: Option<&str>) -> OrderInput {
        OrderInput {
            country_iso: Some("US".into()),
            area_code: Some("212".into()),
            quantity,
            mode: mode.map(str::to_owned),
            ..OrderInput::default()
        }
    }

    #[test]
    fn an_order_is_checked_with_the_field_of_each_refusal() {
        let ok = input(Some(20), None).parse().unwrap();
        assert_eq!((ok.quantity, ok.mode), (20, OrderMode::AllOrNone));
        let best = input(Some(1), Some("best_effort")).parse().unwrap();
        assert_eq!(best.mode, OrderMode::BestEffort);
        for (sent, code, field) in [
            (input(None, None), "missing_field", "quantity"),
            (input(Some(0), None), "invalid_quantity", "quantity"),
            (input(Some(101), None), "invalid_quantity", "quantity"),
            (input(Some(5), Some("some")), "invalid_mode", "mode"),
            (
                OrderInput {
                    region: Some("0".repeat(65)),
                    ..input(Some(5), None)
                },
                "invalid_field",
                "region",
            ),
            (
                OrderInput {
                    provider: Some("nope".into()),
                    ..input(Some(5), None)
                },
                "invalid_provider",
                "provider",
            ),
            (
                OrderInput {
                    country_iso: None,
                    ..input(Some(5), None)
                },
                "missing_field",
                "country_iso",
            ),
        ] {
            let e = sent.parse().unwrap_err();
            assert_eq!((e.code, e.field), (code, Some(field)), "{sent:?}");
        }
    }
}
