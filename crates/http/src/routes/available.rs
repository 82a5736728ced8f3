//! Searching carrier inventory: our own shape at `/available`, and the official spec's
//! Plivo-shaped answer at `/plivo-numbers`.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Authenticated};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use dialnexa_domain::{Capabilities, Capability, Money, NumberType, Provider};
use dialnexa_service::AvailableNumber;
use dialnexa_service::search::SearchQuery;
use serde::Serialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/organization-phone-numbers/available", get(available))
        .route(
            "/v1/organization-phone-numbers/plivo-numbers",
            get(plivo_numbers),
        )
}

#[derive(Debug, Serialize, ToSchema)]
struct AvailableView {
    #[schema(example = "+14155550123")]
    phone_number: String,
    country_code: String,
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "local")]
    number_type: NumberType,
    #[schema(value_type = Vec<String>, example = json!(["voice", "sms"]))]
    capabilities: Capabilities,
    region: Option<String>,
    locality: Option<String>,
    #[schema(value_type = String, example = "twilio")]
    provider: Provider,
    #[schema(value_type = Option<String>, example = "1.15")]
    monthly_cost_usd: Option<Money>,
    purchasable: bool,
    /// Why a purchase would be refused, e.g. `kyc_required`.
    #[schema(value_type = Option<String>)]
    blocked_by: Option<&'static str>,
}

#[derive(Debug, Serialize, ToSchema)]
struct AvailableList {
    items: Vec<AvailableView>,
}

/// Search the carriers' inventory.
#[utoipa::path(
    get,
    path = "/v1/organization-phone-numbers/available",
    tag = "phone numbers",
    params(
        ("country_iso" = String, Query, description = "ISO 3166 country, required (aliases `countryISO`, `country`)."),
        ("type" = Option<String>, Query, description = "`local` (default), `mobile` or `toll_free`."),
        ("area_code" = Option<String>, Query),
        ("contains" = Option<String>, Query, description = "Digits, `*` for any digit, or letters as on a phone keypad (`STORE`)."),
        ("region" = Option<String>, Query),
        ("capabilities" = Option<String>, Query, description = "Comma-separated, e.g. `voice,sms`."),
        ("limit" = Option<i64>, Query, description = "From 1 to 100, default 20."),
        ("provider" = Option<String>, Query, description = "`twilio` or `plivo`; the workspace default when absent."),
    ),
    responses(
        (status = 200, description = "Numbers on offer.", body = AvailableList),
        (status = 400, description = "An invalid query parameter.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 503, description = "The carrier is unavailable; retry.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn available(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> ApiResult<Json<AvailableList>> {
    let found = state.services.search(&caller, &query.parse()?).await?;
    let items = found
        .into_iter()
        .map(|r: AvailableNumber| AvailableView {
            country_code: r.phone_number.country().to_string(),
            phone_number: r.phone_number.to_string(),
            number_type: r.number_type,
            capabilities: r.capabilities,
            region: r.region,
            locality: r.locality,
            provider: r.provider,
            monthly_cost_usd: r.monthly_cost,
            purchasable: r.blocked_by.is_none(),
            blocked_by: r.blocked_by.map(|b| b.code()),
        })
        .collect();
    Ok(Json(AvailableList { items }))
}

/// The official spec's `AvailablePhoneNumber`.
#[derive(Debug, Serialize, ToSchema)]
struct PlivoNumberView {
    number: String,
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "local")]
    number_type: &'static str,
    monthly_rental_rate: String,
    setup_rate: String,
    voice_enabled: bool,
    sms_enabled: bool,
    mms_enabled: bool,
    country_iso: String,
    number_format: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct PlivoList {
    api_id: String,
    objects: Vec<PlivoNumberView>,
    #[schema(value_type = Object, example = json!({"total_count": 1}))]
    meta: serde_json::Value,
}

/// The same search, answered in the official spec's Plivo shape.
#[utoipa::path(
    get,
    path = "/v1/organization-phone-numbers/plivo-numbers",
    tag = "phone numbers",
    params(
        ("country_iso" = String, Query, description = "ISO 3166 country, required (aliases `countryISO`, `country`)."),
        ("type" = Option<String>, Query, description = "`local` (default), `mobile` or `toll_free`."),
        ("area_code" = Option<String>, Query),
        ("contains" = Option<String>, Query, description = "Digits, `*` for any digit, or letters as on a phone keypad (`STORE`)."),
        ("region" = Option<String>, Query),
        ("capabilities" = Option<String>, Query, description = "Comma-separated, e.g. `voice,sms`."),
        ("limit" = Option<i64>, Query, description = "From 1 to 100, default 20."),
    ),
    responses(
        (status = 200, description = "Numbers on offer at Plivo.", body = PlivoList),
        (status = 400, description = "An invalid query parameter.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
        (status = 503, description = "The carrier is unavailable; retry.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn plivo_numbers(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> ApiResult<Json<PlivoList>> {
    // This endpoint answers for Plivo whatever the query says.
    let query = SearchQuery {
        provider: None,
        ..query
    };
    let mut req = query.parse()?;
    req.provider = Some(Provider::Plivo);
    let found = state.services.search(&caller, &req).await?;
    let objects: Vec<PlivoNumberView> = found
        .into_iter()
        .map(|r| PlivoNumberView {
            number: r.phone_number.to_string(),
            number_type: match r.number_type {
                NumberType::Local => "local",
                NumberType::Mobile => "mobile",
                NumberType::TollFree => "tollfree",
            },
            monthly_rental_rate: r.monthly_cost.unwrap_or(Money::ZERO).to_string(),
            setup_rate: Money::ZERO.to_string(),
            voice_enabled: r.capabilities.contains(Capability::Voice),
            sms_enabled: r.capabilities.contains(Capability::Sms),
            mms_enabled: r.capabilities.contains(Capability::Mms),
            country_iso: r.phone_number.country().to_string(),
            number_format: r.phone_number.international(),
        })
        .collect();
    let total = objects.len();
    Ok(Json(PlivoList {
        api_id: dialnexa_domain::EventId::generate()
            .as_str()
            .trim_start_matches("evt_")
            .to_owned(),
        objects,
        meta: serde_json::json!({ "total_count": total }),
    }))
}
