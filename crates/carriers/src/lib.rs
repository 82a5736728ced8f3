//! What the service needs from a carrier, behind one trait, and the adapters that speak each
//! carrier's own wire format (Twilio, Plivo, Telnyx). Adapters classify every failure so the purchase saga can decide
//! between "refused", "retry" and "we do not know whether it happened".

mod classify;
pub mod plivo;
pub mod telnyx;
mod transport;
pub mod twilio;

use async_trait::async_trait;
use dialnexa_domain::{Capabilities, CountryIso, E164, Money, NumberType, Provider};
use std::time::Duration;

pub use plivo::{PlivoCarrier, PlivoConfig};
pub use telnyx::{TelnyxCarrier, TelnyxConfig};
pub use twilio::{TwilioCarrier, TwilioConfig};

/// An adapter could not be built from its configuration (bad base URL, header, TLS setup).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid carrier configuration: {0}")]
pub struct ConfigError(pub String);

/// What to look for in a carrier's inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub country: CountryIso,
    pub number_type: NumberType,
    /// Area code / national destination code, digits only.
    pub area_code: Option<String>,
    /// Twilio-style pattern: digits and `*` for any one digit (letters already mapped to digits).
    pub contains: Option<String>,
    /// State or region, e.g. "CA".
    pub region: Option<String>,
    /// Every capability listed here must be present.
    pub capabilities: Capabilities,
    /// At most this many results (1..=100).
    pub limit: u32,
}

/// A number a carrier offers for sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailableNumber {
    pub phone_number: E164,
    pub number_type: NumberType,
    pub capabilities: Capabilities,
    pub region: Option<String>,
    pub locality: Option<String>,
    /// The carrier's own monthly price, when it publishes one in search results (Plivo does).
    pub carrier_monthly_cost: Option<Money>,
}

/// A number our carrier account owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedNumber {
    pub phone_number: E164,
    /// The carrier's own handle for the number: a Twilio `PN…` sid, or the digits for Plivo.
    pub carrier_ref: String,
    pub friendly_name: Option<String>,
}

/// Changes to an owned number's configuration at the carrier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberUpdate {
    /// Twilio `FriendlyName`, Plivo `alias`.
    pub friendly_name: Option<String>,
    /// Twilio `VoiceUrl`; ignored by carriers that route through applications.
    pub voice_url: Option<String>,
}

/// Numbers a carrier holds for our account, so nobody else can buy them until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// The carrier's handle for the hold.
    pub id: String,
    /// The numbers held for us.
    pub held: Vec<E164>,
    /// The numbers the carrier would not hold, each with its reason.
    pub refused: Vec<(E164, String)>,
    /// When the earliest hold runs out: the carrier may hold for less than asked.
    pub expires_at: jiff::Timestamp,
}

/// How a carrier call failed, in the terms the purchase saga needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarrierError {
    /// The carrier will not sell this number: taken by someone else, or not in its inventory.
    #[error("the carrier does not offer this number")]
    NotAvailable,
    /// The number (or resource) is not owned by our account.
    #[error("the carrier does not know this number on our account")]
    NotFound,
    /// The carrier refused the request for a reason a retry will not change.
    #[error("the carrier rejected the request: {0}")]
    Rejected(String),
    /// Our credentials were refused.
    #[error("the carrier refused our credentials")]
    Unauthorized,
    /// The request certainly did not take effect (refused connection, 429, 5xx before any
    /// side effect); safe to retry.
    #[error("the carrier is temporarily unavailable: {0}")]
    Transient(String),
    /// The request may or may not have taken effect (timeout or reset after sending).
    #[error("the carrier's answer was lost; the request may have been applied: {0}")]
    UnknownOutcome(String),
}

/// One carrier account, as the service uses it.
#[async_trait]
pub trait Carrier: Send + Sync + 'static {
    fn provider(&self) -> Provider;

    async fn search(&self, query: &SearchQuery) -> Result<Vec<AvailableNumber>, CarrierError>;

    /// Buy exactly this number for our account.
    async fn buy(&self, number: &E164) -> Result<OwnedNumber, CarrierError>;

    /// Our account's record of this number, or `None` when we do not own it.
    async fn fetch_owned(&self, number: &E164) -> Result<Option<OwnedNumber>, CarrierError>;

    /// Every number our account owns (all pages).
    async fn list_owned(&self) -> Result<Vec<OwnedNumber>, CarrierError>;

    async fn update(&self, owned: &OwnedNumber, update: &NumberUpdate) -> Result<(), CarrierError>;

    /// Give the number back. `Err(NotFound)` when the carrier no longer has it on our account.
    async fn release(&self, owned: &OwnedNumber) -> Result<(), CarrierError>;

    /// A cheap authenticated read, for readiness checks: `Ok` when the carrier answers and
    /// accepts our credentials. Adapters for real carriers override it; the default is for
    /// test doubles with nothing to reach.
    async fn ping(&self) -> Result<(), CarrierError> {
        Ok(())
    }

    /// Whether [`Carrier::reserve`] holds numbers at this carrier. Where it does not, a
    /// reservation can only be the service's own.
    fn can_reserve(&self) -> bool {
        false
    }

    /// Holds `numbers` for our account for at most `ttl`, so no other buyer takes them
    /// meanwhile; numbers it cannot hold are listed as refused, not failed.
    async fn reserve(&self, numbers: &[E164], ttl: Duration) -> Result<Reservation, CarrierError> {
        let _ = (numbers, ttl);
        Err(CarrierError::Rejected(format!(
            "{} does not hold numbers for a buyer",
            self.provider()
        )))
    }
}
