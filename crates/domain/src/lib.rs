//! Pure types and rules of DialNexa Numbers: no I/O, no clocks, no randomness beyond id
//! generation, so every rule here is unit-testable on its own.

pub mod billing;
pub mod ids;
pub mod keypad;
pub mod money;
pub mod net;
pub mod number_kind;
pub mod phone;
pub mod phone_error;
pub mod provider;
pub mod regulatory;
pub mod status;

pub use billing::{BillingPeriod, period_start};
pub use ids::{
    AgentId, ApiKeyId, AuditEventId, ChargeId, EventId, OrderId, PhoneNumberId, ReservationId,
    WebhookId, WebhookMessageId, WorkspaceId,
};
pub use keypad::keypad_pattern;
pub use money::Money;
pub use number_kind::{Capabilities, Capability, NumberType};
pub use phone::{CountryIso, E164};
pub use phone_error::PhoneError;
pub use provider::Provider;
pub use regulatory::{KycStatus, RegulatoryPolicy};
pub use status::NumberStatus;

/// Time on the wire and in storage: RFC 3339 UTC with milliseconds.
pub fn format_time(ts: jiff::Timestamp) -> String {
    format!("{ts:.3}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_have_milliseconds_and_z() {
        let ts: jiff::Timestamp = "2024-01-15T07:00:00Z".parse().unwrap();
        assert_eq!(super::format_time(ts), "2024-01-15T07:00:00.000Z");
    }
}
