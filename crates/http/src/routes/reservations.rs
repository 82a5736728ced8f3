//! `/v1/organization-phone-numbers/reservations[/{id}]`: holding numbers for up to 30 minutes
//! before buying them, reading a hold, and ending it early.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Authenticated};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use dialnexa_domain::format_time;
use dialnexa_service::Reservation;
use dialnexa_service::reservations::ReservationInput;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/organization-phone-numbers/reservations", post(create))
        .route(
            "/v1/organization-phone-numbers/reservations/{id}",
            get(get_one).delete(release),
        )
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReservationBody {
    /// 1 to 20 numbers in E.164, all of one provider.
    #[schema(example = json!(["+14155550123"]), max_items = 20)]
    phone_numbers: Option<Vec<String>>,
    /// `twilio`, `plivo` or `telnyx`; the workspace default when absent.
    #[schema(example = "telnyx", max_length = 64)]
    provider: Option<String>,
    /// How long to hold, 1 to 1800 seconds (the default).
    #[schema(example = 1800, minimum = 1, maximum = 1800)]
    ttl_seconds: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReservationView {
    #[schema(example = "rsv_01kdz3f4w7x2kx5mb9qz")]
    id: String,
    phone_numbers: Vec<String>,
    #[schema(example = "twilio")]
    provider: &'static str,
    /// `active`, `released` or `expired`.
    #[schema(example = "active")]
    status: &'static str,
    #[schema(example = "2027-01-15T07:30:00.000Z")]
    expires_at: String,
    #[schema(example = "2027-01-15T07:00:00.000Z")]
    created_at: String,
}

impl From<Reservation> for ReservationView {
    fn from(r: Reservation) -> Self {
        ReservationView {
            id: r.id.to_string(),
            phone_numbers: r
                .phone_numbers
                .iter()
                .map(|n| n.as_str().to_owned())
                .collect(),
            provider: r.provider.as_str(),
            status: r.status,
            expires_at: format_time(r.expires_at),
            created_at: format_time(r.created_at),
        }
    }
}

/// Hold numbers for this workspace.
///
/// Every number or none: while held, another workspace's purchase or reservation of one of
/// them is refused (409 `number_reserved`) and searches show it `purchasable: false,
/// blocked_by: "reserved"`; this workspace buys it as usual. Where the carrier can hold
/// numbers (Telnyx) the hold is placed there too.
#[utoipa::path(
    post,
    path = "/v1/organization-phone-numbers/reservations",
    operation_id = "create_reservation",
    tag = "phone numbers",
    request_body = ReservationBody,
    responses(
        (status = 201, description = "Held.", body = ReservationView),
        (status = 400, description = "No numbers, more than 20, an invalid number, an unknown provider, a bad ttl_seconds, or a country not enabled.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 403, description = "KYC required for one of the numbers.", body = ErrorBody),
        (status = 409, description = "A number is held by another workspace (`number_reserved`) or already bought (`number_taken`).", body = ErrorBody),
        (status = 502, description = "The carrier refused the hold.", body = ErrorBody),
        (status = 503, description = "The carrier or the database is unavailable; retry.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
async fn create(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiJson(body): ApiJson<ReservationBody>,
) -> ApiResult<(StatusCode, Json<ReservationView>)> {
    let req = ReservationInput {
        phone_numbers: body.phone_numbers,
        provider: body.provider,
        ttl_seconds: body.ttl_seconds,
    }
    .parse()?;
    let held = state.services.reserve(&caller, &req).await?;
    Ok((StatusCode::CREATED, Json(held.into())))
}

/// One reservation of this workspace.
#[utoipa::path(
    get,
    path = "/v1/organization-phone-numbers/reservations/{id}",
    operation_id = "get_reservation",
    tag = "phone numbers",
    params(("id" = String, Path, description = "The reservation's id, e.g. `rsv_01kdz3f4w7x2kx5mb9qz`.")),
    responses(
        (status = 200, description = "The reservation.", body = ReservationView),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such reservation in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn get_one(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Json<ReservationView>> {
    Ok(Json(state.services.reservation(&caller, &id).await?.into()))
}

/// End a reservation early: its numbers are free at once.
#[utoipa::path(
    delete,
    path = "/v1/organization-phone-numbers/reservations/{id}",
    operation_id = "release_reservation",
    tag = "phone numbers",
    params(("id" = String, Path, description = "The reservation's id.")),
    responses(
        (status = 200, description = "Released (or already over: its status says which).", body = ReservationView),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 404, description = "No such reservation in this workspace.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn release(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
) -> ApiResult<Json<ReservationView>> {
    Ok(Json(
        state
            .services
            .release_reservation(&caller, &id)
            .await?
            .into(),
    ))
}
