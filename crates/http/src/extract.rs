//! Extractors that turn a request into typed, checked input, so a handler's signature states
//! who may call it: `Authenticated` hands it the caller's workspace, `ApiJson`/`ApiQuery`
//! answer malformed input with the error envelope instead of axum's plain-text rejections.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::header;
use axum::http::request::Parts;
use dialnexa_service::{Actor, Caller, ErrorKind, ServiceError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// A request carrying a valid workspace API key.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Caller);

fn unauthorized() -> ApiError {
    ApiError(ServiceError::new(
        ErrorKind::Unauthorized,
        "unauthorized",
        "API key is missing or invalid",
    ))
}

pub(crate) fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            crate::observe::attribute(parts, &caller.workspace_id);
            // Authenticated already (the idempotency layer did): who, from where, which request.
            let mut caller = caller.clone();
            identify(&mut caller.actor, parts);
            return Ok(Authenticated(caller));
        }
        let token = bearer(parts).ok_or_else(unauthorized)?;
        let mut caller = state.services.authenticate(token).await?;
        crate::observe::attribute(parts, &caller.workspace_id);
        identify(&mut caller.actor, parts);
        parts.extensions.insert(caller.clone());
        Ok(Authenticated(caller))
    }
}

/// Where the request came from and its id, for the audit log.
pub(crate) fn identify(actor: &mut Actor, parts: &Parts) {
    actor.ip = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|axum::extract::ConnectInfo(peer)| peer.ip());
    actor.request_id = parts
        .headers
        .get(&crate::observe::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
}

/// The operator: a request carrying the admin token; who it is, for the audit log.
#[derive(Debug, Clone)]
pub struct Operator(pub Actor);

/// Why the operator API refused a request: the envelope, or too many wrong tokens from here.
pub enum OperatorRefused {
    Api(ApiError),
    TooMany(std::time::Duration),
}

impl From<ApiError> for OperatorRefused {
    fn from(e: ApiError) -> Self {
        OperatorRefused::Api(e)
    }
}

impl axum::response::IntoResponse for OperatorRefused {
    fn into_response(self) -> axum::response::Response {
        match self {
            OperatorRefused::Api(e) => e.into_response(),
            OperatorRefused::TooMany(retry_after) => crate::error::too_many(
                "Too many wrong admin tokens from this address: wait and retry after the time \
                 in Retry-After.",
                retry_after,
            ),
        }
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = OperatorRefused;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let expected = state.admin_token.as_deref().ok_or_else(|| {
            ApiError(ServiceError::new(
                ErrorKind::Forbidden,
                "admin_disabled",
                "The operator API is disabled: start the server with --admin-token.",
            ))
        })?;
        let given = bearer(parts).ok_or_else(unauthorized)?;
        let ip = client_ip(parts);
        if let Some(retry_after) = state.limits.guessing(ip) {
            return Err(OperatorRefused::TooMany(retry_after));
        }
        if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            let mut actor = Actor::operator("admin_token");
            identify(&mut actor, parts);
            Ok(Operator(actor))
        } else {
            state.limits.guessed_wrong(ip);
            Err(unauthorized().into())
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    // Compare digests so neither the length nor the first differing byte leaks through timing.
    let (ha, hb) = (Sha256::digest(a), Sha256::digest(b));
    ha.iter()
        .zip(hb.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The client's address, as the accept loop recorded it (`ConnectInfo`).
pub fn client_ip(parts: &Parts) -> Option<std::net::IpAddr> {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|axum::extract::ConnectInfo(addr)| addr.ip())
}

/// The client's address as an extractor, for handlers that count wrong secrets; `None` when
/// the app runs without the accept loop that records it.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// JSON body whose rejections use the error envelope.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::bad_request(
                "invalid_json",
                "Send the body as JSON with the header Content-Type: application/json.",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| {
                ApiError::bad_request(
                    "invalid_json",
                    format!("The request body could not be read: {}", r.body_text()),
                )
            })?;
        // serde reads a struct from a JSON array too (its fields by position), so a body of
        // `["+1…", null]` would be a purchase: only an object is a request body here.
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() {
            return Err(ApiError::bad_request(
                "invalid_json",
                "The body must be a JSON object, e.g. {\"phone_number\": \"+14155550100\"}.",
            ));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// `application/json` or `application/…+json`, as axum's own `Json` requires.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}

fn json_rejection(r: JsonRejection) -> ApiError {
    let message = match &r {
        JsonRejection::JsonSyntaxError(_) => {
            format!("The body is not valid JSON: {}", r.body_text())
        }
        JsonRejection::JsonDataError(_) => format!(
            "The JSON body does not have the expected fields: {}",
            r.body_text()
        ),
        _ => format!("The request body could not be read: {}", r.body_text()),
    };
    ApiError::bad_request("invalid_json", message)
}

/// Query string whose rejections use the error envelope.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::bad_request(
                "invalid_query",
                format!("Invalid query string: {}", e.body_text()),
            )),
            Err(other) => Err(ApiError::bad_request("invalid_query", other.body_text())),
        }
    }
}

/// For PATCH bodies: an absent field is `None`, `null` is `Some(None)`, a value `Some(Some)`.
/// Use with `#[serde(default, deserialize_with = "double_option")]`.
pub(crate) fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
