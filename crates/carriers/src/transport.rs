//! The HTTP plumbing the adapters share: one client with timeouts, Basic or bearer auth, URL
//! building, and the rule that every failure leaves here already classified and scrubbed of
//! secrets.

use crate::classify::{self, Op};
use crate::{CarrierError, ConfigError};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use dialnexa_domain::Provider;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use std::fmt;
use std::time::{Duration, Instant};

/// Connecting should never take long; a slow connect means the carrier (or the network) is
/// down and the call is safe to retry elsewhere in time.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle connections kept per carrier host between calls.
const MAX_IDLE_CONNECTIONS: usize = 32;

/// A request body in the carrier's own encoding.
pub(crate) enum Body<'a> {
    None,
    /// `application/x-www-form-urlencoded` (Twilio).
    Form(&'a [(&'a str, String)]),
    /// `application/json` (Plivo, Telnyx).
    Json(serde_json::Value),
}

/// How a carrier takes credentials.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// `Basic base64(username:secret)` (Twilio, Plivo).
    Basic,
    /// `Bearer secret`, the username unused (Telnyx's API keys).
    Bearer,
}

/// Settings the two configs share, gathered so `Transport::new` validates them once.
pub(crate) struct Settings<'a> {
    pub provider: Provider,
    pub base_url: &'a str,
    pub username: &'a str,
    pub secret: &'a str,
    pub scheme: Scheme,
    pub timeout: Duration,
    pub extra_headers: &'a [(String, String)],
    pub http2_prior_knowledge: bool,
}

pub(crate) struct Transport {
    provider: Provider,
    client: reqwest::Client,
    base: Url,
    username: String,
    /// Marked sensitive so hyper and reqwest never print it.
    authorization: HeaderValue,
    /// The token and its Basic-auth encoding, scrubbed from every error message.
    secrets: [String; 2],
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("provider", &self.provider)
            .field("base", &self.base.as_str())
            .field("username", &self.username)
            .field("auth_token", &"[redacted]")
            .finish()
    }
}

