//! A webhook's delivery log (`GET /v1/user-webhooks/{id}/deliveries`), a retry of one message,
//! and a test event (`POST /v1/user-webhooks/{id}/test`).

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Authenticated};
use crate::routes::webhooks::PageParams;
use crate::views::ListView;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use dialnexa_domain::format_time;
use dialnexa_service::model::{DeliveryAttempt, Page, WebhookDelivery};
use serde::Serialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/user-webhooks/{id}/deliveries", get(list))
        .route(
            "/v1/user-webhooks/{id}/deliveries/{message_id}/retry",
            post(retry),
        )
        .route("/v1/user-webhooks/{id}/test", post(test))
}

/// One message: one event, sent with the same `webhook-id` on every attempt.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryView {
    /// The `webhook-id` header of its attempts.
    #[schema(example = "msg_01kdz3f4w7x2kx5mb9qz")]
    id: String,
    #[schema(example = "phone_number.purchased")]
    event: String,
    /// `pending`, `delivered` or `failed` (every retry used).
    #[schema(example = "delivered")]
    status: String,
    attempts: Vec<AttemptView>,
    /// When the next attempt is due, while pending.
    next_retry_at: Option<String>,
    created_at: String,
    delivered_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct AttemptView {
    attempt: u32,
    at: String,
    /// The receiver's status; `null` when it gave none (timeout, connection error).
    status_code: Option<u16>,
    duration_ms: u64,
    error: Option<String>,
}

impl From<DeliveryAttempt> for AttemptView {
    fn from(a: DeliveryAttempt) -> Self {
        AttemptView {
            attempt: a.attempt,
            at: format_time(a.at),
            status_code: a.status_code,
            duration_ms: a.duration_ms,
            error: a.error,
        }
    }
}

impl From<WebhookDelivery> for DeliveryView {
    fn from(d: WebhookDelivery) -> Self {
        DeliveryView {
            id: d.id.to_string(),
            event: d.event_type,
            status: d.status,
            attempts: d.attempts.into_iter().map(Into::into).collect(),
            next_retry_at: d.next_retry_at.map(format_time),
            created_at: format_time(d.created_at),
            delivered_at: d.delivered_at.map(format_time),
        }
    }
}

/// The webhook's messages, newest first, each with its attempts.
#[utoipa::path(
    get,
    path = "/v1/user-webhooks/{id}/deliveries",
    operation_id = "listWebhookDeliveries",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id."), PageParams),
    responses(
        (status = 200, description = "A page of deliveries.", body = ListView<DeliveryView>),
        (status = 400, description = "An invalid page or limit.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such webhook in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageParams>,
) -> ApiResult<Json<ListView<DeliveryView>>> {
    let page = Page::parse(q.page, q.limit)?;
    let (items, total) = state
        .services
        .webhook_deliveries(&caller, &id, page)
        .await?;
    Ok(Json(ListView {
        items: items.into_iter().map(Into::into).collect(),
        total,
        page: page.page,
        limit: page.limit,
    }))
}

/// Send a message again now: a failed one, or one waiting for its next retry.
#[utoipa::path(
    post,
    path = "/v1/user-webhooks/{id}/deliveries/{message_id}/retry",
    operation_id = "retryWebhookDelivery",
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "The webhook's id."),
        ("message_id" = String, Path, description = "The delivery's id (`msg_…`)."),
    ),
    responses(
        (status = 202, description = "Queued; it is sent at once.", body = DeliveryView),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such delivery of this webhook, or it is being attempted right now.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn retry(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path((id, message)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<DeliveryView>)> {
    let delivery = state
        .services
        .retry_webhook_delivery(&caller, &id, &message)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(delivery.into())))
}

/// Send a `webhook.test` event to this webhook alone.
#[utoipa::path(
    post,
    path = "/v1/user-webhooks/{id}/test",
    operation_id = "testWebhook",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id.")),
    responses(
        (status = 202, description = "Queued; it is sent at once.", body = DeliveryView),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such webhook in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn test(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<DeliveryView>)> {
    let delivery = state.services.test_webhook(&caller, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery.into())))
}
