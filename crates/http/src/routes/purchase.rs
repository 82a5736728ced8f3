//! `POST /v1/organization-phone-numbers/purchase`: buying a number. A body in the seed's shape
//! (`phone_number`, `provider`) is answered with the seed's flat record; one in the official
//! spec's (`phoneNumber`, `telephonyProviderId`, `countryISO`) with the spec's
//! `{phoneNumber, status, message, organizationPhoneNumber}`.

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, Authenticated};
use crate::idempotency::ResumedFrom;
use crate::views::PhoneNumberView;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use dialnexa_service::saga::purchase::{PurchaseInput, PurchaseOutcome};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/organization-phone-numbers/purchase", post(purchase))
}

/// The seed's body or the official spec's. Which spelling the number comes in decides the
/// shape of the answer; the other fields may be spelled either way.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PurchaseBody {
    /// The number to buy, in E.164 (the seed's spelling). This or `phoneNumber` is required.
    #[schema(example = "+14155550123", min_length = 1, max_length = 32)]
    phone_number: Option<String>,
    /// The number to buy, in E.164 (the spec's spelling): the answer is the spec's shape.
    #[serde(rename = "phoneNumber")]
    #[schema(example = "+14155550123", min_length = 1, max_length = 32)]
    phone_number_spec: Option<String>,
    /// `twilio`, `plivo` or `telnyx`; the workspace default when absent.
    #[schema(example = "twilio", max_length = 64)]
    provider: Option<String>,
    /// The spec's spelling of `provider`: also the ids `GET /v1/phone-number-pricing`
    /// answers (`tp_plivo`).
    #[serde(rename = "telephonyProviderId")]
    #[schema(example = "tp_plivo", max_length = 64)]
    telephony_provider_id: Option<String>,
    /// ISO 3166 country, checked against the number (aliases `countryISO`, `country_iso`).
    #[serde(alias = "countryISO", alias = "country_iso")]
    #[schema(example = "US", max_length = 2)]
    country: Option<String>,
}

/// The official spec's answer to a purchase sent in its shape.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SpecPurchaseView {
    #[schema(example = "+14155550123")]
    phone_number: String,
    /// `active`, or `pending` while the carrier's answer is outstanding.
    #[schema(example = "active")]
    status: &'static str,
    #[schema(example = "Phone number purchased and registered successfully")]
    message: &'static str,
    organization_phone_number: PhoneNumberView,
}

/// Either answer, as the body's shape asked.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum PurchaseAnswer {
    Seed(PhoneNumberView),
    Spec(SpecPurchaseView),
}

fn one_of(
    field: &str,
    seed: Option<String>,
    spec: Option<String>,
) -> Result<Option<String>, ApiError> {
    match (seed, spec) {
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "invalid_json",
            format!("Send {field} in one spelling only, the seed's or the spec's."),
        )),
        (a, b) => Ok(a.or(b)),
    }
}

/// Buy a number.
///
/// Seed's shape: 201 with the active record, or 202 with a `pending` one when the carrier's
/// answer is still outstanding (GET shows the outcome). Spec's shape (`phoneNumber`): 201
/// `{phoneNumber, status: "active", message, organizationPhoneNumber}`, or 200 with
/// `status: "pending"` (the spec's "purchase initiated").
#[utoipa::path(
    post,
    path = "/v1/organization-phone-numbers/purchase",
    operation_id = "purchase_phone_number",
    tag = "phone numbers",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body replay the first answer.")),
    request_body = PurchaseBody,
    responses(
        (status = 200, description = "Spec's shape: the carrier has not answered yet; the number is pending.", body = SpecPurchaseView),
        (status = 201, description = "Bought; the number is active (the seed's record, or the spec's answer).", body = PurchaseAnswer),
        (status = 202, description = "Seed's shape: the carrier has not answered yet; the number is pending.", body = PhoneNumberView),
        (status = 400, description = "Bad JSON, an invalid E.164 number, a country not enabled, or a number no longer available.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 403, description = "KYC required for this country and number type.", body = ErrorBody),
        (status = 409, description = "The number is already held, or another buyer took it.", body = ErrorBody),
        (status = 422, description = "The Idempotency-Key was used with another request.", body = ErrorBody),
        (status = 502, description = "The carrier refused the purchase or our credentials.", body = ErrorBody),
        (status = 503, description = "The carrier or the database is unavailable; retry.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
async fn purchase(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    resumed: Option<Extension<ResumedFrom>>,
    ApiJson(body): ApiJson<PurchaseBody>,
) -> ApiResult<Response> {
    let spec = body.phone_number_spec.is_some();
    let input = PurchaseInput {
        phone_number: one_of(
            "the phone number",
            body.phone_number,
            body.phone_number_spec,
        )?,
        provider: one_of("the provider", body.provider, body.telephony_provider_id)?,
        country: body.country,
        spec_names: spec,
    };
    let req = input.parse(resumed.map(|Extension(r)| r.0))?;
    let outcome = state.services.purchase(&caller, req).await?;
    let (active, number) = match &outcome {
        PurchaseOutcome::Active(n) => (true, n),
        PurchaseOutcome::Pending(n) => (false, n),
    };
    let record = PhoneNumberView::from(number);
    Ok(match (spec, active) {
        (false, true) => (StatusCode::CREATED, Json(record)).into_response(),
        (false, false) => (StatusCode::ACCEPTED, Json(record)).into_response(),
        (true, _) => {
            let answer = SpecPurchaseView {
                phone_number: number.phone_number.to_string(),
                status: if active { "active" } else { "pending" },
                message: if active {
                    "Phone number purchased and registered successfully"
                } else {
                    "Purchase initiated: the carrier has not confirmed it yet. GET the number to see the outcome."
                },
                organization_phone_number: record,
            };
            let status = if active {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, Json(answer)).into_response()
        }
    })
}
