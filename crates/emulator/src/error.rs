//! What can go wrong in a carrier call, before a carrier's wire format gives it a status and
//! a body (`twilio::TwilioError` and `plivo::PlivoError` are the only places that do).

use axum::http::StatusCode;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("authentication failed")]
    Unauthorized,
    /// Not a phone number libphonenumber accepts.
    #[error("the phone number is invalid")]
    InvalidNumber,
    /// Valid, but not in stock or owned by someone.
    #[error("the phone number is not available")]
    NotAvailable,
    /// No such resource for this account; `resource` is the request path.
    #[error("{resource} was not found")]
    NotFound { resource: String },
    #[error("{0}")]
    BadRequest(String),
    /// Twilio buy-by-area-code with a malformed area code.
    #[error("invalid area code")]
    InvalidAreaCode,
    /// Twilio buy-by-area-code when nothing is left there.
    #[error("no phone numbers found in area code")]
    NoNumbersInAreaCode,
    /// A failure a test asked for through `/_emulator/faults`.
    #[error("injected failure")]
    Injected(StatusCode),
    /// Our own fault; logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Internal(e.into())
    }
}

impl Error {
    pub(crate) fn not_found(resource: impl Into<String>) -> Self {
        Error::NotFound {
            resource: resource.into(),
        }
    }

    /// Logs the detail of internal errors once, where they turn into responses.
    pub(crate) fn log(&self) {
        if let Error::Internal(e) = self {
            tracing::error!(error = ?e, "emulator request failed");
        }
    }
}
