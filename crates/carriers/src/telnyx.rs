//! The Telnyx adapter: API v2's available_phone_numbers, number_orders (asynchronous, polled
//! until they settle), number_reservations and phone_numbers, bearer-key auth, behind the
//! `Carrier` trait.

use crate::classify::Op;
use crate::plivo::matches;
use crate::transport::{Body, Scheme, Settings, Transport, redacted};
use crate::{
    AvailableNumber, Carrier, CarrierError, ConfigError, NumberUpdate, OwnedNumber, Reservation,
    SearchQuery,
};
use async_trait::async_trait;
use dialnexa_domain::{E164, Provider};
use reqwest::{Method, Url};
use serde_json::json;
use std::fmt;
use std::time::{Duration, Instant};
use wire::{
    AvailableWire, Data, Held, NumberWire, NumbersPage, OrderWire, ReservationWire, features,
    is_id, telnyx_type,
};

mod wire;

/// The largest page Telnyx serves of the account's numbers.
const PAGE_SIZE: usize = 250;
/// A guard against a `total_pages` that never ends.
const MAX_PAGES: u64 = 10_000;
/// The most results one search asks for.
const MAX_SEARCH: u32 = 100;

/// How to reach one Telnyx account.
#[derive(Clone)]
pub struct TelnyxConfig {
    /// `https://api.telnyx.com` (the adapter adds `/v2`), or a mock's / the emulator's address.
    pub base_url: String,
    /// The API key, sent as a bearer token.
    pub api_key: String,
    /// Bounds every call, connect included.
    pub timeout: Duration,
    /// How long a purchase waits for its number order to settle before leaving the outcome to
    /// recovery (the order goes on at Telnyx; `fetch_owned` finds the number once it is done).
    pub order_wait: Duration,
    /// Pause between two polls of a pending order.
    pub order_poll_interval: Duration,
    /// Telnyx connection (SIP or Call Control application) bought numbers route calls to.
    pub connection_id: Option<String>,
    /// Sent with every request. Empty in production; tests use it for Prism's `Prefer` header.
    pub extra_headers: Vec<(String, String)>,
    /// Speak HTTP/2 from the first byte (h2c): only for a server known to accept it, such as
    /// the in-process emulator.
    pub http2_prior_knowledge: bool,
}

impl TelnyxConfig {
    pub const DEFAULT_BASE_URL: &'static str = "https://api.telnyx.com";
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// The production API with the default timeouts and no connection.
    pub fn new(api_key: impl Into<String>) -> Self {
        TelnyxConfig {
            base_url: Self::DEFAULT_BASE_URL.to_owned(),
            api_key: api_key.into(),
            timeout: Self::DEFAULT_TIMEOUT,
            order_wait: Self::DEFAULT_TIMEOUT,
            order_poll_interval: Duration::from_millis(250),
            connection_id: None,
            extra_headers: Vec::new(),
            http2_prior_knowledge: false,
        }
    }
}

impl fmt::Debug for TelnyxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelnyxConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &redacted(&self.api_key))
            .field("timeout", &self.timeout)
            .field("order_wait", &self.order_wait)
            .field("connection_id", &self.connection_id)
            .field("extra_headers", &self.extra_headers)
            .finish()
    }
}

/// One Telnyx account as a `Carrier`. Its `carrier_ref` for a number is the phone number id.
#[derive(Debug)]
pub struct TelnyxCarrier {
    http: Transport,
    order_wait: Duration,
    order_poll_interval: Duration,
    connection_id: Option<String>,
}

impl TelnyxCarrier {
    pub fn new(config: TelnyxConfig) -> Result<Self, ConfigError> {
        let http = Transport::new(Settings {
            provider: Provider::Telnyx,
            base_url: &config.base_url,
            username: "",
            secret: &config.api_key,
            scheme: Scheme::Bearer,
            timeout: config.timeout,
            extra_headers: &config.extra_headers,
            http2_prior_knowledge: config.http2_prior_knowledge,
        })?;
        Ok(TelnyxCarrier {
            http,
            order_wait: config.order_wait,
            order_poll_interval: config.order_poll_interval,
            connection_id: config.connection_id,
        })
    }

