//! Reference data in the official spec's shapes (plain arrays): rental pricing, the country
//! rules built from libphonenumber, and the rules of the workspace's enabled countries.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Authenticated};
use crate::views::{parse_country, parse_provider, parse_type};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use dialnexa_domain::{Money, NumberType, Provider};
use dialnexa_service::catalog::{CountryRule, PriceFilter};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/phone-number-pricing", get(pricing))
        .route("/v1/phone-country-rules/countries", get(countries))
        .route(
            "/v1/phone-country-rules/enabled-network-groups",
            get(enabled_network_groups),
        )
}

#[derive(Debug, Deserialize)]
struct PricingQuery {
    #[serde(alias = "countryISO", alias = "country_code")]
    country_iso: Option<String>,
    #[serde(alias = "telephony_provider_id")]
    provider: Option<String>,
    #[serde(rename = "type")]
    number_type: Option<String>,
}

#[derive(Debug, Serialize)]
struct ProviderView {
    id: String,
    name: &'static str,
    provider: Provider,
}

/// The spec's `PhoneNumberPricing`, plus our `provider`, `type` and `monthly_cost_usd`.
#[derive(Debug, Serialize)]
struct PricingView {
    telephony_provider_id: String,
    provider: Provider,
    country_iso: String,
    country_name: String,
    #[serde(rename = "type")]
    number_type: NumberType,
    monthly_cost_usd: Money,
    /// The spec's field: the same monthly rental, in USD, with four decimals.
    credit_cost: String,
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
        Provider::SipTrunk => "SIP trunk",
    }
}

fn four_decimals(m: Money) -> String {
    let micros = m.micros();
    format!("{}.{:04}", micros / 1_000_000, (micros % 1_000_000) / 100)
}

async fn pricing(
    State(state): State<AppState>,
    Authenticated(_caller): Authenticated,
    ApiQuery(q): ApiQuery<PricingQuery>,
) -> ApiResult<Json<Vec<PricingView>>> {
    let nonempty = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let filter = PriceFilter {
        country: nonempty(&q.country_iso)
            .map(|c| parse_country("country_iso", &c))
            .transpose()?,
        provider: nonempty(&q.provider)
            .map(|p| parse_provider("provider", p.trim_start_matches("tp_")))
            .transpose()?,
        number_type: nonempty(&q.number_type)
            .map(|t| parse_type("type", &t))
            .transpose()?,
    };
    let rows = state.services.pricing(&filter).await?;
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
#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize)]
struct GroupRuleView {
    country_iso: String,
    country_name: String,
    calling_code: String,
    prefixes: Vec<String>,
}

/// The spec's `EnabledTelephonyNetworkGroup`.
#[derive(Debug, Serialize)]
struct NetworkGroupView {
    id: String,
    prefix_mode: &'static str,
    from_phone_number_country_code: Option<String>,
    #[serde(rename = "countryRule")]
    country_rule: GroupRuleView,
}

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
