//! The Twilio adapter: the 2010-04-01 REST API's AvailablePhoneNumbers and IncomingPhoneNumbers
//! resources, form-encoded, behind the `Carrier` trait.

use crate::classify::Op;
use crate::transport::{Body, Scheme, Settings, Transport, redacted};
use crate::{
    AvailableNumber, Carrier, CarrierError, ConfigError, NumberUpdate, OwnedNumber, SearchQuery,
};
use async_trait::async_trait;
use dialnexa_domain::{Capabilities, Capability, E164, NumberType, Provider};
use reqwest::{Method, Url};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt;
use std::time::Duration;

/// A guard against a carrier whose `next_page_uri` never ends: 1000 pages of 1000 numbers.
const MAX_PAGES: usize = 1000;

/// How to reach one Twilio account.
#[derive(Clone)]
pub struct TwilioConfig {
    /// `https://api.twilio.com`, or a mock's / the emulator's address.
    pub base_url: String,
    /// `AC…`; also the Basic-auth user name.
    pub account_sid: String,
    pub auth_token: String,
    /// Bounds every call, connect included.
    pub timeout: Duration,
    /// Sent with every request. Empty in production; tests use it for Prism's `Prefer` header.
    pub extra_headers: Vec<(String, String)>,
    /// Speak HTTP/2 from the first byte (h2c), without negotiating: one connection carries
    /// every call in flight. Only for a server known to accept it, such as the in-process
    /// emulator; over TLS HTTP/2 is negotiated anyway when the carrier offers it.
    pub http2_prior_knowledge: bool,
}

impl TwilioConfig {
    pub const DEFAULT_BASE_URL: &'static str = "https://api.twilio.com";
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// The production API with the default timeout.
    pub fn new(account_sid: impl Into<String>, auth_token: impl Into<String>) -> Self {
        TwilioConfig {
            base_url: Self::DEFAULT_BASE_URL.to_owned(),
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            timeout: Self::DEFAULT_TIMEOUT,
            extra_headers: Vec::new(),
            http2_prior_knowledge: false,
        }
    }
}

impl fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &redacted(&self.auth_token))
            .field("timeout", &self.timeout)
            .field("extra_headers", &self.extra_headers)
            .finish()
    }
}

/// One Twilio account as a `Carrier`.
#[derive(Debug)]
pub struct TwilioCarrier {
    http: Transport,
    account_sid: String,
}

impl TwilioCarrier {
    pub fn new(config: TwilioConfig) -> Result<Self, ConfigError> {
        let http = Transport::new(Settings {
            provider: Provider::Twilio,
            base_url: &config.base_url,
            username: &config.account_sid,
            secret: &config.auth_token,
            scheme: Scheme::Basic,
            timeout: config.timeout,
            extra_headers: &config.extra_headers,
            http2_prior_knowledge: config.http2_prior_knowledge,
        })?;
        Ok(TwilioCarrier {
            http,
            account_sid: config.account_sid,
        })
    }

    /// `/2010-04-01/Accounts/{sid}/…`
    fn url(&self, tail: &[&str], query: &[(&str, String)]) -> Url {
        let mut segments = vec!["2010-04-01", "Accounts", self.account_sid.as_str()];
        segments.extend_from_slice(tail);
        self.http.url(&segments, query)
    }

    async fn incoming_page(&self, op: Op, url: Url) -> Result<IncomingPage, CarrierError> {
        let body = self.http.send(op, Method::GET, url, Body::None).await?;
        self.http.parse(op, &body)
    }
}

