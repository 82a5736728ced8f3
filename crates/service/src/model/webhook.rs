//! User webhooks as the service hands them out: the endpoint (never its secret) and its
//! deliveries with their attempts.

use dialnexa_domain::{WebhookId, WebhookMessageId};
use jiff::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: WebhookId,
    pub url: String,
    /// The subscribed event names, or `["*"]`.
    pub events: Vec<String>,
    pub is_active: bool,
    /// Why the platform turned the endpoint off (`webhook.disabled: …`), if it did.
    pub disabled_note: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One message to an endpoint: one event, every attempt at it with the same `webhook-id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub id: WebhookMessageId,
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: Vec<DeliveryAttempt>,
    /// When the next attempt is due, while the message is pending.
    pub next_retry_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub attempt: u32,
    pub at: Timestamp,
    /// The receiver's status code; `None` when it gave none (timeout, connection error).
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
}
