//! The one transport-free error of the service layer: what went wrong for the caller (kind,
//! stable code, message that says how to fix it), with internal detail kept apart for logs.

use dialnexa_store::StoreError;
use std::fmt;

/// What kind of failure this is; the HTTP layer maps each kind to one status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    /// The resource exists but does not take the request's method (HTTP only, but the
    /// envelope is built from service errors).
    MethodNotAllowed,
    Conflict,
    Unprocessable,
    /// The caller sent too much, too fast (a rate limit, or too many wrong secrets).
    TooManyRequests,
    /// A dependency (carrier) misbehaved.
    BadGateway,
    /// Temporarily unavailable (database down, carrier overloaded): retry later.
    Unavailable,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    pub kind: ErrorKind,
    /// Stable machine-readable code, e.g. `kyc_required`.
    pub code: &'static str,
    /// Safe to show to the caller.
    pub message: String,
    /// The input field the error is about, by the name the request gave it (`nickname`,
    /// `country_iso`): the API returns it, the dashboard shows the message beside that field.
    pub field: Option<&'static str>,
    /// Logged, never returned.
    pub internal: Option<String>,
}

impl ServiceError {
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        ServiceError {
            kind,
            code,
            message: message.into(),
            field: None,
            internal: None,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, code, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            ErrorKind::NotFound,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, code, message)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        ServiceError {
            kind: ErrorKind::Internal,
            code: "internal_error",
            message: "Something went wrong on our side; the request can be retried.".into(),
            field: None,
            internal: Some(detail.into()),
        }
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        ServiceError {
            kind: ErrorKind::Unavailable,
            code: "service_unavailable",
            message: "The service is temporarily unavailable; retry in a few seconds.".into(),
            field: None,
            internal: Some(detail.into()),
        }
    }

    pub fn with_internal(mut self, detail: impl Into<String>) -> Self {
        self.internal = Some(detail.into());
        self
    }

    /// The same error, about the input `field`.
    pub fn on(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.kind_name(), self.message)?;
        if let Some(internal) = &self.internal {
            write!(f, " [{internal}]")?;
        }
        Ok(())
    }
}

impl ServiceError {
    fn kind_name(&self) -> &'static str {
        match self.kind {
            ErrorKind::BadRequest => "bad request",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not found",
            ErrorKind::MethodNotAllowed => "method not allowed",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Unprocessable => "unprocessable",
            ErrorKind::TooManyRequests => "too many requests",
            ErrorKind::BadGateway => "bad gateway",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
        }
    }
}

impl std::error::Error for ServiceError {}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(detail) => ServiceError::unavailable(detail),
            StoreError::NotFound => ServiceError::not_found("Resource"),
            other => ServiceError::internal(other.to_string()),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
