//! A phone number as the front-ends see it: the workspace's record (with its next renewal
//! worked out, and never a secret), its SIP trunk, and numbers on offer.

use dialnexa_domain::{
    AgentId, BillingPeriod, Capabilities, E164, Money, NumberStatus, NumberType, PhoneNumberId,
    Provider,
};
use jiff::Timestamp;

/// One of the workspace's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber {
    pub id: PhoneNumberId,
    pub phone_number: E164,
    pub number_type: NumberType,
    pub capabilities: Capabilities,
    /// The monthly rental; zero for a number on the workspace's own SIP trunk.
    pub monthly_cost: Money,
    pub provider: Provider,
    pub status: NumberStatus,
    pub label: Option<String>,
    pub nickname: Option<String>,
    pub inbound_agent_id: Option<AgentId>,
    pub outbound_agent_id: Option<AgentId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub activated_at: Option<Timestamp>,
    pub released_at: Option<Timestamp>,
    /// When the next rental period begins: active carrier numbers only.
    pub next_renewal_at: Option<Timestamp>,
    /// The trunk of a bring-your-own number. Filled when one number is read, updated or
    /// linked; lists and the purchase and release answers leave it out.
    pub sip_trunk: Option<SipTrunk>,
}

impl PhoneNumber {
    /// The record as of `now` (which decides the next renewal).
    pub(crate) fn new(r: dialnexa_store::PhoneNumberRecord, now: Timestamp) -> Self {
        let next_renewal_at = match (r.status, r.provider.is_carrier(), r.activated_at) {
            (NumberStatus::Active, true, Some(bought)) => {
                BillingPeriod::next_renewal(bought, now, r.released_at)
            }
            _ => None,
        };
        PhoneNumber {
            monthly_cost: if r.provider.is_carrier() {
                r.monthly_cost
            } else {
                Money::ZERO
            },
            id: r.id,
            phone_number: r.phone_number,
            number_type: r.number_type,
            capabilities: r.capabilities,
            provider: r.provider,
            status: r.status,
            label: r.label,
            nickname: r.nickname,
            inbound_agent_id: r.inbound_agent_id,
            outbound_agent_id: r.outbound_agent_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
            activated_at: r.activated_at,
            released_at: r.released_at,
            next_renewal_at,
            sip_trunk: None,
        }
    }

    /// The end of the period paid for: the next renewal while the number is held, otherwise
    /// the end of the last period `charges` (its charges, when the caller read them) covered.
    pub fn paid_until(&self, charges: &[super::Charge]) -> Option<Timestamp> {
        self.next_renewal_at
            .or_else(|| charges.iter().map(|c| c.period_end).max())
    }
}

/// How a SIP trunk authenticates our calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SipAuthMode {
    UserPass,
    Ip,
}

impl SipAuthMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SipAuthMode::UserPass => "userpass",
            SipAuthMode::Ip => "ip",
        }
    }

    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "userpass" => Ok(SipAuthMode::UserPass),
            "ip" => Ok(SipAuthMode::Ip),
            other => Err(format!("`{other}` is not an auth mode: use userpass or ip")),
        }
    }
}

impl From<SipAuthMode> for dialnexa_store::SipAuthMode {
    fn from(m: SipAuthMode) -> Self {
        match m {
            SipAuthMode::UserPass => dialnexa_store::SipAuthMode::UserPass,
            SipAuthMode::Ip => dialnexa_store::SipAuthMode::Ip,
        }
    }
}

impl From<dialnexa_store::SipAuthMode> for SipAuthMode {
    fn from(m: dialnexa_store::SipAuthMode) -> Self {
        match m {
            dialnexa_store::SipAuthMode::UserPass => SipAuthMode::UserPass,
            dialnexa_store::SipAuthMode::Ip => SipAuthMode::Ip,
        }
    }
}

/// Where a bring-your-own number's calls go: never the password, only whether one is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipTrunk {
    pub termination_uri: String,
    pub auth_mode: SipAuthMode,
    pub username: Option<String>,
    pub password_set: bool,
}

impl From<dialnexa_store::SipTrunkRecord> for SipTrunk {
    fn from(t: dialnexa_store::SipTrunkRecord) -> Self {
        SipTrunk {
            termination_uri: t.termination_uri,
            auth_mode: t.auth_mode.into(),
            username: t.username,
            password_set: t.password_encrypted.is_some(),
        }
    }
}

/// A number a carrier offers, priced, with what would stop this workspace from buying it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailableNumber {
    pub phone_number: E164,
    pub number_type: NumberType,
    pub capabilities: Capabilities,
    pub region: Option<String>,
    pub locality: Option<String>,
    pub provider: Provider,
    /// Our price, or the carrier's own when our table has none.
    pub monthly_cost: Option<Money>,
    /// `None` when this workspace can buy the number now.
    pub blocked_by: Option<crate::quote::Ineligible>,
}
