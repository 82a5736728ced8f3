//! Plivo's API v1, the number resources only: JSON bodies, query strings, `{api_id, error}`
//! failures, and URLs that end in `/` (the emulator also takes them without).

mod numbers;
mod phone_numbers;
mod wire;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng;
use serde::de::DeserializeOwned;

use crate::auth::has_credentials;
use crate::error::Error;
use crate::state::EmulatorState;
use crate::store::StoreError;

pub(crate) const API_ROOT: &str = "/v1";

pub(crate) fn router(state: EmulatorState) -> Router<EmulatorState> {
    let account = Router::new()
        .route("/PhoneNumber/", get(phone_numbers::search))
        .route("/PhoneNumber", get(phone_numbers::search))
        .route("/PhoneNumber/{number}/", post(phone_numbers::buy))
        .route("/PhoneNumber/{number}", post(phone_numbers::buy))
        .route("/Number/", get(numbers::list))
        .route("/Number", get(numbers::list))
        .route(
            "/Number/{number}/",
            get(numbers::fetch)
                .post(numbers::update)
                .delete(numbers::unrent),
        )
        .route(
            "/Number/{number}",
            get(numbers::fetch)
                .post(numbers::update)
                .delete(numbers::unrent),
        )
        .route_layer(middleware::from_fn_with_state(state, gate));
    Router::new().nest(&format!("{API_ROOT}/Account/{{auth_id}}"), account)
}

/// An account's resource root, as Plivo's `resource_uri` fields write it.
fn account_uri(auth_id: &str) -> String {
    format!("{API_ROOT}/Account/{auth_id}")
}

/// Checks the account and applies injected faults before any Plivo handler runs.
async fn gate(
    State(state): State<EmulatorState>,
    Path(params): Path<HashMap<String, String>>,
    request: Request,
    next: Next,
) -> Response {
    let account = &state.config().plivo;
    let authorised = has_credentials(request.headers(), &account.auth_id, &account.auth_token)
        && params.get("auth_id") == Some(&account.auth_id);
    if !authorised {
        return PlivoError(Error::Unauthorized).into_response();
    }
    let is_buy = request.method() == Method::POST && request.uri().path().contains("/PhoneNumber/");
    let fault = state.faults().on_call(is_buy);
    if !fault.delay.is_zero() {
        state.sleep_unless_stopping(fault.delay).await;
    }
    if let Some(status) = fault.fail {
        return PlivoError(Error::Injected(status)).into_response();
    }
    next.run(request).await
}

/// A fresh `api_id`, the request id Plivo puts in every answer (a UUID).
fn api_id() -> String {
    let bits = rand::rng().random::<u128>();
    // Version 4, RFC 4122 variant, like Plivo's own ids.
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

/// An [`Error`] in Plivo's words: `{api_id, error}`.
#[derive(Debug)]
pub(crate) struct PlivoError(pub(crate) Error);

impl From<Error> for PlivoError {
    fn from(e: Error) -> Self {
        PlivoError(e)
    }
}

impl From<StoreError> for PlivoError {
    fn from(e: StoreError) -> Self {
        PlivoError(e.into())
    }
}

/// What Plivo answers a request whose credentials it refuses: plain text, not its JSON error
/// shape. (The `plivo` SDK reads a JSON 401 of a list call as a page, and fails on it.)
const UNAUTHORIZED_TEXT: &str = "Authentication failed: check the Auth ID and Auth Token.";

impl IntoResponse for PlivoError {
    fn into_response(self) -> Response {
        self.0.log();
        if let Error::Unauthorized = self.0 {
            let plain = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
            return (StatusCode::UNAUTHORIZED, plain, UNAUTHORIZED_TEXT).into_response();
        }
        let (status, message) = match &self.0 {
            Error::Unauthorized => (StatusCode::UNAUTHORIZED, UNAUTHORIZED_TEXT.to_owned()),
            // Plivo answers "not found" for any number it will not sell (plivo-ruby #8).
            Error::InvalidNumber
            | Error::NotAvailable
            | Error::NotFound { .. }
            | Error::NoNumbersInAreaCode => (StatusCode::NOT_FOUND, "not found".to_owned()),
            Error::BadRequest(message) => (StatusCode::BAD_REQUEST, message.clone()),
            Error::InvalidAreaCode => (StatusCode::BAD_REQUEST, "invalid area code".to_owned()),
            Error::Injected(status) => {
                let reason = status
                    .canonical_reason()
                    .unwrap_or("error")
                    .to_ascii_lowercase();
                (*status, reason)
            }
            Error::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal server error".to_owned(),
            ),
        };
        (
            status,
            Json(serde_json::json!({ "api_id": api_id(), "error": message })),
        )
            .into_response()
    }
}

/// A POST body: JSON as the SDKs send it, a form as older clients do, or nothing at all.
fn decode_body<T: DeserializeOwned + Default>(body: &Bytes) -> Result<T, Error> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::BadRequest("request body is not UTF-8".to_owned()))?
        .trim();
    if text.is_empty() {
        return Ok(T::default());
    }
    if text.starts_with('{') {
        serde_json::from_str(text).map_err(|e| Error::BadRequest(format!("invalid JSON body: {e}")))
    } else {
        serde_urlencoded::from_str(text)
            .map_err(|e| Error::BadRequest(format!("invalid form body: {e}")))
    }
}

fn decode_query<T: DeserializeOwned>(query: Option<&str>) -> Result<T, Error> {
    serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| Error::BadRequest(format!("invalid query: {e}")))
}

/// `limit` (1 to 20, default 20) and `offset` (default 0), as every Plivo list takes them.
fn paging(limit: Option<&str>, offset: Option<&str>) -> Result<(usize, usize), Error> {
    let limit = match limit.filter(|l| !l.is_empty()) {
        None => 20,
        Some(text) => text
            .parse()
            .ok()
            .filter(|n| (1..=20).contains(n))
            .ok_or_else(|| Error::BadRequest(format!("limit must be 1 to 20, not {text}")))?,
    };
    let offset = match offset.filter(|o| !o.is_empty()) {
        None => 0,
        Some(text) => text
            .parse()
            .map_err(|_| Error::BadRequest(format!("offset must be 0 or more, not {text}")))?,
    };
    Ok((limit, offset))
}

/// The `+` form of a number Plivo writes as digits only.
fn e164_of(number: &str) -> Result<String, Error> {
    let ok = (6..=15).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit());
    if !ok {
        return Err(Error::BadRequest(format!("{number} is not a phone number")));
    }
    Ok(format!("+{number}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_ids_are_version_4_uuids() {
        let id = api_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
    }

    #[test]
    fn bodies_and_paging_are_lenient_where_plivo_is() {
        #[derive(serde::Deserialize, Default)]
        struct Body {
            app_id: Option<String>,
        }
        let empty: Body = decode_body(&Bytes::new()).unwrap();
        assert_eq!(empty.app_id, None);
        let json: Body = decode_body(&Bytes::from_static(br#"{"app_id":"42"}"#)).unwrap();
        assert_eq!(json.app_id.as_deref(), Some("42"));
        let form: Body = decode_body(&Bytes::from_static(b"app_id=43")).unwrap();
        assert_eq!(form.app_id.as_deref(), Some("43"));
        assert_eq!(paging(None, None).unwrap(), (20, 0));
        assert!(paging(Some("21"), None).is_err());
        assert!(e164_of("1415abc").is_err());
    }
}
