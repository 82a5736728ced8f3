//! The HTTP face of DialNexa Numbers: each resource module exposes `router()`, merged here,
//! with a request timeout, a body limit and observation (request id, span, metrics, one log
//! line per request: `observe.rs`) around all of them.

pub mod dashboard;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod observe;
pub mod openapi;
mod openapi_rules;
mod openapi_webhooks;
pub mod page_cache;
pub mod rate_limit;
pub mod routes;
pub mod views;

use axum::Router;
use axum::body::Body;
use axum::http::StatusCode;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use dialnexa_service::{ServiceError, Services};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::map_request_body::MapRequestBodyLayer;
use tower_http::map_response_body::MapResponseBodyLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

/// Shared state of every handler: one `Arc`, because axum clones the state for every extractor
/// and middleware of every request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub services: Services,
    /// The operator token; `None` disables the operator API.
    pub admin_token: Option<Arc<str>>,
    /// Rendered list pages and numbers, kept while the database and the clock say they are
    /// still true.
    pub pages: page_cache::PageCache,
    /// Token buckets per API key and wrong secrets per client address.
    pub limits: rate_limit::RateLimits,
}

impl AppState {
    /// No limit per API key (wrong secrets are still counted); see `with_rate_limit`.
    pub fn new(services: Services, admin_token: Option<Arc<str>>) -> Self {
        Self::with_rate_limit(services, admin_token, 0)
    }

    /// `rps` requests a second per API key (bursts of twice that); 0 for no limit.
    pub fn with_rate_limit(services: Services, admin_token: Option<Arc<str>>, rps: u32) -> Self {
        AppState(Arc::new(Shared {
            services,
            admin_token,
            pages: page_cache::PageCache::new(page_cache::CAPACITY_BYTES),
            limits: rate_limit::RateLimits::new(rps),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(routes::health::router())
        .merge(routes::available::router())
        .merge(routes::billing::router())
        .merge(routes::numbers::router())
        .merge(routes::purchase::router())
        .merge(routes::reservations::router())
        .merge(routes::orders::router())
        .merge(routes::sip_trunks::router())
        .merge(routes::agents::router())
        .merge(routes::audit::router())
        .merge(routes::catalog::router())
        .merge(routes::workspace::router())
        .merge(routes::admin::router())
        .merge(routes::webhooks::router())
        .merge(routes::webhook_deliveries::router())
        .merge(openapi::router())
        .merge(dashboard::router())
        .method_not_allowed_fallback(method_not_allowed)
        // Only on a route that takes the request's method: a method it does not take is a
        // 405 whatever its headers say.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::layer,
        ))
        .fallback(not_found)
        // One layer around every route, made of the five: axum clones a route's layers for
        // each request it routes, and each `Router::layer` of its own adds a boxed service to
        // that clone (five clones and frees of boxes per request, 7 % of a cached `get`).
        .layer(
            ServiceBuilder::new()
                .layer(axum::middleware::from_fn(observe::layer))
                // No browser may guess another type than the one stated (a JSON error read as
                // HTML).
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    Duration::from_secs(60),
                ))
                // The limit's bodies, each way, handed on as axum's.
                .layer(MapResponseBodyLayer::new(Body::new))
                .layer(RequestBodyLimitLayer::new(64 * 1024))
                .layer(MapRequestBodyLayer::new(Body::new))
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    rate_limit::layer,
                )),
        )
        .with_state(state)
}

/// A known path asked with a method it does not take: the envelope (axum adds `Allow`).
async fn method_not_allowed() -> impl IntoResponse {
    error::ApiError(ServiceError::new(
        dialnexa_service::ErrorKind::MethodNotAllowed,
        "method_not_allowed",
        "This endpoint does not take that method; the Allow header lists the ones it does.",
    ))
}

async fn not_found() -> impl IntoResponse {
    error::ApiError(ServiceError::new(
        dialnexa_service::ErrorKind::NotFound,
        "route_not_found",
        "No such endpoint. The API lives under /v1, e.g. GET /v1/organization-phone-numbers.",
    ))
}