impl Transport {
    pub(crate) fn new(s: Settings<'_>) -> Result<Self, ConfigError> {
        let base = Url::parse(s.base_url)
            .map_err(|e| ConfigError(format!("base URL `{}`: {e}", s.base_url)))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(ConfigError(format!(
                "base URL `{}` is not an http(s) URL",
                s.base_url
            )));
        }
        // Credentials go in the Authorization header only; a URL with userinfo would leak them
        // into every error message and log line that prints a URL.
        if !base.username().is_empty() || base.password().is_some() {
            return Err(ConfigError("base URL must not contain credentials".into()));
        }
        if (s.scheme == Scheme::Basic && s.username.is_empty()) || s.secret.is_empty() {
            return Err(ConfigError(
                "the account id and auth token (or API key) must not be empty".into(),
            ));
        }
        if s.timeout.is_zero() {
            return Err(ConfigError("timeout must be greater than zero".into()));
        }
        let mut headers = HeaderMap::new();
        for (name, value) in s.extra_headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| ConfigError(format!("header name `{name}`: {e}")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|e| ConfigError(format!("header `{name}` value: {e}")))?;
            headers.append(name, value);
        }
        let mut builder = reqwest::Client::builder();
        if s.http2_prior_knowledge {
            builder = builder.http2_prior_knowledge();
        }
        let client = builder
            .connect_timeout(s.timeout.min(MAX_CONNECT_TIMEOUT))
            .timeout(s.timeout)
            // Neither carrier redirects API calls; following one would replay a purchase.
            .redirect(reqwest::redirect::Policy::none())
            // A burst of purchases opens one connection per call in flight; keeping them all
            // idle afterwards (reqwest keeps any number for 90 s) holds their memory for
            // nothing. A few dozen cover steady traffic.
            .pool_max_idle_per_host(MAX_IDLE_CONNECTIONS)
            .user_agent(concat!("dialnexa-numbers/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .build()
            .map_err(|e| ConfigError(format!("HTTP client: {e}")))?;
        let encoded = match s.scheme {
            Scheme::Basic => BASE64.encode(format!("{}:{}", s.username, s.secret)),
            Scheme::Bearer => s.secret.to_owned(),
        };
        let scheme = match s.scheme {
            Scheme::Basic => "Basic",
            Scheme::Bearer => "Bearer",
        };
        let mut authorization = HeaderValue::from_str(&format!("{scheme} {encoded}"))
            .map_err(|_| ConfigError("the account id or token has invalid characters".into()))?;
        authorization.set_sensitive(true);
        Ok(Transport {
            provider: s.provider,
            client,
            base,
            username: s.username.to_owned(),
            authorization,
            secrets: [s.secret.to_owned(), encoded],
        })
    }

    /// `base` + the given path segments (each percent-encoded, so a segment can never add a
    /// path level) + the query. An empty last segment gives Plivo's trailing `/`.
    pub(crate) fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// A carrier-supplied path such as Twilio's `next_page_uri`, resolved against our base.
    /// Only a relative path is followed: an absolute URL could send our credentials elsewhere.
    pub(crate) fn relative_url(&self, op: Op, path_and_query: &str) -> Result<Url, CarrierError> {
        if !path_and_query.starts_with('/') || path_and_query.starts_with("//") {
            return Err(CarrierError::Rejected(format!(
                "{}: the carrier sent a page link that is not a relative path",
                op.name()
            )));
        }
        let base = self.base.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}{path_and_query}"))
            .map_err(|e| CarrierError::Rejected(format!("{}: bad page link: {e}", op.name())))
    }

    /// Sends one request and returns the body of a 2xx answer; anything else comes back as a
    /// classified `CarrierError` whose text never contains the auth token.
    pub(crate) async fn send(
        &self,
        op: Op,
        method: Method,
        url: Url,
        body: Body<'_>,
    ) -> Result<Vec<u8>, CarrierError> {
        let started = Instant::now();
        let path = url.path().to_owned();
        let result = self
            .exchange(op, method.clone(), url, body)
            .await
            .map_err(|e| self.redact(e));
        let outcome = match &result {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.to_string(),
        };
        tracing::debug!(
            carrier = %self.provider,
            op = op.name(),
            %method,
            path,
            elapsed_ms = started.elapsed().as_millis() as u64,
            outcome,
            "carrier call"
        );
        result
    }

    async fn exchange(
        &self,
        op: Op,
        method: Method,
        url: Url,
        body: Body<'_>,
    ) -> Result<Vec<u8>, CarrierError> {
        let mut request = self
            .client
            .request(method, url)
            .header(reqwest::header::AUTHORIZATION, self.authorization.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        request = match body {
            Body::None => request,
            Body::Form(pairs) => request.form(pairs),
            Body::Json(value) => request.json(&value),
        };
        let response = request
            .send()
            .await
            .map_err(|e| classify::transport(op, &e))?;
        let status = response.status();
        // A reset while reading the body is as ambiguous as one before the status line.
        let bytes = response
            .bytes()
            .await
            .map_err(|e| classify::transport(op, &e))?;
        if status.is_success() {
            Ok(bytes.to_vec())
        } else {
            Err(classify::http(self.provider, op, status, &bytes))
        }
    }

    /// Parses a 2xx body; a body of the wrong shape is classified like a lost answer.
    pub(crate) fn parse<T: DeserializeOwned>(
        &self,
        op: Op,
        body: &[u8],
    ) -> Result<T, CarrierError> {
        serde_json::from_slice(body).map_err(|e| self.redact(classify::unreadable(op, &e)))
    }

    /// Carriers echo requests in odd places; make sure the token never rides out in a message.
    fn redact(&self, err: CarrierError) -> CarrierError {
        let scrub = |m: String| {
            self.secrets
                .iter()
                .fold(m, |m, secret| m.replace(secret.as_str(), "[redacted]"))
        };
        match err {
            CarrierError::Rejected(m) => CarrierError::Rejected(scrub(m)),
            CarrierError::Transient(m) => CarrierError::Transient(scrub(m)),
            CarrierError::UnknownOutcome(m) => CarrierError::UnknownOutcome(scrub(m)),
            other => other,
        }
    }
}

/// `Debug` for a config struct that shows everything but the token.
pub(crate) fn redacted(token: &str) -> &'static str {
    if token.is_empty() { "" } else { "[redacted]" }
}
