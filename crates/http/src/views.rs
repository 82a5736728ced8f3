//! What resources look like on the wire: the phone-number record, its SIP trunk, and lists.

use dialnexa_domain::{Capabilities, Money, NumberType, Provider, format_time};
use dialnexa_service::{PhoneNumber, SipTrunk};
use serde::Serialize;
use utoipa::ToSchema;

/// The phone-number record: the union of the seed's two examples, plus renewal and routing.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneNumberView {
    #[schema(example = "phn_01kdz3f4w7x2kx5mb9qz")]
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
    pub sip_trunk: Option<SipTrunkView>,
}

impl From<&PhoneNumber> for PhoneNumberView {
    fn from(r: &PhoneNumber) -> Self {
        let inbound = r.inbound_agent_id.as_ref().map(|a| a.to_string());
        PhoneNumberView {
            id: r.id.to_string(),
            phone_number: r.phone_number.to_string(),
            country_code: r.phone_number.country().to_string(),
            number_type: r.number_type,
            capabilities: r.capabilities,
            monthly_cost_usd: r.monthly_cost,
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
            next_renewal_at: r.next_renewal_at.map(format_time),
            sip_trunk: r.sip_trunk.as_ref().map(Into::into),
        }
    }
}

/// A trunk as the API shows it: never the password.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SipTrunkView {
    #[schema(example = "pbx.example.com:5060")]
    termination_uri: String,
    /// `userpass` or `ip`.
    #[schema(value_type = String, example = "userpass")]
    auth_mode: &'static str,
    username: Option<String>,
    /// Whether a password is stored (sealed); the password itself is never returned.
    password_set: bool,
}

impl From<&SipTrunk> for SipTrunkView {
    fn from(t: &SipTrunk) -> Self {
        SipTrunkView {
            termination_uri: t.termination_uri.clone(),
            auth_mode: t.auth_mode.as_str(),
            username: t.username.clone(),
            password_set: t.password_set,
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
