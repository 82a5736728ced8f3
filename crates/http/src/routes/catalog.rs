//! Reference data in the official spec's shapes (plain arrays): rental pricing, the country
//! rules built from libphonenumber, and the rules of the workspace's enabled countries.

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, Authenticated};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use dialnexa_domain::{Money, NumberType, Provider};
use dialnexa_service::catalog::{CountryRule, PriceQuery};
use serde::Serialize;
use utoipa::ToSchema;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/phone-number-pricing", get(pricing))
        .route("/v1/phone-country-rules/countries", get(countries))
        .route(
            "/v1/phone-country-rules/enabled-network-groups",
            get(enabled_network_groups),
        )
}

#[derive(Debug, Serialize, ToSchema)]
struct ProviderView {
    #[schema(example = "tp_twilio")]
    id: String,
    #[schema(value_type = String, example = "Twilio")]
    name: &'static str,
    #[schema(value_type = String, example = "twilio")]
    provider: Provider,
}

/// The spec's `PhoneNumberPricing`, plus our `provider`, `type` and `monthly_cost_usd`.
#[derive(Debug, Serialize, ToSchema)]
struct PricingView {
    telephony_provider_id: String,
    #[schema(value_type = String, example = "twilio")]
    provider: Provider,
    country_iso: String,
    country_name: String,
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "local")]
    number_type: NumberType,
    #[schema(value_type = String, example = "1.15")]
    monthly_cost_usd: Money,
    /// The spec's field: the same monthly rental, in USD, with four decimals.
    #[schema(example = "1.1500")]
    credit_cost: String,
    #[schema(value_type = String, example = "USD")]
    currency: &'static str,
    #[serde(rename = "telephonyProvider")]
    telephony_provider: ProviderView,
}

fn provider_id(p: Provider) -> String {
    format!("tp_{}", p.as_str())
}

fn provider_name(p: Provider) -> &'static str {
    match p {
        Provider::Twilio => "Twilio",
        Provider::Plivo => "Plivo",
        Provider::Telnyx => "Telnyx",
        Provider::SipTrunk => "SIP trunk",
    }
}

fn four_decimals(m: Money) -> String {
    let micros = m.micros();
    format!("{}.{:04}", micros / 1_000_000, (micros % 1_000_000) / 100)
}

/// Monthly rental prices, in the official spec's `PhoneNumberPricing` shape.
#[utoipa::path(
    get,
    path = "/v1/phone-number-pricing",
    tag = "catalog",
    params(
        ("country_iso" = Option<String>, Query, description = "ISO 3166 country (aliases `countryISO`, `country_code`)."),
        ("provider" = Option<String>, Query, description = "`twilio`, `plivo` or `tp_twilio` (alias `telephony_provider_id`)."),
        ("type" = Option<String>, Query, description = "`local`, `mobile` or `toll_free`."),
    ),
    responses(
        (status = 200, description = "Prices.", body = Vec<PricingView>),
        (status = 400, description = "An invalid query parameter.", body = ErrorBody),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn pricing(
    State(state): State<AppState>,
    Authenticated(_caller): Authenticated,
    ApiQuery(q): ApiQuery<PriceQuery>,
) -> ApiResult<Json<Vec<PricingView>>> {
    let rows = state.services.pricing(&q.parse()?).await?;
    Ok(Json(
        rows.into_iter()
            .map(|p| PricingView {
                telephony_provider_id: provider_id(p.provider),
                provider: p.provider,
                country_iso: p.country.to_string(),
                country_name: state.services.country_name(p.country),
                number_type: p.number_type,
                monthly_cost_usd: p.monthly_cost,
                credit_cost: four_decimals(p.monthly_cost),
                currency: "USD",
                telephony_provider: ProviderView {
                    id: provider_id(p.provider),
                    name: provider_name(p.provider),
                    provider: p.provider,
                },
            })
            .collect(),
    ))
}

/// The spec's `PhoneCountryRule`, plus the minimum and every possible length.
#[derive(Debug, Serialize, ToSchema)]
struct CountryRuleView {
    id: String,
    country_iso: String,
    country_name: String,
    calling_code: String,
    max_length: u16,
    min_length: u16,
    national_number_lengths: Vec<u16>,
    prefixes: Vec<String>,
    is_deleted: bool,
}

impl From<&CountryRule> for CountryRuleView {
    fn from(r: &CountryRule) -> Self {
        CountryRuleView {
            id: r.id.clone(),
            country_iso: r.country.to_string(),
            country_name: r.name.clone(),
            calling_code: r.calling_code.to_string(),
            max_length: r.max_length,
            min_length: r.min_length,
            national_number_lengths: r.lengths.clone(),
            prefixes: r.prefixes.clone(),
            is_deleted: false,
        }
    }
}

/// Every country's numbering rules, from libphonenumber.
#[utoipa::path(
    get,
    path = "/v1/phone-country-rules/countries",
    tag = "catalog",
    responses(
        (status = 200, description = "Country rules.", body = Vec<CountryRuleView>),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn countries(
    State(state): State<AppState>,
    Authenticated(_caller): Authenticated,
) -> ApiResult<Json<Vec<CountryRuleView>>> {
    Ok(Json(
        state
            .services
            .country_rules()
            .iter()
            .map(Into::into)
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
struct GroupRuleView {
    country_iso: String,
    country_name: String,
    calling_code: String,
    prefixes: Vec<String>,
}

/// The spec's `EnabledTelephonyNetworkGroup`.
#[derive(Debug, Serialize, ToSchema)]
struct NetworkGroupView {
    id: String,
    #[schema(value_type = String, example = "allow_only_listed")]
    prefix_mode: &'static str,
    from_phone_number_country_code: Option<String>,
    #[serde(rename = "countryRule")]
    country_rule: GroupRuleView,
}

/// The rules of the workspace's enabled countries.
#[utoipa::path(
    get,
    path = "/v1/phone-country-rules/enabled-network-groups",
    tag = "catalog",
    responses(
        (status = 200, description = "Network groups.", body = Vec<NetworkGroupView>),
        (status = 401, description = "Missing or unknown API key.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn enabled_network_groups(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
) -> ApiResult<Json<Vec<NetworkGroupView>>> {
    let rules = state.services.enabled_country_rules(&caller).await?;
    Ok(Json(
        rules
            .into_iter()
            .map(|r| NetworkGroupView {
                id: r.id,
                prefix_mode: "allow_only_listed",
                from_phone_number_country_code: None,
                country_rule: GroupRuleView {
                    country_iso: r.country.to_string(),
                    country_name: r.name,
                    calling_code: r.calling_code.to_string(),
                    prefixes: r.prefixes,
                },
            })
            .collect(),
    ))
}
