//! `/v1/organization-phone-numbers/orders[/{id}]`: buying numbers by the dozen. An order is
//! answered 202 once saved; its numbers are bought in the background, and GET shows how far
//! it got.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Authenticated};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use dialnexa_domain::format_time;
use dialnexa_service::Order;
use dialnexa_service::orders::OrderInput;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/organization-phone-numbers/orders", post(create))
        .route("/v1/organization-phone-numbers/orders/{id}", get(get_one))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderBody {
    /// ISO 3166 country, required (alias `countryISO`).
    #[serde(alias = "countryISO")]
    #[schema(example = "US", max_length = 2)]
    country_iso: Option<String>,
    /// `local` (default), `mobile` or `toll_free`.
    #[serde(rename = "type")]
    #[schema(example = "local", max_length = 16)]
    number_type: Option<String>,
    #[schema(example = "212", max_length = 6)]
    area_code: Option<String>,
    /// Digits, `*` for any digit, or letters as on a phone keypad.
    #[schema(max_length = 32)]
    contains: Option<String>,
    #[schema(max_length = 64)]
    region: Option<String>,
    /// How many numbers to buy, 1 to 100.
    #[schema(example = 20, minimum = 1, maximum = 100)]
    quantity: Option<i64>,
    /// `twilio`, `plivo` or `telnyx`; the workspace default when absent.
    #[schema(example = "telnyx", max_length = 64)]
    provider: Option<String>,
    /// `all_or_none` (default: every number or none, what was bought is released) or
    /// `best_effort` (as many as can be bought).
    #[schema(example = "all_or_none", max_length = 16)]
    mode: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderItemView {
    #[schema(example = "+12125550123")]
    phone_number: String,
    /// `reserved`, `pending`, `bought`, `failed` or `released`.
    #[schema(example = "bought")]
    status: String,
    /// The number's id once bought.
    #[schema(example = "phn_01kdz3f4w7x2kx5mb9qz")]
    phone_number_id: Option<String>,
    /// Why it was not bought, or was given back.
    reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    #[schema(example = "ord_01kdz3f4w7x2kx5mb9qz")]
    id: String,
    /// `pending`, `completed`, `partial` or `failed`.
    #[schema(example = "pending")]
    status: String,
    country_iso: String,
    #[serde(rename = "type")]
    number_type: &'static str,
    area_code: Option<String>,
    contains: Option<String>,
    region: Option<String>,
    quantity: u32,
    provider: &'static str,
    mode: &'static str,
    /// How many are bought so far.
    bought: usize,
    /// Why the order as a whole did not complete.
    failure_reason: Option<String>,
    /// The reservation holding the order's numbers while it runs.
    reservation_id: Option<String>,
    items: Vec<OrderItemView>,
    created_at: String,
    updated_at: String,
}

impl From<Order> for OrderView {
    fn from(o: Order) -> Self {
        OrderView {
            id: o.id.to_string(),
            bought: o.items.iter().filter(|i| i.status == "bought").count(),
            status: o.status,
            country_iso: o.country.as_str().to_owned(),
            number_type: o.number_type.as_str(),
            area_code: o.area_code,
            contains: o.contains,
            region: o.region,
            quantity: o.quantity,
            provider: o.provider.as_str(),
            mode: o.mode.as_str(),
            failure_reason: o.failure_reason,
            reservation_id: o.reservation_id.map(|r| r.to_string()),
            items: o
                .items
                .into_iter()
                .map(|i| OrderItemView {
                    phone_number: i.phone_number.as_str().to_owned(),
                    status: i.status,
                    phone_number_id: i.phone_number_id.map(|n| n.to_string()),
                    reason: i.reason,
                })
                .collect(),
            created_at: format_time(o.created_at),
            updated_at: format_time(o.updated_at),
        }
    }
}

/// Order numbers by the dozen.
///
/// 202 once the order is saved: its numbers are searched, held in a reservation, and each is
/// bought through the same purchase as `POST …/purchase` (rules, billing); GET the order to
/// see them. An order survives a restart of the server and resumes.
#[utoipa::path(
    post,
    path = "/v1/organization-phone-numbers/orders",
    operation_id = "create_order",
    tag = "phone numbers",
    request_body = OrderBody,
    responses(
        (status = 202, description = "Saved; the numbers are being bought.", body = OrderView),
        (status = 400, description = "A quantity out of 1..100, a bad mode, search filter or provider, a country not enabled, or a provider that does not sell these numbers.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 403, description = "KYC required for this country and number type.", body = ErrorBody),
        (status = 503, description = "The database is unavailable; retry.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<OrderBody>,
) -> ApiResult<(StatusCode, Json<OrderView>)> {
    let req = OrderInput {
        country_iso: body.country_iso,
        number_type: body.number_type,
        area_code: body.area_code,
        contains: body.contains,
        region: body.region,
        quantity: body.quantity,
        provider: body.provider,
        mode: body.mode,
    }
    .parse()?;
    let order = state.services.place_order(&caller, &req).await?;
    Ok((StatusCode::ACCEPTED, Json(order.into())))
}

/// One order of this workspace: its status, the numbers bought, and each failure's reason.
#[utoipa::path(
    get,
    path = "/v1/organization-phone-numbers/orders/{id}",
    operation_id = "get_order",
    tag = "phone numbers",
    params(("id" = String, Path, description = "The order's id, e.g. `ord_01kdz3f4w7x2kx5mb9qz`.")),
    responses(
        (status = 200, description = "The order.", body = OrderView),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such order in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn get_one(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(state.services.order(&caller, &id).await?.into()))
}
