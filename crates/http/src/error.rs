//! The one API error type: DialNexa's envelope `{"statusCode","message","error","code"}`.
//! This is the only place that picks HTTP status codes for service errors; 5xx bodies say
//! nothing internal, and the internal detail is logged here, once.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dialnexa_service::{ErrorKind, ServiceError};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug)]
pub struct ApiError(pub ServiceError);

/// The error envelope every failed request answers with.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "statusCode": 403,
    "message": "KYC for IN is not approved for this workspace.",
    "error": "Forbidden",
    "code": "kyc_required"
}))]
pub struct ErrorBody {
    /// The HTTP status, repeated.
    pub status_code: u16,
    /// What was wrong and how to fix it; never internal detail.
    pub message: String,
    /// The status's reason phrase, e.g. `Bad Request`.
    pub error: String,
    /// A stable machine-readable code, e.g. `kyc_required`.
    pub code: String,
    /// The request field the error is about, when it is about one, e.g. `country_iso`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
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

/// Log a service error once, where it is answered: server errors with their internal detail,
/// refusals with theirs when they have any. The dashboard logs its errors here too.
pub fn log(e: &ServiceError, context: &str) {
    if status_of(e.kind).is_server_error() {
        tracing::error!(
            code = e.code,
            internal = e.internal.as_deref().unwrap_or(""),
            "{context}{}",
            e.message
        );
    } else if let Some(internal) = &e.internal {
        tracing::info!(code = e.code, %internal, "{context}request refused");
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
        log(&e, "");
        let body = ErrorBody {
            status_code: status.as_u16(),
            message: e.message,
            error: status.canonical_reason().unwrap_or("Error").to_owned(),
            code: e.code.to_owned(),
            field: e.field,
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

/// A duration in whole seconds, rounded up (for `Retry-After` and the rate-limit headers).
pub fn whole_seconds(d: std::time::Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// 429 `rate_limited` in the envelope, with `Retry-After` in whole seconds (at least 1).
pub fn too_many(message: &str, retry_after: std::time::Duration) -> Response {
    let mut response = ApiError(ServiceError::new(
        ErrorKind::TooManyRequests,
        "rate_limited",
        message,
    ))
    .into_response();
    let secs = whole_seconds(retry_after).max(1);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(e: ServiceError) -> (StatusCode, serde_json::Value) {
        let response = ApiError(e).into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn the_envelope_names_the_field_when_the_error_has_one() {
        let (status, body) = body_of(
            ServiceError::bad_request("invalid_country", "country_iso: `XX` is not a country")
                .on("country_iso"),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            serde_json::json!({
                "statusCode": 400,
                "message": "country_iso: `XX` is not a country",
                "error": "Bad Request",
                "code": "invalid_country",
                "field": "country_iso",
            })
        );
        let (_, body) = body_of(ServiceError::not_found("Phone number")).await;
        assert!(body.get("field").is_none(), "{body}");
    }

    #[tokio::test]
    async fn server_errors_say_nothing_internal() {
        let (status, body) = body_of(ServiceError::internal("disk on fire at /var/db")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.to_string().contains("disk"), "{body}");
    }
}
