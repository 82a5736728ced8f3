//! `/v1/organization-phone-numbers` and `/{id}`: the workspace's numbers, listed, read one at
//! a time, updated (`PATCH`) and released (`DELETE`). Buying one is `purchase.rs`.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Authenticated, double_option};
use crate::page_cache::PageKey;
use crate::views::{ListView, PhoneNumberView};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use dialnexa_service::Caller;
use dialnexa_service::ServiceError;
use dialnexa_service::lifecycle::NumberPatch;
use dialnexa_service::numbers::NumberQuery;
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/organization-phone-numbers", get(list))
        .route(
            "/v1/organization-phone-numbers/{id}",
            get(get_one).patch(update).delete(release),
        )
}

/// The workspace's numbers, newest first.
#[utoipa::path(
    get,
    path = "/v1/organization-phone-numbers",
    operation_id = "list_phone_numbers",
    tag = "phone numbers",
    params(
        ("page" = Option<i64>, Query, description = "Page number, from 1."),
        ("limit" = Option<i64>, Query, description = "Page size, default 20, max 100."),
        ("status" = Option<String>, Query, description = "`pending`, `active`, `failed` or `released`; without it, the pending and active ones."),
        ("country_code" = Option<String>, Query, description = "ISO 3166 country."),
        ("type" = Option<String>, Query, description = "`local`, `mobile` or `toll_free`."),
        ("provider" = Option<String>, Query),
        ("agent_id" = Option<String>, Query, description = "Numbers routed to this agent."),
        ("q" = Option<String>, Query, description = "Matches the number, label or nickname."),
    ),
    responses(
        (status = 200, description = "A page of numbers.", body = ListView<PhoneNumberView>),
        (status = 400, description = "An invalid filter or page.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn list(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(query): ApiQuery<NumberQuery>,
) -> ApiResult<Response> {
    let listing = query.parse()?;
    let key = PageKey::List {
        workspace: caller.workspace_id.clone(),
        listing: listing.clone(),
    };
    let services = &state.services;
    kept_or(&state, &caller, key, || async {
        let (items, total) = services.list_numbers(&caller, &listing).await?;
        let valid_until = items.iter().filter_map(|r| r.next_renewal_at).min();
        let view = ListView {
            items: items.iter().map(PhoneNumberView::from).collect(),
            total,
            page: listing.page.page,
            limit: listing.page.limit,
        };
        Ok((render(&view)?, valid_until))
    })
    .await
}

/// One number, with its SIP trunk (never the password) when it came in over one.
#[utoipa::path(
    get,
    path = "/v1/organization-phone-numbers/{id}",
    operation_id = "get_phone_number",
    tag = "phone numbers",
    params(("id" = String, Path, description = "The number's id, e.g. `phn_01kdz3f4w7x2kx5mb9qz`.")),
    responses(
        (status = 200, description = "The number.", body = PhoneNumberView),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such number in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn get_one(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let key = PageKey::Number {
        workspace: caller.workspace_id.clone(),
        id: id.clone(),
    };
    let services = &state.services;
    kept_or(&state, &caller, key, || async {
        let number = services.get_number(&caller, &id).await?;
        let view = PhoneNumberView::from(&number);
        Ok((render(&view)?, number.next_renewal_at))
    })
    .await
}

/// The answer kept for `key` (crate::page_cache) if it is still true, or else `answer`'s (its
/// body and the first time it stops being true), kept for next time. The change token is read
/// before `answer` reads anything, so a commit in between makes a kept answer older than its
/// token, never newer. Errors are not kept.
async fn kept_or<F, Fut>(
    state: &AppState,
    caller: &Caller,
    key: PageKey,
    answer: F,
) -> ApiResult<Response>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<(Bytes, Option<Timestamp>)>>,
{
    let token = state.services.change_token(caller).await?;
    let now = state.services.clock().now();
    if let Some(body) = token.and_then(|t| state.pages.get(&key, t, now)) {
        return Ok(json_body(body));
    }
    let (body, valid_until) = answer().await?;
    if let Some(token) = token {
        state.pages.put(key, token, valid_until, body.clone());
    }
    Ok(json_body(body))
}

/// `value` as JSON bytes.
fn render(value: &impl serde::Serialize) -> ApiResult<Bytes> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| ServiceError::internal(format!("cannot render the answer: {e}")).into())
}

/// A rendered JSON body, as `Json` would answer it.
fn json_body(body: Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// Absent fields stay as they are; `null` (or `""`) clears one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PatchBody {
    #[serde(default, deserialize_with = "double_option")]
    nickname: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    label: Option<Option<String>>,
    #[serde(
        default,
        alias = "inbound_agent_id",
        deserialize_with = "double_option"
    )]
    /// The agent answering inbound calls (alias `inbound_agent_id`).
    agent_id: Option<Option<String>>,
    /// The agent using this number as outbound caller ID.
    #[serde(default, deserialize_with = "double_option")]
    outbound_agent_id: Option<Option<String>>,
}

/// Name a number or point it at agents.
#[utoipa::path(
    patch,
    path = "/v1/organization-phone-numbers/{id}",
    operation_id = "update_phone_number",
    tag = "phone numbers",
    params(("id" = String, Path, description = "The number's id.")),
    request_body = PatchBody,
    responses(
        (status = 200, description = "The updated number.", body = PhoneNumberView),
        (status = 400, description = "Bad JSON or an invalid field.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such number or agent in this workspace.", body = ErrorBody),
        (status = 409, description = "The number is released.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(number = %id))]
async fn update(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PatchBody>,
) -> ApiResult<Json<PhoneNumberView>> {
    let patch = NumberPatch {
        nickname: body.nickname,
        label: body.label,
        inbound_agent_id: body.agent_id,
        outbound_agent_id: body.outbound_agent_id,
    };
    let number = state.services.update_number(&caller, &id, patch).await?;
    Ok(Json(PhoneNumberView::from(&number)))
}

/// Answers the released record (`status: "released"`, `released_at`).
#[utoipa::path(
    delete,
    path = "/v1/organization-phone-numbers/{id}",
    operation_id = "release_phone_number",
    tag = "phone numbers",
    params(
        ("id" = String, Path, description = "The number's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe."),
    ),
    responses(
        (status = 200, description = "The released number.", body = PhoneNumberView),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such number in this workspace.", body = ErrorBody),
        (status = 409, description = "The number is not active.", body = ErrorBody),
        (status = 503, description = "The carrier is unavailable; retry.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(number = %id))]
async fn release(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Json<PhoneNumberView>> {
    let number = state.services.release_number(&caller, &id).await?;
    Ok(Json(PhoneNumberView::from(&number)))
}
