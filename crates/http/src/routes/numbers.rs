//! `/v1/organization-phone-numbers`: purchase, list, get.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Authenticated};
use crate::page_cache::PageKey;
use crate::views::{
    ListView, PhoneNumberView, parse_country, parse_e164, parse_provider, parse_type,
};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use dialnexa_domain::{AgentId, NumberStatus};
use dialnexa_service::Caller;
use dialnexa_service::ServiceError;
use dialnexa_service::purchase::{PurchaseOutcome, PurchaseRequest};
use dialnexa_store::NumberFilter;
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/organization-phone-numbers", get(list))
        .route("/v1/organization-phone-numbers/purchase", post(purchase))
        .route("/v1/organization-phone-numbers/{id}", get(get_one))
}

/// The seed's body, with the official spec's spellings accepted as aliases.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PurchaseBody {
    /// The number to buy, in E.164 (alias `phoneNumber`). Required.
    #[serde(alias = "phoneNumber")]
    #[schema(example = "+14155550123")]
    phone_number: Option<String>,
    /// `twilio` or `plivo` (alias `telephonyProviderId`); the workspace default when absent.
    #[serde(alias = "telephonyProviderId")]
    #[schema(example = "twilio")]
    provider: Option<String>,
    /// ISO 3166 country, checked against the number (aliases `countryISO`, `country_iso`).
    #[serde(alias = "countryISO", alias = "country_iso")]
    #[schema(example = "US")]
    country: Option<String>,
}

/// Buy a number.
///
/// 201 with the active record, or 202 with a `pending` one when the carrier's answer is still
/// outstanding (GET shows the outcome).
#[utoipa::path(
    post,
    path = "/v1/organization-phone-numbers/purchase",
    operation_id = "purchase_phone_number",
    tag = "phone numbers",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body replay the first answer.")),
    request_body = PurchaseBody,
    responses(
        (status = 201, description = "Bought; the number is active.", body = PhoneNumberView),
        (status = 202, description = "The carrier has not answered yet; the number is pending.", body = PhoneNumberView),
        (status = 400, description = "Bad JSON, an invalid E.164 number, a country not enabled, or a number no longer available.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 403, description = "KYC required for this country and number type.", body = ErrorBody),
        (status = 409, description = "The number is already held, or another buyer took it.", body = ErrorBody),
        (status = 422, description = "The Idempotency-Key was used with another request.", body = ErrorBody),
        (status = 503, description = "The carrier is unavailable; retry.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
async fn purchase(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    resumed: Option<axum::Extension<crate::idempotency::ResumedFrom>>,
    ApiJson(body): ApiJson<PurchaseBody>,
) -> ApiResult<(StatusCode, Json<PhoneNumberView>)> {
    let req = PurchaseRequest {
        phone_number: parse_e164("phone_number", body.phone_number.as_deref())?,
        provider: body
            .provider
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(|p| parse_provider("provider", p))
            .transpose()?,
        country: body
            .country
            .as_deref()
            .map(|c| parse_country("countryISO", c))
            .transpose()?,
        resumed_from: resumed.map(|axum::Extension(r)| r.0),
    };
    let (status, record) = match state.services.purchase(&caller, req).await? {
        PurchaseOutcome::Active(r) => (StatusCode::CREATED, r),
        PurchaseOutcome::Pending(r) => (StatusCode::ACCEPTED, r),
    };
    Ok((status, Json(PhoneNumberView::new(&state.services, &record))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page number, from 1.
    page: Option<i64>,
    /// Page size, default 20, max 100.
    limit: Option<i64>,
    /// `pending`, `active` or `released`.
    status: Option<String>,
    country_code: Option<String>,
    #[serde(rename = "type")]
    number_type: Option<String>,
    provider: Option<String>,
    agent_id: Option<String>,
    /// Matches the number, label or nickname.
    q: Option<String>,
}

/// The workspace's numbers, newest first.
#[utoipa::path(
    get,
    path = "/v1/organization-phone-numbers",
    operation_id = "list_phone_numbers",
    tag = "phone numbers",
    params(ListQuery),
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
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Response> {
    let page = dialnexa_service::numbers::page(query.page, query.limit)?;
    let filter = NumberFilter {
        status: query
            .status
            .as_deref()
            .map(|s| {
                s.parse::<NumberStatus>().map_err(|e| {
                    crate::error::ApiError::bad_request("invalid_status", e.to_string())
                })
            })
            .transpose()?,
        country: query
            .country_code
            .as_deref()
            .map(|c| parse_country("country_code", c))
            .transpose()?,
        number_type: query
            .number_type
            .as_deref()
            .map(|t| parse_type("type", t))
            .transpose()?,
        provider: query
            .provider
            .as_deref()
            .map(|p| parse_provider("provider", p))
            .transpose()?,
        agent_id: query
            .agent_id
            .as_deref()
            .map(|a| AgentId::from_trusted(a.to_owned())),
        q: query.q,
    };
    let key = PageKey::List {
        workspace: caller.workspace_id.clone(),
        filter: filter.clone(),
        page,
    };
    let services = &state.services;
    kept_or(&state, &caller, key, || async {
        let (items, total) = services.list_numbers(&caller, &filter, page).await?;
        let valid_until = items.iter().filter_map(|r| services.next_renewal(r)).min();
        let view = ListView {
            items: items
                .iter()
                .map(|r| PhoneNumberView::new(services, r))
                .collect(),
            total,
            page: page.page,
            limit: page.limit,
        };
        Ok((render(&view)?, valid_until))
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

/// One number, with its SIP trunk (never the password) when it came in over one.
#[utoipa::path(
    get,
    path = "/v1/organization-phone-numbers/{id}",
    operation_id = "get_phone_number",
    tag = "phone numbers",
    params(("id" = String, Path, description = "The number's id, e.g. `phn_f7w2kx5mb9qz`.")),
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
        let record = services.get_number(&caller, &id).await?;
        let trunk = services.sip_trunk_of(&record).await?;
        let view = PhoneNumberView::new(services, &record).with_sip_trunk(trunk);
        Ok((render(&view)?, services.next_renewal(&record)))
    })
    .await
}
