//! `POST /v1/organization-phone-numbers/purchase`: buying a number, in the seed's shape or the
//! official spec's spellings.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Authenticated};
use crate::idempotency::ResumedFrom;
use crate::views::PhoneNumberView;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Extension, Json, Router};
use dialnexa_service::saga::purchase::{PurchaseInput, PurchaseOutcome};
use serde::Deserialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/organization-phone-numbers/purchase", post(purchase))
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
    resumed: Option<Extension<ResumedFrom>>,
    ApiJson(body): ApiJson<PurchaseBody>,
) -> ApiResult<(StatusCode, Json<PhoneNumberView>)> {
    let input = PurchaseInput {
        phone_number: body.phone_number,
        provider: body.provider,
        country: body.country,
    };
    let req = input.parse(resumed.map(|Extension(r)| r.0))?;
    let (status, number) = match state.services.purchase(&caller, req).await? {
        PurchaseOutcome::Active(n) => (StatusCode::CREATED, n),
        PurchaseOutcome::Pending(n) => (StatusCode::ACCEPTED, n),
    };
    Ok((status, Json(PhoneNumberView::from(&number))))
}
