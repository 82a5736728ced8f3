//! Twilio's REST API 2010-04-01, the number resources only: what the service's Twilio adapter
//! calls, answered the way api.twilio.com answers (form bodies in, JSON and error codes out).

mod available;
mod incoming;
mod wire;

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, body::Bytes};
use serde::de::DeserializeOwned;

use crate::auth::has_credentials;
use crate::error::Error;
use crate::state::EmulatorState;
use crate::store::StoreError;

/// Where Twilio puts an account's resources.
pub(crate) const API_ROOT: &str = "/2010-04-01";

/// An account's resource root, as Twilio's `uri` fields write it.
fn account_uri(account_sid: &str) -> String {
    format!("{API_ROOT}/Accounts/{account_sid}")
}

pub(crate) fn router(state: EmulatorState) -> Router<EmulatorState> {
    let account = Router::new()
        .route("/AvailablePhoneNumbers.json", get(available::countries))
        .route(
            "/AvailablePhoneNumbers/{country}/{file}",
            get(available::search),
        )
        .route(
            "/IncomingPhoneNumbers.json",
            get(incoming::list).post(incoming::buy),
        )
        .route(
            "/IncomingPhoneNumbers/{file}",
            get(incoming::fetch)
                .post(incoming::update)
                .delete(incoming::release),
        )
        .route_layer(middleware::from_fn_with_state(state, gate));
    Router::new().nest(&format!("{API_ROOT}/Accounts/{{account_sid}}"), account)
}

/// Checks the account and applies injected faults before any Twilio handler runs.
async fn gate(
    State(state): State<EmulatorState>,
    Path(params): Path<HashMap<String, String>>,
    request: Request,
    next: Next,
) -> Response {
    let account = &state.config().twilio;
    let authorised = has_credentials(request.headers(), &account.account_sid, &account.auth_token)
        && params.get("account_sid") == Some(&account.account_sid);
    if !authorised {
        return TwilioError(Error::Unauthorized).into_response();
    }
    let is_buy = request.method() == Method::POST
        && request.uri().path().ends_with("/IncomingPhoneNumbers.json");
    let fault = state.faults().on_call(is_buy);
    if !fault.delay.is_zero() {
        state.sleep_unless_stopping(fault.delay).await;
    }
    if let Some(status) = fault.fail {
        return TwilioError(Error::Injected(status)).into_response();
    }
    next.run(request).await
}

/// An [`Error`] in Twilio's words: `{code, message, more_info, status}`.
#[derive(Debug)]
pub(crate) struct TwilioError(pub(crate) Error);

impl From<Error> for TwilioError {
    fn from(e: Error) -> Self {
        TwilioError(e)
    }
}

impl From<StoreError> for TwilioError {
    fn from(e: StoreError) -> Self {
        TwilioError(e.into())
    }
}

impl IntoResponse for TwilioError {
    fn into_response(self) -> Response {
        self.0.log();
        let (status, code, message) = match &self.0 {
            Error::Unauthorized => (StatusCode::UNAUTHORIZED, 20003, "Authenticate".to_owned()),
            Error::InvalidNumber => (
                StatusCode::BAD_REQUEST,
                21421,
                "PhoneNumber is invalid".to_owned(),
            ),
            Error::NotAvailable => (
                StatusCode::BAD_REQUEST,
                21422,
                "PhoneNumber is not available".to_owned(),
            ),
            Error::NotFound { resource } => (
                StatusCode::NOT_FOUND,
                20404,
                format!("The requested resource {resource} was not found"),
            ),
            Error::BadRequest(message) => (StatusCode::BAD_REQUEST, 20001, message.clone()),
            Error::InvalidAreaCode => (
                StatusCode::BAD_REQUEST,
                21451,
                "Invalid area code".to_owned(),
            ),
            Error::NoNumbersInAreaCode => (
                StatusCode::BAD_REQUEST,
                21452,
                "No phone numbers found in area code".to_owned(),
            ),
            Error::Injected(status) => {
                let code = 20000 + u32::from(status.as_u16());
                (
                    *status,
                    code,
                    status.canonical_reason().unwrap_or("Error").to_owned(),
                )
            }
            Error::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                20500,
                "Internal Server Error".to_owned(),
            ),
        };
        let body = Json(serde_json::json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        }));
        if status == StatusCode::UNAUTHORIZED {
            return (
                status,
                [(header::WWW_AUTHENTICATE, "Basic realm=\"Twilio API\"")],
                body,
            )
                .into_response();
        }
        (status, body).into_response()
    }
}

/// Decodes a query string or a form body; Twilio ignores parameters it does not know.
fn decode<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    serde_urlencoded::from_str(text)
        .map_err(|e| Error::BadRequest(format!("Invalid parameter: {e}")))
}

fn decode_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, Error> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::BadRequest("The request body is not UTF-8".to_owned()))?;
    decode(text)
}

/// Twilio's booleans: `true`/`false` in any case.
fn flag(name: &str, value: Option<&str>) -> Result<Option<bool>, Error> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None | Some("") => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(Error::BadRequest(format!(
            "{name} must be true or false, not {other}"
        ))),
    }
}

/// `PageSize`: 1 to 1000, 50 when absent.
fn page_size(value: Option<&str>) -> Result<usize, Error> {
    match value {
        None | Some("") => Ok(50),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| Error::BadRequest(format!("PageSize must be 1 to 1000, not {text}"))),
    }
}
