//! The `Idempotency-Key` header on POST and DELETE: the first answer for a (workspace, key) is
//! kept and replayed (status and body) for 24 hours, also across restarts; the same key with a
//! different request is 422; a second request while the first runs is 409 with `Retry-After`.
//! Transient failures (5xx, 429) are not kept, so a retry runs afresh.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::bearer;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dialnexa_service::Caller;
use dialnexa_service::idempotency::KeyClaim;
use sha2::{Digest, Sha256};

const HEADER: &str = "idempotency-key";
const MAX_BODY: usize = 64 * 1024;
const MAX_ANSWER: usize = 1024 * 1024;

/// Present in a request's extensions when it takes over a key whose first request died.
#[derive(Debug, Clone, Copy)]
pub struct ResumedFrom(pub jiff::Timestamp);

/// The API's operations (path template, method), as the OpenAPI document lists them: a method
/// a path does not take is left alone here, for the router's 405.
static OPERATIONS: std::sync::LazyLock<std::collections::HashSet<(String, String)>> =
    std::sync::LazyLock::new(|| {
        let doc = crate::openapi::openapi();
        let mut ops = std::collections::HashSet::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
                ops.insert((path.clone(), method.to_ascii_uppercase()));
            }
        }
        ops
    });

fn is_operation(req: &Request) -> bool {
    req.extensions()
        .get::<axum::extract::MatchedPath>()
        .is_some_and(|path| {
            OPERATIONS.contains(&(path.as_str().to_owned(), req.method().as_str().to_owned()))
        })
}

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !is_operation(&req) {
        return next.run(req).await;
    }
    let Some(key) = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().map(str::to_owned))
    else {
        return next.run(req).await;
    };
    if !matches!(*req.method(), Method::POST | Method::DELETE) {
        return next.run(req).await;
    }
    let Ok(key) = key else {
        return ApiError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must be visible ASCII.",
        )
        .into_response();
    };
    // Keys are scoped to the workspace: without a valid workspace key the handler answers 401.
    let (mut parts, body) = req.into_parts();
    let known = parts.extensions.get::<Caller>().cloned();
    let caller = match (known, bearer(&parts)) {
        (Some(caller), _) => caller,
        (None, Some(token)) => match state.services.authenticate(token).await {
            Ok(caller) => caller,
            Err(_) => return next.run(Request::from_parts(parts, body)).await,
        },
        (None, None) => return next.run(Request::from_parts(parts, body)).await,
    };
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return ApiError::bad_request("body_too_large", "The request body is larger than 64 KiB.")
            .into_response();
    };
    let hash = fingerprint(
        &parts.method,
        parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or(""),
        &bytes,
    );
    match state.services.idempotency_begin(&caller, &key, &hash).await {
        Err(e) => {
            let mut response = ApiError(e).into_response();
            if response.status() == StatusCode::CONFLICT {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            response
        }
        Ok(KeyClaim::Replay { status, body }) => replay(status, body),
        Ok(KeyClaim::Run { resumed_from }) => {
            parts.extensions.insert(caller.clone());
            if let Some(since) = resumed_from {
                parts.extensions.insert(ResumedFrom(since));
            }
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            finish(&state, &caller, &key, response).await
        }
    }
}

/// Method, path and body; a JSON body is canonicalised (keys sorted, no whitespace) so that
/// formatting alone never makes a retry look like a different request.
fn fingerprint(method: &Method, path: &str, body: &[u8]) -> String {
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::to_vec(&v).ok())
        .unwrap_or_else(|| body.to_vec());
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(&canonical);
    hex_string(&h.finalize())
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn finish(state: &AppState, caller: &Caller, key: &str, response: Response) -> Response {
    let status = response.status();
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        if let Err(e) = state.services.idempotency_abandon(caller, key).await {
            tracing::warn!(error = %e, "could not release an idempotency key");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ANSWER).await else {
        return ApiError(dialnexa_service::ServiceError::internal(
            "response too large to keep",
        ))
        .into_response();
    };
    let text = String::from_utf8_lossy(&bytes);
    if let Err(e) = state
        .services
        .idempotency_complete(caller, key, status.as_u16(), &text)
        .await
    {
        // The work is done; the answer still goes out. A retry will find the key in flight
        // until it goes stale, then resume and find the work done.
        tracing::warn!(error = %e, "could not record an idempotent answer");
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        HeaderName::from_static("idempotent-replayed"),
        HeaderValue::from_static("true"),
    );
    response
}
