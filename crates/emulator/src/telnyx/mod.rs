//! Telnyx's API v2, the number resources only: bearer keys, JSON in and out, `{data, meta}`
//! answers and `{errors: [...]}` failures, asynchronous number orders and 30-minute
//! reservations (see `crates/carriers/contracts/telnyx.openapi.json`).

mod available;
mod numbers;
mod orders;
mod reservations;
mod wire;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::auth::has_bearer;
use crate::error::Error;
use crate::state::EmulatorState;
use crate::store::StoreError;

pub(crate) const API_ROOT: &str = "/v2";

pub(crate) fn router(state: EmulatorState) -> Router<EmulatorState> {
    let api = Router::new()
        .route("/available_phone_numbers", get(available::search))
        .route("/number_orders", post(orders::create))
        .route("/number_orders/{id}", get(orders::fetch))
        .route("/number_reservations", post(reservations::create))
        .route("/number_reservations/{id}", get(reservations::fetch))
        .route("/phone_numbers", get(numbers::list))
        .route(
            "/phone_numbers/{id}",
            get(numbers::fetch)
                .patch(numbers::update)
                .delete(numbers::delete),
        )
        .route_layer(middleware::from_fn_with_state(state, gate));
    Router::new().nest(API_ROOT, api)
}

/// Checks the API key and applies injected faults before any Telnyx handler runs.
async fn gate(State(state): State<EmulatorState>, request: Request, next: Next) -> Response {
    if !has_bearer(request.headers(), &state.config().telnyx.api_key) {
        return TelnyxError(Error::Unauthorized).into_response();
    }
    let is_buy =
        request.method() == Method::POST && request.uri().path().ends_with("/number_orders");
    let fault = state.faults().on_call(is_buy);
    if !fault.delay.is_zero() {
        state.sleep_unless_stopping(fault.delay).await;
    }
    if let Some(status) = fault.fail {
        return TelnyxError(Error::Injected(status)).into_response();
    }
    next.run(request).await
}

/// An [`Error`] in Telnyx's words: `{errors: [{code, title, detail, meta: {url}}]}`.
#[derive(Debug)]
pub(crate) struct TelnyxError(pub(crate) Error);

impl From<Error> for TelnyxError {
    fn from(e: Error) -> Self {
        TelnyxError(e)
    }
}

impl From<StoreError> for TelnyxError {
    fn from(e: StoreError) -> Self {
        TelnyxError(e.into())
    }
}

impl IntoResponse for TelnyxError {
    fn into_response(self) -> Response {
        self.0.log();
        let (status, code, title, detail) = match &self.0 {
            Error::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "10009",
                "Authentication failed",
                "The API key is missing or not valid.".to_owned(),
            ),
            Error::InvalidNumber => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "10002",
                "Invalid phone number",
                "The phone number is not a valid number.".to_owned(),
            ),
            Error::NotAvailable => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "10015",
                "Invalid value",
                "The phone number is not available.".to_owned(),
            ),
            Error::NotFound { resource } => (
                StatusCode::NOT_FOUND,
                "10005",
                "Resource not found",
                format!("{resource} was not found."),
            ),
            Error::BadRequest(message) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "10015",
                "Invalid value",
                message.clone(),
            ),
            Error::InvalidAreaCode | Error::NoNumbersInAreaCode => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "10015",
                "Invalid value",
                self.0.to_string(),
            ),
            Error::Injected(status) => {
                let code = match status.as_u16() {
                    429 => "10011",
                    500..=599 => "10007",
                    _ => "10015",
                };
                let reason = status.canonical_reason().unwrap_or("Error");
                (
                    *status,
                    code,
                    reason,
                    format!("{reason}, as the test asked."),
                )
            }
            Error::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "10007",
                "Unexpected error",
                "An unexpected error occurred.".to_owned(),
            ),
        };
        let body = json!({ "errors": [{
            "code": code,
            "title": title,
            "detail": detail,
            "meta": { "url": format!("https://developers.telnyx.com/docs/overview/errors/{code}") },
        }]});
        (status, Json(body)).into_response()
    }
}

/// A JSON body, or a 422 that says what is wrong with it.
fn decode_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| Error::BadRequest(format!("invalid JSON body: {e}")))
}

/// A query string as `(name, value)` pairs, brackets kept: `filter[country_code]`.
fn query_pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, Error> {
    serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|e| Error::BadRequest(format!("invalid query: {e}")))
}

/// The value of the first pair named `name`, if any and not empty.
fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// A positive integer parameter within `range`, or `default` when absent.
fn number_param(
    pairs: &[(String, String)],
    names: &[&str],
    range: std::ops::RangeInclusive<usize>,
    default: usize,
) -> Result<usize, Error> {
    let Some((name, text)) = names.iter().find_map(|n| Some((n, param(pairs, n)?))) else {
        return Ok(default);
    };
    text.parse()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            Error::BadRequest(format!(
                "{name} must be {} to {}, not {text}",
                range.start(),
                range.end()
            ))
        })
}

/// A fresh UUID (version 4), the form of Telnyx's order and reservation ids.
fn uuid() -> String {
    let bits = rand::rng().random::<u128>();
    let bits = (bits & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A fresh phone number id: Telnyx's are decimal strings of about 19 digits.
pub(crate) fn new_number_id() -> String {
    rand::rng()
        .random_range(1_000_000_000_000_000_000u64..=9_000_000_000_000_000_000)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_telnyx_shapes() {
        let id = uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        let number_id = new_number_id();
        assert_eq!(number_id.len(), 19);
        assert!(number_id.bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn bracketed_query_parameters_are_read_as_sent() {
        let pairs = query_pairs(Some(
            "filter%5Bcountry_code%5D=US&page[size]=5&page[number]=",
        ))
        .unwrap();
        assert_eq!(param(&pairs, "filter[country_code]"), Some("US"));
        assert_eq!(param(&pairs, "page[number]"), None);
        assert_eq!(
            number_param(&pairs, &["page[size]"], 1..=250, 20).unwrap(),
            5
        );
        assert_eq!(
            number_param(&pairs, &["page[number]"], 1..=9, 1).unwrap(),
            1
        );
        assert!(number_param(&pairs, &["page[size]"], 10..=250, 20).is_err());
    }
}
