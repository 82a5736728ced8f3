//! `/v1/user-webhooks[/{id}]`: the official API's user webhooks, in its shapes
//! (`CreateWebhookRequest`, `UpdateWebhookRequest`, `{message, webhook}` answers). The secret
//! is write-only: every answer shows it masked.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Authenticated};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use dialnexa_domain::format_time;
use dialnexa_service::model::{Page, Webhook};
use dialnexa_service::webhooks::WebhookInput;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/user-webhooks", get(list).post(create))
        .route(
            "/v1/user-webhooks/{id}",
            get(get_one).patch(update).delete(delete),
        )
}

const MASK: &str = "********";

/// The official spec's `CreateWebhookRequest`.
#[derive(Deserialize, ToSchema)]
struct CreateWebhookRequest {
    /// Where events are POSTed: `https://` (plain `http://` only where the operator allows
    /// private targets).
    #[schema(example = "https://example.com/dialnexa/webhook")]
    url: Option<String>,
    /// Event names, or `["*"]` for all of them.
    #[schema(example = json!(["phone_number.purchased", "phone_number.released"]))]
    events: Option<Vec<String>>,
    /// Default `true`.
    is_active: Option<bool>,
    /// Signs every delivery (Standard Webhooks); `whsec_<base64>` is used decoded.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    secret: Option<String>,
}

/// The official spec's `UpdateWebhookRequest`: any subset of the fields.
#[derive(Deserialize, ToSchema)]
struct UpdateWebhookRequest {
    url: Option<String>,
    events: Option<Vec<String>>,
    is_active: Option<bool>,
    secret: Option<String>,
}

/// A webhook; its secret is never shown.
#[derive(Serialize, ToSchema)]
pub(crate) struct WebhookView {
    #[schema(example = "wh_01kdz3f4w7x2kx5mb9qz")]
    id: String,
    url: String,
    events: Vec<String>,
    is_active: bool,
    /// Always masked.
    #[schema(example = "********")]
    secret: &'static str,
    #[serde(rename = "createdAt")]
    created_at: String,
    #[serde(rename = "updatedAt")]
    updated_at: String,
    /// Why the platform turned the webhook off (`webhook.disabled: …`), if it did.
    disabled_reason: Option<String>,
}

impl From<Webhook> for WebhookView {
    fn from(w: Webhook) -> Self {
        WebhookView {
            id: w.id.to_string(),
            url: w.url,
            events: w.events,
            is_active: w.is_active,
            secret: MASK,
            created_at: format_time(w.created_at),
            updated_at: format_time(w.updated_at),
            disabled_reason: w.disabled_note,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct WebhookAnswer {
    #[schema(example = "Webhook created successfully")]
    message: &'static str,
    webhook: WebhookView,
}

#[derive(Serialize, ToSchema)]
struct WebhookList {
    #[schema(example = "Webhooks fetched successfully")]
    message: &'static str,
    webhooks: Vec<WebhookView>,
    page: u32,
    limit: u32,
    total: u64,
    #[serde(rename = "totalPages")]
    total_pages: u64,
}

#[derive(Serialize, ToSchema)]
struct WebhookDeleted {
    #[schema(example = "Webhook deleted successfully")]
    message: &'static str,
    id: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageParams {
    /// Page number, from 1.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Results per page, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

fn answer(message: &'static str, w: Webhook) -> Json<WebhookAnswer> {
    Json(WebhookAnswer {
        message,
        webhook: w.into(),
    })
}

/// Register a webhook for the caller's workspace.
#[utoipa::path(
    post,
    path = "/v1/user-webhooks",
    operation_id = "createWebhook",
    tag = "webhooks",
    request_body = CreateWebhookRequest,
    responses(
        (status = 201, description = "Created; the secret is shown masked.", body = WebhookAnswer),
        (status = 400, description = "A missing or invalid url, events or secret.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<CreateWebhookRequest>,
) -> ApiResult<(StatusCode, Json<WebhookAnswer>)> {
    let input = WebhookInput {
        url: body.url,
        events: body.events,
        is_active: body.is_active,
        secret: body.secret,
    };
    let webhook = state.services.create_webhook(&caller, input).await?;
    Ok((
        StatusCode::CREATED,
        answer("Webhook created successfully", webhook),
    ))
}

/// The workspace's webhooks, newest first.
#[utoipa::path(
    get,
    path = "/v1/user-webhooks",
    operation_id = "listWebhooks",
    tag = "webhooks",
    params(PageParams),
    responses(
        (status = 200, description = "A page of webhooks.", body = WebhookList),
        (status = 400, description = "An invalid page or limit.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(q): ApiQuery<PageParams>,
) -> ApiResult<Json<WebhookList>> {
    let page = Page::parse(q.page, q.limit)?;
    let (items, total) = state.services.list_webhooks(&caller, page).await?;
    Ok(Json(WebhookList {
        message: "Webhooks fetched successfully",
        webhooks: items.into_iter().map(Into::into).collect(),
        page: page.page,
        limit: page.limit,
        total,
        total_pages: total.div_ceil(u64::from(page.limit)),
    }))
}

#[utoipa::path(
    get,
    path = "/v1/user-webhooks/{id}",
    operation_id = "getWebhook",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id.")),
    responses(
        (status = 200, description = "The webhook.", body = WebhookAnswer),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such webhook in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn get_one(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookAnswer>> {
    let webhook = state.services.get_webhook(&caller, &id).await?;
    Ok(answer("Webhook fetched successfully", webhook))
}

/// Change the url, events, activity or secret; turning a webhook on again clears why the
/// platform turned it off.
#[utoipa::path(
    patch,
    path = "/v1/user-webhooks/{id}",
    operation_id = "updateWebhook",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id.")),
    request_body = UpdateWebhookRequest,
    responses(
        (status = 200, description = "Updated.", body = WebhookAnswer),
        (status = 400, description = "An invalid url, events or secret.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such webhook in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
async fn update(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateWebhookRequest>,
) -> ApiResult<Json<WebhookAnswer>> {
    let input = WebhookInput {
        url: body.url,
        events: body.events,
        is_active: body.is_active,
        secret: body.secret,
    };
    let webhook = state.services.update_webhook(&caller, &id, input).await?;
    Ok(answer("Webhook updated successfully", webhook))
}

/// Delete the webhook and its delivery log; nothing more is sent to it.
#[utoipa::path(
    delete,
    path = "/v1/user-webhooks/{id}",
    operation_id = "deleteWebhook",
    tag = "webhooks",
    params(("id" = String, Path, description = "The webhook's id.")),
    responses(
        (status = 200, description = "Deleted.", body = WebhookDeleted),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such webhook in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
async fn delete(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookDeleted>> {
    let id = state.services.delete_webhook(&caller, &id).await?;
    Ok(Json(WebhookDeleted {
        message: "Webhook deleted successfully",
        id: id.to_string(),
    }))
}
