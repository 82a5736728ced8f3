//! The Plivo adapter: the v1 API's PhoneNumber (inventory) and Number (owned) resources, JSON
//! bodies and `limit`/`offset` paging, behind the `Carrier` trait.

use crate::classify::Op;
use crate::transport::{Body, Scheme, Settings, Transport, redacted};
use crate::{
    AvailableNumber, Carrier, CarrierError, ConfigError, NumberUpdate, OwnedNumber, SearchQuery,
};
use async_trait::async_trait;
use dialnexa_domain::{Capability, E164, Provider};
use reqwest::{Method, Url};
use serde_json::json;
use std::fmt;
use std::time::Duration;
use wire::{AvailableWire, BuyAnswer, OwnedWire, Page, plivo_type, services};

mod wire;

/// Plivo's documented page-size maximum.
const PAGE_SIZE: usize = 20;
/// Search stops after this many pages even when local filtering keeps few results.
const MAX_SEARCH_PAGES: usize = 10;
/// A guard against a `meta.next` that never ends: 10 000 pages of 20 numbers.
const MAX_LIST_PAGES: usize = 10_000;

/// How to reach one Plivo account.
#[derive(Clone)]
pub struct PlivoConfig {
    /// `https://api.plivo.com`, or a mock's / the emulator's address.
    pub base_url: String,
    /// `MA…`/`SA…`; also the Basic-auth user name and part of every path.
    pub auth_id: String,
    pub auth_token: String,
    /// Bounds every call, connect included.
    pub timeout: Duration,
    /// Plivo Application to link bought numbers to (its `answer_url` routes inbound calls).
    pub app_id: Option<String>,
    /// Sent with every request. Empty in production; tests use it for Prism's `Prefer` header.
    pub extra_headers: Vec<(String, String)>,
    /// Speak HTTP/2 from the first byte (h2c), without negotiating: one connection carries
    /// every call in flight. Only for a server known to accept it, such as the in-process
    /// emulator; over TLS HTTP/2 is negotiated anyway when the carrier offers it.
    pub http2_prior_knowledge: bool,
}

impl PlivoConfig {
    pub const DEFAULT_BASE_URL: &'static str = "https://api.plivo.com";
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// The production API with the default timeout and no application.
    pub fn new(auth_id: impl Into<String>, auth_token: impl Into<String>) -> Self {
        PlivoConfig {
            base_url: Self::DEFAULT_BASE_URL.to_owned(),
            auth_id: auth_id.into(),
            auth_token: auth_token.into(),
            timeout: Self::DEFAULT_TIMEOUT,
            app_id: None,
            extra_headers: Vec::new(),
            http2_prior_knowledge: false,
        }
    }
}

impl fmt::Debug for PlivoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlivoConfig")
            .field("base_url", &self.base_url)
            .field("auth_id", &self.auth_id)
            .field("auth_token", &redacted(&self.auth_token))
            .field("timeout", &self.timeout)
            .field("app_id", &self.app_id)
            .field("extra_headers", &self.extra_headers)
            .finish()
    }
}

/// One Plivo account as a `Carrier`. Its `carrier_ref` for a number is the number's digits.
#[derive(Debug)]
pub struct PlivoCarrier {
    http: Transport,
    auth_id: String,
    app_id: Option<String>,
}

impl PlivoCarrier {
    pub fn new(config: PlivoConfig) -> Result<Self, ConfigError> {
        let http = Transport::new(Settings {
            provider: Provider::Plivo,
            base_url: &config.base_url,
            username: &config.auth_id,
            secret: &config.auth_token,
            scheme: Scheme::Basic,
            timeout: config.timeout,
            extra_headers: &config.extra_headers,
            http2_prior_knowledge: config.http2_prior_knowledge,
        })?;
        Ok(PlivoCarrier {
            http,
            auth_id: config.auth_id,
            app_id: config.app_id,
        })
    }

    /// `/v1/Account/{auth_id}/{resource}/[{number}/]`: Plivo answers 404 without the final `/`.
    fn url(&self, resource: &str, number: Option<&str>, query: &[(&str, String)]) -> Url {
        let mut segments = vec!["v1", "Account", self.auth_id.as_str(), resource];
        segments.extend(number);
        segments.push("");
        self.http.url(&segments, query)
    }
}

