//! What resources look like on the wire, and parsing of wire values into domain types with
//! the error envelope's codes.

use crate::error::ApiError;
use dialnexa_domain::{Capabilities, CountryIso, E164, Money, NumberType, Provider, format_time};
use dialnexa_service::Services;
use dialnexa_store::PhoneNumberRecord;
use serde::Serialize;
use utoipa::ToSchema;

/// The phone-number record: the union of the seed's two examples, plus renewal and routing.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneNumberView {
    #[schema(example = "phn_f7w2kx5mb9qz")]
    pub id: String,
    #[schema(example = "+14155550123")]
    pub phone_number: String,
    #[schema(example = "US")]
    pub country_code: String,
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "local")]
    pub number_type: NumberType,
    #[schema(value_type = Vec<String>, example = json!(["voice", "sms"]))]
    pub capabilities: Capabilities,
    #[schema(value_type = String, example = "1.15")]
    pub monthly_cost_usd: Money,
    pub label: Option<String>,
    pub nickname: Option<String>,
    pub agent_id: Option<String>,
    pub inbound_agent_id: Option<String>,
    pub outbound_agent_id: Option<String>,
    #[schema(value_type = String, example = "active")]
    pub status: &'static str,
    #[schema(value_type = String, example = "twilio")]
    pub provider: Provider,
    pub sip_trunk_enabled: bool,
    #[schema(example = "2026-11-27T08:00:00.000Z")]
    pub created_at: String,
    pub updated_at: String,
    pub released_at: Option<String>,
    pub next_renewal_at: Option<String>,
    /// Bring-your-own numbers only: where calls go, never the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sip_trunk: Option<crate::routes::sip_trunks::SipTrunkView>,
}

impl PhoneNumberView {
    pub fn new(services: &Services, r: &PhoneNumberRecord) -> Self {
        let inbound = r.inbound_agent_id.as_ref().map(|a| a.to_string());
        PhoneNumberView {
            id: r.id.to_string(),
            phone_number: r.phone_number.to_string(),
            country_code: r.phone_number.country().to_string(),
            number_type: r.number_type,
            capabilities: r.capabilities,
            monthly_cost_usd: if r.provider.is_carrier() {
                r.monthly_cost
            } else {
                Money::ZERO
            },
            label: r.label.clone(),
            nickname: r.nickname.clone(),
            agent_id: inbound.clone(),
            inbound_agent_id: inbound,
            outbound_agent_id: r.outbound_agent_id.as_ref().map(|a| a.to_string()),
            status: r.status.as_str(),
            provider: r.provider,
            sip_trunk_enabled: r.provider == Provider::SipTrunk,
            created_at: format_time(r.created_at),
            updated_at: format_time(r.updated_at),
            released_at: r.released_at.map(format_time),
            next_renewal_at: services.next_renewal(r).map(format_time),
            sip_trunk: None,
        }
    }
}

/// `{items, total, page, limit}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListView<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub limit: u32,
}

pub fn parse_e164(field: &str, raw: Option<&str>) -> Result<E164, ApiError> {
    let raw = raw.ok_or_else(|| {
        ApiError::bad_request(
            "missing_field",
            format!("{field} is required, in E.164 format, e.g. +912234567890"),
        )
    })?;
    E164::parse(raw.trim())
        .map_err(|e| ApiError::bad_request("invalid_phone_number", format!("{field}: {e}")))
}

pub fn parse_country(field: &str, raw: &str) -> Result<CountryIso, ApiError> {
    CountryIso::parse(raw.trim())
        .map_err(|e| ApiError::bad_request("invalid_country", format!("{field}: {e}")))
}

pub fn parse_type(field: &str, raw: &str) -> Result<NumberType, ApiError> {
    raw.parse().map_err(|e: dialnexa_domain::PhoneError| {
        ApiError::bad_request("invalid_type", format!("{field}: {e}"))
    })
}

/// Accepts `twilio`, `plivo`, and the spec's provider ids such as `plivo_123456`.
pub fn parse_provider(field: &str, raw: &str) -> Result<Provider, ApiError> {
    let raw = raw.trim();
    let name = match raw.split_once('_') {
        Some((head, _))
            if head.eq_ignore_ascii_case("twilio") || head.eq_ignore_ascii_case("plivo") =>
        {
            head
        }
        _ => raw,
    };
    name.parse()
        .map_err(|e: dialnexa_domain::provider::UnknownProvider| {
            ApiError::bad_request("invalid_provider", format!("{field}: {e}"))
        })
}

pub fn parse_capabilities(field: &str, raw: &str) -> Result<Capabilities, ApiError> {
    Capabilities::parse_csv(raw)
        .map_err(|e| ApiError::bad_request("invalid_capabilities", format!("{field}: {e}")))
}
