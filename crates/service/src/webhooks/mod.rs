//! User webhooks (`/v1/user-webhooks`): endpoints a workspace registers to hear of its numbers'
//! events, signed per Standard Webhooks (`sign`), aimed only at public hosts (`target`), and
//! delivered at least once from the outbox by the worker (`deliver`).

pub mod deliver;
mod emit;
pub mod sign;
mod target;

pub(crate) use emit::{number_data, updated_event};

use crate::audit::{AuditEntry, actions};
use crate::cipher::Cipher;
use crate::model::{DeliveryAttempt, Webhook, WebhookDelivery};
use crate::{Caller, ServiceError, ServiceResult, Services};
use dialnexa_domain::{EventId, WebhookId, WebhookMessageId};
use dialnexa_store::{MessagePage, WebhookMessage, WebhookRecord};

/// Every event a webhook may subscribe to; `"*"` subscribes to all of them.
pub const EVENTS: &[&str] = &[
    "phone_number.purchased",
    "phone_number.purchase_pending",
    "phone_number.purchase_failed",
    "phone_number.updated",
    "phone_number.released",
    "phone_number.renewed",
    "sip_trunk.linked",
    "reconcile.drift",
];

/// The event `POST /v1/user-webhooks/{id}/test` sends, whatever the endpoint subscribed to.
pub const TEST_EVENT: &str = "webhook.test";

/// A create or update request, as every front-end hands it over: `None` is "not given".
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub is_active: Option<bool>,
    pub secret: Option<String>,
}

/// What the audit log keeps of a webhook change: never the secret, only whether one was given.
fn audit_entry(action: &'static str, input: &WebhookInput) -> AuditEntry {
    AuditEntry::new(action, "webhook").with(serde_json::json!({
        "url": input.url,
        "events": input.events,
        "is_active": input.is_active,
        "secret_changed": input.secret.is_some(),
    }))
}

fn bad(field: &'static str, code: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::bad_request(code, message).on(field)
}

