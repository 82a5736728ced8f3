//! The events a user webhook receives, as the OpenAPI document's `webhooks` (OpenAPI 3.1):
//! one entry per event with its payload's schema. utoipa has no `webhooks` of its own, so the
//! entries are added to the generated document here, from the service's list of events.

use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

/// Every delivery's body. Signed per Standard Webhooks: `webhook-id` (the same on every retry
/// of one message), `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
/// "id.timestamp.body">`.
#[derive(Serialize, ToSchema)]
pub(crate) struct WebhookEvent {
    /// The event's name.
    #[schema(example = "phone_number.purchased")]
    r#type: String,
    /// When the change happened (RFC 3339, milliseconds).
    timestamp: String,
    /// The event's data; its schema depends on `type`.
    #[schema(value_type = Object)]
    data: Value,
}

/// A number in an event, as `GET /v1/organization-phone-numbers/{id}` shows it (without the
/// SIP trunk's details).
#[derive(Serialize, ToSchema)]
pub(crate) struct NumberEventData {
    #[schema(example = "phn_01kdz3f4w7x2kx5mb9qz")]
    id: String,
    #[schema(example = "+14155552671")]
    phone_number: String,
    #[schema(example = "US")]
    country_code: String,
    #[schema(example = "local")]
    r#type: String,
    /// `pending`, `active`, `failed` or `released`.
    #[schema(example = "active")]
    status: String,
    #[schema(example = "twilio")]
    provider: String,
    #[schema(example = json!(["voice", "sms"]))]
    capabilities: Vec<String>,
    #[schema(example = "1.15")]
    monthly_cost_usd: String,
    nickname: Option<String>,
    label: Option<String>,
    agent_id: Option<String>,
    inbound_agent_id: Option<String>,
    outbound_agent_id: Option<String>,
    sip_trunk_enabled: bool,
    created_at: String,
    updated_at: String,
    released_at: Option<String>,
    next_renewal_at: Option<String>,
    /// `phone_number.purchase_failed` only: why.
    failure_reason: Option<String>,
}

/// `phone_number.renewed`: the rental charge of a new period.
#[derive(Serialize, ToSchema)]
pub(crate) struct ChargeEventData {
    #[schema(example = "chg_01kdz3f4w7x2kx5mb9qz")]
    id: String,
    phone_number_id: String,
    period_index: u32,
    period_start: String,
    period_end: String,
    #[schema(example = "1.15")]
    amount_usd: String,
}

/// `sip_trunk.linked`: a number brought over the workspace's own SIP trunk (no secrets).
#[derive(Serialize, ToSchema)]
pub(crate) struct SipTrunkEventData {
    id: String,
    phone_number: String,
    #[schema(example = "trunk.example.com:5060")]
    termination_uri: String,
    /// `ip` or `credentials`.
    auth_mode: String,
}

/// `reconcile.drift`: reconciliation found a number whose carrier record disagrees with ours.
#[derive(Serialize, ToSchema)]
pub(crate) struct DriftEventData {
    /// `ghost` (active here, gone at the carrier) or `mismatch` (another carrier handle).
    #[schema(example = "ghost")]
    kind: String,
    id: String,
    phone_number: String,
    provider: String,
    /// `mismatch` only: the carrier's handle.
    carrier_ref: Option<String>,
}

/// `webhook.test`: sent by `POST /v1/user-webhooks/{id}/test`.
#[derive(Serialize, ToSchema)]
pub(crate) struct TestEventData {
    webhook_id: String,
    event_id: String,
}

const EVENTS: &[(&str, &str, &str)] = &[
    (
        "phone_number.purchased",
        "NumberEventData",
        "A number was bought and is active.",
    ),
    (
        "phone_number.purchase_pending",
        "NumberEventData",
        "A purchase's outcome is not known yet; a later event settles it.",
    ),
    (
        "phone_number.purchase_failed",
        "NumberEventData",
        "A purchase failed and holds nothing.",
    ),
    (
        "phone_number.updated",
        "NumberEventData",
        "A number's nickname, label or routing changed.",
    ),
    (
        "phone_number.released",
        "NumberEventData",
        "A number was released.",
    ),
    (
        "phone_number.renewed",
        "ChargeEventData",
        "A rental period was charged.",
    ),
    (
        "sip_trunk.linked",
        "SipTrunkEventData",
        "A number was brought over the workspace's SIP trunk.",
    ),
    (
        "reconcile.drift",
        "DriftEventData",
        "Reconciliation found a number that differs from the carrier (once a day per number).",
    ),
    (
        "webhook.test",
        "TestEventData",
        "A test event asked for with POST /v1/user-webhooks/{id}/test.",
    ),
];

/// Adds `webhooks` to `doc`, one per event.
pub(crate) fn add(doc: &mut Value) {
    let mut hooks = serde_json::Map::new();
    for (name, data, summary) in EVENTS {
        let schema = json!({
            "allOf": [
                { "$ref": "#/components/schemas/WebhookEvent" },
                { "type": "object", "properties": {
                    "type": { "type": "string", "enum": [name] },
                    "data": { "$ref": format!("#/components/schemas/{data}") },
                } },
            ]
        });
        let headers = ["webhook-id", "webhook-timestamp", "webhook-signature"]
            .map(|h| json!({ "name": h, "in": "header", "required": true, "schema": { "type": "string" } }));
        hooks.insert(
            (*name).to_owned(),
            json!({ "post": {
                "operationId": format!("webhook_{}", name.replace('.', "_")),
                "summary": summary,
                "tags": ["webhooks"],
                "parameters": headers,
                "requestBody": { "required": true, "content": { "application/json": { "schema": schema } } },
                "responses": { "200": { "description": "Any 2xx answer acknowledges the event; anything else, a timeout (10 s) or no connection is retried." } },
            } }),
        );
    }
    doc["webhooks"] = Value::Object(hooks);
}