#[async_trait]
impl Carrier for TwilioCarrier {
    fn provider(&self) -> Provider {
        Provider::Twilio
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>, CarrierError> {
        let resource = match query.number_type {
            NumberType::Local => "Local.json",
            NumberType::Mobile => "Mobile.json",
            NumberType::TollFree => "TollFree.json",
        };
        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(area_code) = &query.area_code {
            params.push(("AreaCode", area_code.clone()));
        }
        if let Some(contains) = &query.contains {
            params.push(("Contains", contains.clone()));
        }
        if let Some(region) = &query.region {
            params.push(("InRegion", region.clone()));
        }
        for capability in query.capabilities.iter() {
            let name = match capability {
                Capability::Voice => "VoiceEnabled",
                Capability::Sms => "SmsEnabled",
                Capability::Mms => "MmsEnabled",
                Capability::Fax => "FaxEnabled",
            };
            params.push((name, "true".to_owned()));
        }
        let limit = query.limit.clamp(1, 1000) as usize;
        params.push(("PageSize", limit.to_string()));

        let url = self.url(
            &["AvailablePhoneNumbers", query.country.as_str(), resource],
            &params,
        );
        let body = match self
            .http
            .send(Op::Search, Method::GET, url, Body::None)
            .await
        {
            Ok(body) => body,
            // Twilio answers 20404 for a country or type it holds no inventory of.
            Err(CarrierError::NotFound) => return Ok(Vec::new()),
            Err(err) => return Err(err),
        };
        let page: SearchPage = self.http.parse(Op::Search, &body)?;
        Ok(page
            .available_phone_numbers
            .into_iter()
            .filter_map(|wire| wire.into_available(query.number_type))
            .take(limit)
            .collect())
    }

    async fn buy(&self, number: &E164) -> Result<OwnedNumber, CarrierError> {
        let url = self.url(&["IncomingPhoneNumbers.json"], &[]);
        let form = [("PhoneNumber", number.as_str().to_owned())];
        let body = self
            .http
            .send(Op::Buy, Method::POST, url, Body::Form(&form))
            .await?;
        let bought: IncomingWire = self.http.parse(Op::Buy, &body)?;
        if !is_sid(&bought.sid) {
            // Twilio said 201 but gave no usable handle: the number is probably ours, and
            // reconciliation (fetch_owned) will find its sid.
            return Err(CarrierError::UnknownOutcome(format!(
                "buy: Twilio answered without a usable sid for {number}"
            )));
        }
        // Twilio buys exactly the PhoneNumber sent; keep our parsed number rather than
        // re-parsing the echo.
        Ok(OwnedNumber {
            phone_number: number.clone(),
            carrier_ref: bought.sid,
            friendly_name: bought.friendly_name,
        })
    }

    async fn fetch_owned(&self, number: &E164) -> Result<Option<OwnedNumber>, CarrierError> {
        let url = self.url(
            &["IncomingPhoneNumbers.json"],
            &[("PhoneNumber", number.as_str().to_owned())],
        );
        let page = self.incoming_page(Op::FetchOwned, url).await?;
        // Twilio's PhoneNumber filter also matches partial numbers, so insist on equality.
        Ok(page
            .incoming_phone_numbers
            .into_iter()
            .filter(|wire| wire.phone_number == number.as_str())
            .find_map(IncomingWire::into_owned))
    }

    async fn list_owned(&self) -> Result<Vec<OwnedNumber>, CarrierError> {
        let mut url = self.url(
            &["IncomingPhoneNumbers.json"],
            &[("PageSize", "1000".to_owned())],
        );
        let mut owned = Vec::new();
        for _ in 0..MAX_PAGES {
            let page = self.incoming_page(Op::ListOwned, url).await?;
            owned.extend(
                page.incoming_phone_numbers
                    .into_iter()
                    .filter_map(IncomingWire::into_owned),
            );
            match page.next_page_uri.as_deref().filter(|uri| !uri.is_empty()) {
                Some(next) => url = self.http.relative_url(Op::ListOwned, next)?,
                None => return Ok(owned),
            }
        }
        Err(CarrierError::Transient(format!(
            "list_owned: more than {MAX_PAGES} pages"
        )))
    }

    /// One owned number at most: the smallest authenticated read Twilio offers here.
    async fn ping(&self) -> Result<(), CarrierError> {
        let url = self.url(
            &["IncomingPhoneNumbers.json"],
            &[("PageSize", "1".to_owned())],
        );
        self.incoming_page(Op::Ping, url).await.map(drop)
    }

    async fn update(&self, owned: &OwnedNumber, update: &NumberUpdate) -> Result<(), CarrierError> {
        let sid = checked_sid(Op::Update, &owned.carrier_ref)?;
        let mut form: Vec<(&str, String)> = Vec::new();
        if let Some(name) = &update.friendly_name {
            form.push(("FriendlyName", name.clone()));
        }
        if let Some(voice_url) = &update.voice_url {
            form.push(("VoiceUrl", voice_url.clone()));
        }
        if form.is_empty() {
            // Nothing to change; an empty POST would only cost a round trip.
            return Ok(());
        }
        let url = self.url(&["IncomingPhoneNumbers", &format!("{sid}.json")], &[]);
        self.http
            .send(Op::Update, Method::POST, url, Body::Form(&form))
            .await?;
        Ok(())
    }

    async fn release(&self, owned: &OwnedNumber) -> Result<(), CarrierError> {
        let sid = checked_sid(Op::Release, &owned.carrier_ref)?;
        let url = self.url(&["IncomingPhoneNumbers", &format!("{sid}.json")], &[]);
        self.http
            .send(Op::Release, Method::DELETE, url, Body::None)
            .await?;
        Ok(())
    }
}

/// Twilio sids are two letters and 32 hex digits; accept any short alphanumeric handle so a
/// stand-in carrier can mint its own, but never one that could change the URL's path.
fn is_sid(sid: &str) -> bool {
    !sid.is_empty() && sid.len() <= 64 && sid.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn checked_sid(op: Op, sid: &str) -> Result<&str, CarrierError> {
    if is_sid(sid) {
        Ok(sid)
    } else {
        Err(CarrierError::Rejected(format!(
            "{}: `{sid}` is not a Twilio number sid",
            op.name()
        )))
    }
}

#[derive(Deserialize)]
struct SearchPage {
    #[serde(default)]
    available_phone_numbers: Vec<AvailableWire>,
}

#[derive(Deserialize)]
struct AvailableWire {
    phone_number: String,
    #[serde(default)]
    capabilities: Option<Map<String, Value>>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    locality: Option<String>,
}

impl AvailableWire {
    /// `None` for an entry whose number we could not use: one odd entry must not hide the rest.
    fn into_available(self, number_type: NumberType) -> Option<AvailableNumber> {
        let phone_number = match E164::parse(&self.phone_number) {
            Ok(number) => number,
            Err(err) => {
                tracing::warn!(%err, "skipping a Twilio search result that is not valid E.164");
                return None;
            }
        };
        Some(AvailableNumber {
            phone_number,
            number_type,
            capabilities: capabilities(self.capabilities.as_ref()),
            region: self.region.filter(|r| !r.is_empty()),
            locality: self.locality.filter(|l| !l.is_empty()),
            carrier_monthly_cost: None,
        })
    }
}

/// The spec says `voice/sms/mms/fax`, live search answers have been seen with `SMS`/`MMS`.
fn capabilities(map: Option<&Map<String, Value>>) -> Capabilities {
    let Some(map) = map else {
        return Capabilities::default();
    };
    map.iter()
        .filter(|(_, on)| matches!(on, Value::Bool(true)) || on.as_str() == Some("true"))
        .filter_map(|(key, _)| key.parse::<Capability>().ok())
        .collect()
}

#[derive(Deserialize)]
struct IncomingPage {
    #[serde(default)]
    incoming_phone_numbers: Vec<IncomingWire>,
    #[serde(default)]
    next_page_uri: Option<String>,
}

#[derive(Deserialize)]
struct IncomingWire {
    sid: String,
    phone_number: String,
    #[serde(default)]
    friendly_name: Option<String>,
}

impl IncomingWire {
    fn into_owned(self) -> Option<OwnedNumber> {
        match E164::parse(&self.phone_number) {
            Ok(phone_number) if is_sid(&self.sid) => Some(OwnedNumber {
                phone_number,
                carrier_ref: self.sid,
                friendly_name: self.friendly_name,
            }),
            _ => {
                tracing::warn!(sid = %self.sid, "skipping an owned Twilio number we cannot use");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_keys_are_case_insensitive() {
        let map: Map<String, Value> =
            serde_json::from_str(r#"{"voice":true,"SMS":true,"MMS":false,"fax":false}"#).unwrap();
        let caps = capabilities(Some(&map));
        assert_eq!(caps.to_csv(), "voice,sms");
    }

    #[test]
    fn sids_cannot_escape_the_path() {
        assert!(is_sid("PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        for bad in ["", "../Calls", "PN1/2", "PN a", "PN%2F"] {
            assert!(!is_sid(bad), "{bad}");
        }
    }

    #[test]
    fn debug_hides_the_token() {
        let config = TwilioConfig::new("AC123", "s3cr3t-token");
        assert!(!format!("{config:?}").contains("s3cr3t-token"));
        let carrier = TwilioCarrier::new(config).unwrap();
        assert!(!format!("{carrier:?}").contains("s3cr3t-token"));
    }
}