    /// `/v2/{segments…}?{query}`
    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut all = vec!["v2"];
        all.extend_from_slice(segments);
        self.http.url(&all, query)
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        op: Op,
        url: Url,
    ) -> Result<T, CarrierError> {
        let body = self.http.send(op, Method::GET, url, Body::None).await?;
        self.http.parse(op, &body)
    }

    /// Our record of `number`, whatever its status.
    async fn lookup(&self, op: Op, number: &E164) -> Result<Option<NumberWire>, CarrierError> {
        let url = self.url(
            &["phone_numbers"],
            &[("filter[phone_number]", number.as_str().to_owned())],
        );
        let page: NumbersPage = self.get(op, url).await?;
        // The filter may match partially: insist on the very number.
        Ok(page
            .data
            .into_iter()
            .find(|n| n.phone_number == number.as_str()))
    }

    /// Polls order `id` until it settles or `order_wait` runs out; the final status.
    async fn settle(&self, mut order: OrderWire) -> Result<String, CarrierError> {
        let deadline = Instant::now() + self.order_wait;
        while order.status == "pending" {
            if Instant::now() + self.order_poll_interval > deadline {
                return Err(CarrierError::UnknownOutcome(format!(
                    "buy: number order {} is still pending at Telnyx",
                    order.id
                )));
            }
            tokio::time::sleep(self.order_poll_interval).await;
            let url = self.url(&["number_orders", &order.id], &[]);
            // The order exists whatever a poll says: a failed poll is only a missed look.
            match self.get::<Data<OrderWire>>(Op::FetchOwned, url).await {
                Ok(polled) => order = polled.data,
                Err(e) => {
                    tracing::debug!(order = %order.id, error = %e, "polling a number order failed")
                }
            }
        }
        Ok(order.status)
    }
}

fn checked_id(op: Op, carrier_ref: &str) -> Result<&str, CarrierError> {
    if is_id(carrier_ref) {
        Ok(carrier_ref)
    } else {
        Err(CarrierError::Rejected(format!(
            "{}: `{carrier_ref}` is not a Telnyx phone number id",
            op.name()
        )))
    }
}

