//! The rows the store reads and writes, as domain-typed records.

use dialnexa_domain::{
    AgentId, ApiKeyId, Capabilities, ChargeId, CountryIso, E164, EventId, KycStatus, Money,
    NumberStatus, NumberType, PhoneNumberId, Provider, WorkspaceId,
};
use jiff::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub default_provider: Provider,
    pub enabled_countries: Vec<CountryIso>,
    pub default_phone_number_id: Option<PhoneNumberId>,
    pub created_at: Timestamp,
}

impl Workspace {
    pub fn country_enabled(&self, country: CountryIso) -> bool {
        self.enabled_countries.contains(&country)
    }
}

#[derive(Debug, Clone)]
pub struct NewWorkspace {
    pub id: WorkspaceId,
    pub name: String,
    pub default_provider: Provider,
    pub enabled_countries: Vec<CountryIso>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: ApiKeyId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    /// SHA-256 of the secret, hex: the secret itself is never stored.
    pub key_hash: String,
    /// The first characters of the secret, to tell keys apart in a list.
    pub key_prefix: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub key_prefix: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KycRecord {
    pub country: CountryIso,
    pub status: KycStatus,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRow {
    pub provider: Provider,
    pub country: CountryIso,
    pub number_type: NumberType,
    pub monthly_cost: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub phone_number: E164,
    pub provider: Provider,
    pub capabilities: Capabilities,
    pub seen_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumberRecord {
    pub id: PhoneNumberId,
    pub workspace_id: WorkspaceId,
    pub phone_number: E164,
    pub number_type: NumberType,
    pub capabilities: Capabilities,
    pub monthly_cost: Money,
    pub provider: Provider,
    pub status: NumberStatus,
    pub carrier_ref: Option<String>,
    pub label: Option<String>,
    pub nickname: Option<String>,
    pub inbound_agent_id: Option<AgentId>,
    pub outbound_agent_id: Option<AgentId>,
    pub failure_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub activated_at: Option<Timestamp>,
    pub released_at: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct NewNumber {
    pub id: PhoneNumberId,
    pub workspace_id: WorkspaceId,
    pub phone_number: E164,
    pub number_type: NumberType,
    pub capabilities: Capabilities,
    pub monthly_cost: Money,
    pub provider: Provider,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct NumberFilter {
    /// `None`: pending and active rows (what a user owns or is buying).
    pub status: Option<NumberStatus>,
    pub country: Option<CountryIso>,
    pub number_type: Option<NumberType>,
    pub provider: Option<Provider>,
    pub agent_id: Option<AgentId>,
    /// Matches the number, nickname or label.
    pub q: Option<String>,
}

/// A validated page request: `page` from 1, `limit` 1..=100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Page {
    pub page: u32,
    pub limit: u32,
}

impl Page {
    pub fn offset(self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.limit)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub id: ChargeId,
    pub workspace_id: WorkspaceId,
    pub phone_number_id: PhoneNumberId,
    pub period_index: u32,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    pub amount: Money,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewCharge {
    pub id: ChargeId,
    pub period_index: u32,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    pub amount: Money,
}

#[derive(Debug, Clone, Default)]
pub struct ChargeFilter {
    pub phone_number_id: Option<PhoneNumberId>,
    pub period_from: Option<Timestamp>,
    pub period_to: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: EventId,
    pub event_type: String,
    pub payload: serde_json::Value,
}

/// The payload of a [`NumberEvent`], made from the row as the change leaves it.
pub type NumberPayload =
    std::sync::Arc<dyn Fn(&PhoneNumberRecord) -> serde_json::Value + Send + Sync>;

/// An outbox event of a change whose resulting row is known only once it is written (a partial
/// update): the store makes its payload from that row inside the change's transaction. An `Arc`
/// because SQLite runs the write on its writer thread.
#[derive(Clone)]
pub struct NumberEvent {
    pub id: EventId,
    pub event_type: String,
    pub payload: NumberPayload,
}

impl NumberEvent {
    /// The event to write for `row`.
    pub fn for_row(&self, row: &PhoneNumberRecord) -> NewEvent {
        NewEvent {
            id: self.id.clone(),
            event_type: self.event_type.clone(),
            payload: (self.payload)(row),
        }
    }
}

impl std::fmt::Debug for NumberEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NumberEvent")
            .field("id", &self.id)
            .field("event_type", &self.event_type)
            .finish_non_exhaustive()
    }
}

/// A number whose next rental period is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalDue {
    pub phone_number_id: PhoneNumberId,
    pub workspace_id: WorkspaceId,
    pub activated_at: Timestamp,
    pub next_period_index: u32,
    pub next_period_start: Timestamp,
    pub released_at: Option<Timestamp>,
    pub amount: Money,
}

/// Which way a number serves an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub(crate) fn column(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound_agent_id",
            Direction::Outbound => "outbound_agent_id",
        }
    }
}

/// A partial update of a number: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberChanges {
    pub nickname: Option<Option<String>>,
    pub label: Option<Option<String>>,
    pub inbound_agent_id: Option<Option<AgentId>>,
    pub outbound_agent_id: Option<Option<AgentId>>,
}

impl NumberChanges {
    pub fn is_empty(&self) -> bool {
        self == &NumberChanges::default()
    }
}

/// Why a number update or binding did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateRefused {
    /// No such number in this workspace.
    NumberNotFound,
    /// The number is released (or failed): it no longer routes anything.
    NumberNotLive(NumberStatus),
    /// No such agent in this workspace.
    AgentNotFound(AgentId),
}

/// Why the workspace default could not be set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultRefused {
    NumberNotFound,
    NumberNotActive(NumberStatus),
}

/// The outcome of claiming a number for release (step one of the release saga).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseClaim {
    /// The intent is saved; the caller now releases it at the carrier.
    Claimed(Box<PhoneNumberRecord>),
    NotFound,
    /// It is the workspace's default number.
    IsDefault,
    /// Not active (pending, failed or released).
    NotActive(NumberStatus),
    /// Another request is releasing it right now.
    InProgress,
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
}

impl std::str::FromStr for SipAuthMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "userpass" => Ok(SipAuthMode::UserPass),
            "ip" => Ok(SipAuthMode::Ip),
            other => Err(format!("`{other}` is not an auth mode: use userpass or ip")),
        }
    }
}

/// A bring-your-own number's trunk. The password is ciphertext; only the service's cipher
/// can open it.
#[derive(Clone, PartialEq, Eq)]
pub struct SipTrunkRecord {
    pub phone_number_id: PhoneNumberId,
    pub workspace_id: WorkspaceId,
    pub termination_uri: String,
    pub auth_mode: SipAuthMode,
    pub username: Option<String>,
    pub password_encrypted: Option<String>,
    pub created_at: Timestamp,
}

impl std::fmt::Debug for SipTrunkRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipTrunkRecord")
            .field("phone_number_id", &self.phone_number_id)
            .field("termination_uri", &self.termination_uri)
            .field("auth_mode", &self.auth_mode)
            .field("username", &self.username)
            .field(
                "password_encrypted",
                &self.password_encrypted.as_ref().map(|_| "<sealed>"),
            )
            .finish()
    }
}

/// A dashboard session to keep: the hash of its random id, never the id itself.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id_hash: String,
    pub workspace_id: WorkspaceId,
    /// The key it was opened with: revoking that key ends the session.
    pub api_key_id: ApiKeyId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A live dashboard session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub workspace_id: WorkspaceId,
    pub api_key_id: ApiKeyId,
    pub expires_at: Timestamp,
}