fn parse_events(events: &[String]) -> ServiceResult<Vec<String>> {
    if events.is_empty() {
        return Err(bad(
            "events",
            "invalid_events",
            format!(
                "events must name at least one event: {}, or \"*\"",
                EVENTS.join(", ")
            ),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for e in events {
        let e = e.trim();
        if e != "*" && !EVENTS.contains(&e) {
            return Err(bad(
                "events",
                "unknown_event",
                format!(
                    "unknown event `{e}`; valid events are {}, or \"*\" for all",
                    EVENTS.join(", ")
                ),
            ));
        }
        if !out.iter().any(|o| o == e) {
            out.push(e.to_owned());
        }
    }
    if out.iter().any(|e| e == "*") {
        out = vec!["*".into()];
    }
    Ok(out)
}

fn parse_secret(secret: &str) -> ServiceResult<String> {
    if secret.trim().is_empty() {
        return Err(bad("secret", "missing_secret", "secret must not be empty"));
    }
    if secret.len() > 1024 {
        return Err(bad(
            "secret",
            "invalid_secret",
            "secret must be at most 1024 bytes",
        ));
    }
    if sign::secret_key(secret).is_none() {
        return Err(bad(
            "secret",
            "invalid_secret",
            "a secret starting with whsec_ must continue in base64 (whsec_<base64 key>)",
        ));
    }
    Ok(secret.to_owned())
}

fn view(r: WebhookRecord) -> Webhook {
    Webhook {
        id: r.id,
        url: r.url,
        events: r.events,
        is_active: r.is_active,
        disabled_note: r.disabled_note,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

fn delivery(m: WebhookMessage, page: &MessagePage) -> WebhookDelivery {
    let attempts = page
        .attempts
        .iter()
        .filter(|a| a.message_id == m.id)
        .map(|a| DeliveryAttempt {
            attempt: a.attempt,
            at: a.attempted_at,
            status_code: a.status_code,
            duration_ms: a.duration_ms,
            error: a.error.clone(),
        })
        .collect();
    WebhookDelivery {
        next_retry_at: (m.status == "pending")
            .then_some(m.next_attempt_at)
            .flatten(),
        id: m.id,
        event_type: m.event_type,
        status: m.status,
        attempts,
        created_at: m.created_at,
        delivered_at: m.delivered_at,
    }
}

impl Services {
    fn webhook_cipher(&self) -> ServiceResult<Cipher> {
        self.config
            .encryption_key
            .as_ref()
            .map(Cipher::new)
            .ok_or_else(|| ServiceError::internal("no encryption key is configured for secrets"))
    }

    async fn checked_url(&self, raw: &str) -> ServiceResult<String> {
        let allow = self.config.webhooks_allow_private;
        let url = target::parse_url(raw, allow)?;
        target::check_resolution(&url, allow).await?;
        Ok(url.to_string())
    }

    /// Subscribe an endpoint. Audited (its URL and events; never its secret).
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn create_webhook(
        &self,
        caller: &Caller,
        input: WebhookInput,
    ) -> ServiceResult<Webhook> {
        let entry = audit_entry(actions::WEBHOOK_CREATE, &input);
        let made = self.make_webhook(caller, input).await;
        self.audited(caller, entry, made, |w| Some(w.id.to_string()))
            .await
    }

    async fn make_webhook(&self, caller: &Caller, input: WebhookInput) -> ServiceResult<Webhook> {
        let url = input
            .url
            .ok_or_else(|| bad("url", "missing_url", "url is required"))?;
        let events = input
            .events
            .ok_or_else(|| bad("events", "missing_events", "events is required"))?;
        let secret = input
            .secret
            .ok_or_else(|| bad("secret", "missing_secret", "secret is required"))?;
        let events = parse_events(&events)?;
        let secret = parse_secret(&secret)?;
        let url = self.checked_url(&url).await?;
        let id = WebhookId::generate();
        let now = self.clock.now();
        let sealed = self
            .webhook_cipher()?
            .seal(&secret, id.as_str())
            .map_err(|e| ServiceError::internal(format!("sealing a webhook secret: {e}")))?;
        let record = WebhookRecord {
            id,
            workspace_id: caller.workspace_id.clone(),
            url,
            events,
            is_active: input.is_active.unwrap_or(true),
            secret_sealed: sealed,
            failing_since: None,
            disabled_note: None,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_webhook(&record).await?;
        Ok(view(record))
    }

    /// A page of the workspace's webhooks, newest first, and how many there are.
    pub async fn list_webhooks(
        &self,
        caller: &Caller,
        page: crate::Page,
    ) -> ServiceResult<(Vec<Webhook>, u64)> {
        let offset = u64::from(page.page - 1) * u64::from(page.limit);
        let (items, total) = self
            .store
            .list_webhooks(&caller.workspace_id, page.limit, offset)
            .await?;
        Ok((items.into_iter().map(view).collect(), total))
    }

    async fn webhook_record(&self, caller: &Caller, id: &str) -> ServiceResult<WebhookRecord> {
        let id = WebhookId::parse(id).ok_or_else(|| ServiceError::not_found("webhook"))?;
        self.store
            .get_webhook(&caller.workspace_id, &id)
            .await?
            .ok_or_else(|| ServiceError::not_found("webhook"))
    }

    pub async fn get_webhook(&self, caller: &Caller, id: &str) -> ServiceResult<Webhook> {
        self.webhook_record(caller, id).await.map(view)
    }

    /// Change an endpoint. Audited like its creation.
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn update_webhook(
        &self,
        caller: &Caller,
        id: &str,
        input: WebhookInput,
    ) -> ServiceResult<Webhook> {
        let mut entry = audit_entry(actions::WEBHOOK_UPDATE, &input);
        entry.resource_id = Some(id.to_owned());
        let changed = self.change_webhook(caller, id, input).await;
        self.audited(caller, entry, changed, |w| Some(w.id.to_string()))
            .await
    }

    async fn change_webhook(
        &self,
        caller: &Caller,
        id: &str,
        input: WebhookInput,
    ) -> ServiceResult<Webhook> {
        let mut record = self.webhook_record(caller, id).await?;
        if let Some(events) = input.events {
            record.events = parse_events(&events)?;
        }
        if let Some(secret) = input.secret {
            let secret = parse_secret(&secret)?;
            record.secret_sealed = self
                .webhook_cipher()?
                .seal(&secret, record.id.as_str())
                .map_err(|e| ServiceError::internal(format!("sealing a webhook secret: {e}")))?;
        }
        if let Some(url) = input.url {
            record.url = self.checked_url(&url).await?;
        }
        if let Some(active) = input.is_active {
            record.is_active = active;
            if active {
                record.disabled_note = None;
            }
        }
        record.updated_at = self.clock.now();
        if !self.store.update_webhook(&record).await? {
            return Err(ServiceError::not_found("webhook"));
        }
        Ok(view(record))
    }

    /// Unsubscribe an endpoint. Audited.
    pub async fn delete_webhook(&self, caller: &Caller, id: &str) -> ServiceResult<WebhookId> {
        let mut entry = AuditEntry::new(actions::WEBHOOK_DELETE, "webhook");
        entry.resource_id = Some(id.to_owned());
        let deleted = self.remove_webhook(caller, id).await;
        self.audited(caller, entry, deleted, |id| Some(id.to_string()))
            .await
    }

    async fn remove_webhook(&self, caller: &Caller, id: &str) -> ServiceResult<WebhookId> {
        let id = WebhookId::parse(id).ok_or_else(|| ServiceError::not_found("webhook"))?;
        if !self.store.delete_webhook(&caller.workspace_id, &id).await? {
            return Err(ServiceError::not_found("webhook"));
        }
        Ok(id)
    }

    /// A page of the endpoint's deliveries, newest first, each with its attempts.
    pub async fn webhook_deliveries(
        &self,
        caller: &Caller,
        id: &str,
        page: crate::Page,
    ) -> ServiceResult<(Vec<WebhookDelivery>, u64)> {
        let record = self.webhook_record(caller, id).await?;
        let offset = u64::from(page.page - 1) * u64::from(page.limit);
        let found = self
            .store
            .webhook_messages(&caller.workspace_id, &record.id, page.limit, offset)
            .await?;
        let total = found.total;
        let items = found
            .messages
            .clone()
            .into_iter()
            .map(|m| delivery(m, &found))
            .collect();
        Ok((items, total))
    }

    /// Send a message again now (a failed one, or one waiting for its next retry).
    pub async fn retry_webhook_delivery(
        &self,
        caller: &Caller,
        id: &str,
        message: &str,
    ) -> ServiceResult<WebhookDelivery> {
        let record = self.webhook_record(caller, id).await?;
        let message =
            WebhookMessageId::parse(message).ok_or_else(|| ServiceError::not_found("delivery"))?;
        let now = self.clock.now();
        let m = self
            .store
            .retry_webhook_message(&caller.workspace_id, &record.id, &message, now)
            .await?
            .ok_or_else(|| {
                ServiceError::not_found("delivery (or one being attempted right now)")
            })?;
        self.wake_webhooks();
        Ok(delivery(m, &MessagePage::default()))
    }

    /// Queue a `webhook.test` event for this endpoint alone.
    pub async fn test_webhook(&self, caller: &Caller, id: &str) -> ServiceResult<WebhookDelivery> {
        let record = self.webhook_record(caller, id).await?;
        let now = self.clock.now();
        let event = EventId::generate();
        let message = WebhookMessage {
            id: WebhookMessageId::generate(),
            webhook_id: record.id.clone(),
            workspace_id: caller.workspace_id.clone(),
            event_id: event.to_string(),
            event_type: TEST_EVENT.into(),
            payload: serde_json::json!({ "webhook_id": record.id, "event_id": event }).to_string(),
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: Some(now),
            created_at: now,
            delivered_at: None,
        };
        self.store.insert_webhook_message(&message).await?;
        self.wake_webhooks();
        Ok(delivery(message, &MessagePage::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_checked_and_star_means_all() {
        let v = |s: &[&str]| s.iter().map(|e| e.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_events(&v(&["phone_number.purchased", "phone_number.purchased"])).unwrap(),
            v(&["phone_number.purchased"])
        );
        assert_eq!(
            parse_events(&v(&["*", "reconcile.drift"])).unwrap(),
            v(&["*"])
        );
        let e = parse_events(&v(&["call.completed"])).unwrap_err();
        assert_eq!(e.code, "unknown_event");
        assert!(e.message.contains("phone_number.renewed"), "{}", e.message);
        assert!(parse_events(&[]).is_err());
    }

    #[test]
    fn secrets_must_be_usable() {
        assert!(parse_secret("").is_err());
        assert!(parse_secret("whsec_***").is_err());
        assert!(parse_secret("whsec_aGVsbG8=").is_ok());
        assert!(parse_secret("plain secret").is_ok());
    }
}
