//! Searching carrier inventory: our own shape at `/available`, and the official spec's
//! Plivo-shaped answer at `/plivo-numbers`.

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Authenticated};
use crate::views::{parse_capabilities, parse_country, parse_provider, parse_type};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use dialnexa_domain::{Capabilities, Capability, Money, NumberType, Provider};
use dialnexa_service::search::{MAX_SEARCH_LIMIT, SearchRequest, SearchResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/organization-phone-numbers/available", get(available))
        .route(
            "/v1/organization-phone-numbers/plivo-numbers",
            get(plivo_numbers),
        )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// ISO 3166 country, required (aliases `countryISO`, `country`).
    #[serde(alias = "countryISO", alias = "country")]
    country_iso: Option<String>,
    #[serde(rename = "type")]
    /// `local` (default), `mobile` or `toll_free`.
    number_type: Option<String>,
    area_code: Option<String>,
    contains: Option<String>,
    region: Option<String>,
    /// Comma-separated, e.g. `voice,sms`.
    capabilities: Option<String>,
    /// From 1 to the search maximum, default 20.
    limit: Option<i64>,
    provider: Option<String>,
}

impl SearchQuery {
    fn into_request(self, forced_provider: Option<Provider>) -> Result<SearchRequest, ApiError> {
        let country = self
            .country_iso
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| ApiError::bad_request("missing_field", "country_iso is required"))?;
        let limit = self.limit.unwrap_or(20);
        if !(1..=i64::from(MAX_SEARCH_LIMIT)).contains(&limit) {
            return Err(ApiError::bad_request(
                "invalid_limit",
                format!("limit must be a whole number from 1 to {MAX_SEARCH_LIMIT}."),
            ));
        }
        Ok(SearchRequest {
            country: parse_country("country_iso", country)?,
            number_type: self
                .number_type
                .as_deref()
                .filter(|t| !t.is_empty())
                .map(|t| parse_type("type", t))
                .transpose()?
                .unwrap_or(NumberType::Local),
            area_code: self.area_code.filter(|a| !a.is_empty()),
            contains: self.contains,
            region: self.region,
            capabilities: self
                .capabilities
                .as_deref()
                .map(|c| parse_capabilities("capabilities", c))
                .transpose()?
                .unwrap_or_default(),
            limit: limit as u32,
            provider: match forced_provider {
                Some(p) => Some(p),
                None => self
                    .provider
                    .as_deref()
                    .filter(|p| !p.is_empty())
                    .map(|p| parse_provider("provider", p))
                    .transpose()?,
            },
        })
    }
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
    params(SearchQuery),
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
    let found = state
        .services
        .search(&caller, query.into_request(None)?)
        .await?;
    let items = found
        .into_iter()
        .map(|r: SearchResult| AvailableView {
            phone_number: r.number.phone_number.to_string(),
            country_code: r.number.phone_number.country().to_string(),
            number_type: r.number.number_type,
            capabilities: r.number.capabilities,
            region: r.number.region,
            locality: r.number.locality,
            provider: r.provider,
            monthly_cost_usd: r.monthly_cost,
            purchasable: r.blocked_by.is_none(),
            blocked_by: r.blocked_by,
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
    params(SearchQuery),
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
    let found = state
        .services
        .search(&caller, query.into_request(Some(Provider::Plivo))?)
        .await?;
    let objects: Vec<PlivoNumberView> = found
        .into_iter()
        .map(|r| PlivoNumberView {
            number: r.number.phone_number.to_string(),
            number_type: match r.number.number_type {
                NumberType::Local => "local",
                NumberType::Mobile => "mobile",
                NumberType::TollFree => "tollfree",
            },
            monthly_rental_rate: r.monthly_cost.unwrap_or(Money::ZERO).to_string(),
            setup_rate: Money::ZERO.to_string(),
            voice_enabled: r.number.capabilities.contains(Capability::Voice),
            sms_enabled: r.number.capabilities.contains(Capability::Sms),
            mms_enabled: r.number.capabilities.contains(Capability::Mms),
            country_iso: r.number.phone_number.country().to_string(),
            number_format: r.number.phone_number.international(),
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