#[async_trait]
impl Carrier for PlivoCarrier {
    fn provider(&self) -> Provider {
        Provider::Plivo
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>, CarrierError> {
        if query.capabilities.contains(Capability::Fax) {
            // Plivo neither sells nor reports fax; no number of theirs can satisfy the query.
            return Ok(Vec::new());
        }
        let want = query.limit.clamp(1, 100) as usize;
        let mut params: Vec<(&str, String)> = vec![
            ("country_iso", query.country.as_str().to_owned()),
            ("type", plivo_type(query.number_type).to_owned()),
        ];
        // Plivo's `pattern` is a prefix of the digits after the country code, which is exactly
        // an area code. Twilio-style `contains` matches anywhere, so it is filtered here.
        if let Some(area_code) = &query.area_code {
            params.push(("pattern", area_code.clone()));
        }
        if let Some(region) = &query.region {
            params.push(("region", region.clone()));
        }
        if let Some(services) = services(query.capabilities) {
            params.push(("services", services.to_owned()));
        }
        let filters_locally = query.contains.is_some();

        let mut found = Vec::new();
        let mut offset = 0;
        for _ in 0..MAX_SEARCH_PAGES {
            // Without local filtering, ask for just what is missing.
            let limit = if filters_locally {
                PAGE_SIZE
            } else {
                PAGE_SIZE.min(want - found.len())
            };
            let mut page_params = params.clone();
            page_params.push(("limit", limit.to_string()));
            page_params.push(("offset", offset.to_string()));
            let url = self.url("PhoneNumber", None, &page_params);
            let body = match self
                .http
                .send(Op::Search, Method::GET, url, Body::None)
                .await
            {
                Ok(body) => body,
                // No inventory resource for this country or type: nothing to offer.
                Err(CarrierError::NotFound) => break,
                Err(err) => return Err(err),
            };
            let page: Page<AvailableWire> = self.http.parse(Op::Search, &body)?;

            let received = page.objects.len();
            found.extend(
                page.objects
                    .into_iter()
                    .filter_map(|wire| wire.into_available(query.number_type))
                    .filter(|n| n.capabilities.contains_all(query.capabilities))
                    .filter(|n| {
                        query
                            .contains
                            .as_deref()
                            .is_none_or(|p| matches(p, &n.phone_number))
                    }),
            );
            found.truncate(want);
            if found.len() >= want || received == 0 || page.meta.next.is_none() {
                break;
            }
            offset += received;
        }
        Ok(found)
    }

    async fn buy(&self, number: &E164) -> Result<OwnedNumber, CarrierError> {
        let url = self.url("PhoneNumber", Some(number.digits()), &[]);
        let body = match &self.app_id {
            Some(app_id) => json!({ "app_id": app_id }),
            None => json!({}),
        };
        let answer = self
            .http
            .send(Op::Buy, Method::POST, url, Body::Json(body))
            .await?;
        let bought: BuyAnswer = self.http.parse(Op::Buy, &answer)?;
        let entry = bought
            .numbers
            .iter()
            .find(|n| n.number.trim_start_matches('+') == number.digits())
            .or(bought.numbers.first());
        // "pending" means the number is rented to us and waits on regulatory documents: it
        // is ours (it bills and shows in the Number list), so the purchase counts as done.
        // No entry at all under a 201 is taken at its word too.
        match entry.map(|n| n.status.to_ascii_lowercase()) {
            None => {}
            Some(status) if status == "success" || status == "pending" => {}
            Some(status) => {
                return Err(CarrierError::Rejected(format!(
                    "buy: Plivo answered status `{status}` for {number}"
                )));
            }
        }
        Ok(OwnedNumber {
            phone_number: number.clone(),
            carrier_ref: number.digits().to_owned(),
            friendly_name: None,
        })
    }

    async fn fetch_owned(&self, number: &E164) -> Result<Option<OwnedNumber>, CarrierError> {
        let url = self.url("Number", Some(number.digits()), &[]);
        let body = match self
            .http
            .send(Op::FetchOwned, Method::GET, url, Body::None)
            .await
        {
            Ok(body) => body,
            Err(CarrierError::NotFound) => return Ok(None),
            Err(err) => return Err(err),
        };
        let wire: OwnedWire = self.http.parse(Op::FetchOwned, &body)?;
        Ok(Some(OwnedNumber {
            phone_number: number.clone(),
            carrier_ref: number.digits().to_owned(),
            friendly_name: wire.alias,
        }))
    }

    async fn list_owned(&self) -> Result<Vec<OwnedNumber>, CarrierError> {
        let mut owned = Vec::new();
        let mut offset = 0;
        for _ in 0..MAX_LIST_PAGES {
            let query = [
                ("limit", PAGE_SIZE.to_string()),
                ("offset", offset.to_string()),
            ];
            let url = self.url("Number", None, &query);
            let body = self
                .http
                .send(Op::ListOwned, Method::GET, url, Body::None)
                .await?;
            let page: Page<OwnedWire> = self.http.parse(Op::ListOwned, &body)?;
            let received = page.objects.len();
            owned.extend(page.objects.into_iter().filter_map(OwnedWire::into_owned));
            if received == 0 || page.meta.next.is_none() {
                return Ok(owned);
            }
            offset += received;
        }
        Err(CarrierError::Transient(format!(
            "list_owned: more than {MAX_LIST_PAGES} pages"
        )))
    }

    /// One owned number at most: the smallest authenticated read Plivo offers here.
    async fn ping(&self) -> Result<(), CarrierError> {
        let query = [("limit", "1".to_owned()), ("offset", "0".to_owned())];
        let url = self.url("Number", None, &query);
        let body = self
            .http
            .send(Op::Ping, Method::GET, url, Body::None)
            .await?;
        self.http
            .parse::<Page<OwnedWire>>(Op::Ping, &body)
            .map(drop)
    }

    async fn update(&self, owned: &OwnedNumber, update: &NumberUpdate) -> Result<(), CarrierError> {
        let digits = checked_digits(Op::Update, &owned.carrier_ref)?;
        // Plivo routes calls through Applications, so `voice_url` has nothing to set here.
        let Some(alias) = &update.friendly_name else {
            return Ok(());
        };
        let url = self.url("Number", Some(digits), &[]);
        let body = json!({ "alias": alias });
        self.http
            .send(Op::Update, Method::POST, url, Body::Json(body))
            .await?;
        Ok(())
    }

    async fn release(&self, owned: &OwnedNumber) -> Result<(), CarrierError> {
        let digits = checked_digits(Op::Release, &owned.carrier_ref)?;
        let url = self.url("Number", Some(digits), &[]);
        self.http
            .send(Op::Release, Method::DELETE, url, Body::None)
            .await?;
        Ok(())
    }
}

/// Twilio-style `contains`: digits anywhere in the number, `*` standing for any one digit.
pub(crate) fn matches(pattern: &str, number: &E164) -> bool {
    let pattern: Vec<u8> = pattern.bytes().filter(|b| *b != b'+').collect();
    let digits = number.digits().as_bytes();
    pattern.is_empty()
        || digits.windows(pattern.len()).any(|window| {
            window
                .iter()
                .zip(&pattern)
                .all(|(d, p)| *p == b'*' || p == d)
        })
}

fn checked_digits(op: Op, carrier_ref: &str) -> Result<&str, CarrierError> {
    if (6..=15).contains(&carrier_ref.len()) && carrier_ref.bytes().all(|b| b.is_ascii_digit()) {
        Ok(carrier_ref)
    } else {
        Err(CarrierError::Rejected(format!(
            "{}: `{carrier_ref}` is not a Plivo number",
            op.name()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_pattern_matches_anywhere_with_wildcards() {
        let n = E164::parse("+14155550100").unwrap();
        assert!(matches("555", &n));
        assert!(matches("41*5", &n));
        assert!(matches("+1415", &n));
        assert!(!matches("999", &n));
    }

    #[test]
    fn debug_hides_the_token() {
        let config = PlivoConfig::new("MA2025RK4E639VJFZAGV", "s3cr3t-token");
        assert!(!format!("{config:?}").contains("s3cr3t-token"));
        let carrier = PlivoCarrier::new(config).unwrap();
        assert!(!format!("{carrier:?}").contains("s3cr3t-token"));
    }
}