#[async_trait]
impl Carrier for TelnyxCarrier {
    fn provider(&self) -> Provider {
        Provider::Telnyx
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>, CarrierError> {
        let want = query.limit.clamp(1, MAX_SEARCH) as usize;
        let mut params: Vec<(&str, String)> = vec![
            ("filter[country_code]", query.country.as_str().to_owned()),
            (
                "filter[phone_number_type]",
                telnyx_type(query.number_type).to_owned(),
            ),
        ];
        if let Some(area_code) = &query.area_code {
            params.push(("filter[national_destination_code]", area_code.clone()));
        }
        // Telnyx's `contains` takes digits only: send the longest run of digits and apply the
        // wildcards here.
        let wildcards = query.contains.as_deref().filter(|c| c.contains('*'));
        if let Some(contains) = &query.contains {
            let longest = contains
                .split(|c: char| !c.is_ascii_digit())
                .max_by_key(|run| run.len())
                .unwrap_or("");
            if !longest.is_empty() {
                params.push(("filter[phone_number][contains]", longest.to_owned()));
            }
        }
        if let Some(region) = &query.region {
            params.push(("filter[administrative_area]", region.clone()));
        }
        if let Some(features) = features(query.capabilities) {
            params.push(("filter[features]", features));
        }
        let ask = if wildcards.is_some() {
            MAX_SEARCH as usize
        } else {
            want
        };
        params.push(("filter[limit]", ask.to_string()));
        let url = self.url(&["available_phone_numbers"], &params);
        let page: NumbersOnSale = match self.get(Op::Search, url).await {
            Ok(page) => page,
            Err(CarrierError::NotFound) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        Ok(page
            .data
            .into_iter()
            .filter_map(|wire| wire.into_available(query.number_type))
            .filter(|n| n.capabilities.contains_all(query.capabilities))
            .filter(|n| wildcards.is_none_or(|p| matches(p, &n.phone_number)))
            .take(want)
            .collect())
    }

    async fn buy(&self, number: &E164) -> Result<OwnedNumber, CarrierError> {
        let mut body = json!({ "phone_numbers": [{ "phone_number": number.as_str() }] });
        if let Some(connection_id) = &self.connection_id {
            body["connection_id"] = json!(connection_id);
        }
        let url = self.url(&["number_orders"], &[]);
        let answer = self
            .http
            .send(Op::Buy, Method::POST, url, Body::Json(body))
            .await?;
        let order: Data<OrderWire> = self.http.parse(Op::Buy, &answer)?;
        let order_id = order.data.id.clone();
        match self.settle(order.data).await?.as_str() {
            "success" => {}
            // The order was taken, then Telnyx could not complete it: the number is not ours.
            "failure" => return Err(CarrierError::NotAvailable),
            other => {
                return Err(CarrierError::UnknownOutcome(format!(
                    "buy: number order {order_id} answered status `{other}`"
                )));
            }
        }
        // The order's own ids are not the number's: the number's id is on its record.
        let lost = |why: String| CarrierError::UnknownOutcome(format!("buy: {why}"));
        let record = match self.lookup(Op::Buy, number).await {
            Ok(Some(record)) => record,
            Ok(None) => {
                return Err(lost(format!(
                    "order {order_id} succeeded but {number} is not listed"
                )));
            }
            Err(e) => return Err(lost(e.to_string())),
        };
        record
            .into_owned()
            .ok_or_else(|| lost(format!("Telnyx listed {number} without a usable id")))
    }

    async fn fetch_owned(&self, number: &E164) -> Result<Option<OwnedNumber>, CarrierError> {
        let Some(record) = self.lookup(Op::FetchOwned, number).await? else {
            return Ok(None);
        };
        match record.held() {
            Held::Yes => Ok(record.into_owned()),
            Held::No => Ok(None),
            // Neither ours nor given up: whoever asks must ask again later.
            Held::Pending => Err(CarrierError::Transient(format!(
                "fetch_owned: the number order of {number} is still pending at Telnyx"
            ))),
        }
    }

    async fn list_owned(&self) -> Result<Vec<OwnedNumber>, CarrierError> {
        let mut owned = Vec::new();
        for page_number in 1..=MAX_PAGES {
            let query = [
                ("page[number]", page_number.to_string()),
                ("page[size]", PAGE_SIZE.to_string()),
            ];
            let url = self.url(&["phone_numbers"], &query);
            let page: NumbersPage = self.get(Op::ListOwned, url).await?;
            let received = page.data.len();
            owned.extend(
                page.data
                    .into_iter()
                    .filter(|n| n.held() == Held::Yes)
                    .filter_map(NumberWire::into_owned),
            );
            let total_pages = page.meta.as_ref().and_then(|m| m.total_pages);
            let current = page
                .meta
                .as_ref()
                .and_then(|m| m.page_number)
                .unwrap_or(page_number);
            if received == 0 || total_pages.is_none_or(|total| current >= total) {
                return Ok(owned);
            }
        }
        Err(CarrierError::Transient(format!(
            "list_owned: more than {MAX_PAGES} pages"
        )))
    }

    /// One owned number at most: the smallest authenticated read Telnyx offers here.
    async fn ping(&self) -> Result<(), CarrierError> {
        let query = [
            ("page[number]", "1".to_owned()),
            ("page[size]", "1".to_owned()),
        ];
        let url = self.url(&["phone_numbers"], &query);
        self.get::<NumbersPage>(Op::Ping, url).await.map(drop)
    }

    async fn update(&self, owned: &OwnedNumber, update: &NumberUpdate) -> Result<(), CarrierError> {
        let id = checked_id(Op::Update, &owned.carrier_ref)?;
        // Telnyx routes calls through connections, so `voice_url` has nothing to set here.
        let Some(name) = &update.friendly_name else {
            return Ok(());
        };
        let url = self.url(&["phone_numbers", id], &[]);
        let body = json!({ "customer_reference": name });
        self.http
            .send(Op::Update, Method::PATCH, url, Body::Json(body))
            .await?;
        Ok(())
    }

    async fn release(&self, owned: &OwnedNumber) -> Result<(), CarrierError> {
        let id = checked_id(Op::Release, &owned.carrier_ref)?;
        let url = self.url(&["phone_numbers", id], &[]);
        self.http
            .send(Op::Release, Method::DELETE, url, Body::None)
            .await?;
        Ok(())
    }

    fn can_reserve(&self) -> bool {
        true
    }

    /// Telnyx holds every reservation for 30 minutes, whatever `ttl` asks: `expires_at` says
    /// when the holds really end.
    async fn reserve(&self, numbers: &[E164], _ttl: Duration) -> Result<Reservation, CarrierError> {
        let wanted: Vec<_> = numbers
            .iter()
            .map(|n| json!({ "phone_number": n.as_str() }))
            .collect();
        let url = self.url(&["number_reservations"], &[]);
        let body = json!({ "phone_numbers": wanted });
        let answer = self
            .http
            .send(Op::Reserve, Method::POST, url, Body::Json(body))
            .await?;
        let reservation: Data<ReservationWire> = self.http.parse(Op::Reserve, &answer)?;
        let mut held = Vec::new();
        let mut refused = Vec::new();
        let mut expires_at: Option<jiff::Timestamp> = None;
        for entry in reservation.data.phone_numbers {
            let Ok(number) = E164::parse(&entry.phone_number) else {
                continue;
            };
            if entry.status == "success" {
                let until = entry.expired_at.as_deref().and_then(|t| t.parse().ok());
                expires_at = match (expires_at, until) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                held.push(number);
            } else {
                let why = entry
                    .errors
                    .unwrap_or_else(|| format!("status {}", entry.status));
                refused.push((number, why));
            }
        }
        let expires_at = match (held.is_empty(), expires_at) {
            (true, _) => jiff::Timestamp::now(),
            (false, Some(t)) => t,
            (false, None) => {
                return Err(CarrierError::UnknownOutcome(
                    "reserve: Telnyx held numbers without saying until when".into(),
                ));
            }
        };
        Ok(Reservation {
            id: reservation.data.id,
            held,
            refused,
            expires_at,
        })
    }
}

/// `{data: [...]}` of a search.
#[derive(serde::Deserialize)]
struct NumbersOnSale {
    #[serde(default)]
    data: Vec<AvailableWire>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_key() {
        let config = TelnyxConfig::new("KEYs3cr3t_key");
        assert!(!format!("{config:?}").contains("KEYs3cr3t_key"));
        let carrier = TelnyxCarrier::new(config).unwrap();
        assert!(!format!("{carrier:?}").contains("KEYs3cr3t_key"));
    }
}
