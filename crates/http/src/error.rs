//! The one API error type: DialNexa's envelope `{"statusCode","message","error","code"}`.
//! This is the only place that picks HTTP status codes for service errors; 5xx bodies say
//! nothing internal, and the internal detail is logged here, once.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dialnexa_service::{ErrorKind, ServiceError};
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError(pub ServiceError);

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    status_code: u16,
    message: &'a str,
    error: &'a str,
    #[serde(rename = "code")]
    code: &'a str,
}

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::BadGateway => StatusCode::BAD_GATEWAY,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError(ServiceError::bad_request(code, message))
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = status_of(e.kind);
        if status.is_server_error() {
            tracing::error!(
                code = e.code,
                internal = e.internal.as_deref().unwrap_or(""),
                "{}",
                e.message
            );
        } else if let Some(internal) = &e.internal {
            tracing::info!(code = e.code, %internal, "request refused");
        }
        let body = Envelope {
            status_code: status.as_u16(),
            message: &e.message,
            error: status.canonical_reason().unwrap_or("Error"),
            code: e.code,
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
