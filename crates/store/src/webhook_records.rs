//! User webhooks as the store keeps them (endpoints, the messages fanned out to them, each
//! delivery attempt) and the trait both backends implement for them.

use crate::rows::{Columns, opt_ts, ts};
use crate::{NewEvent, StoreResult};
use async_trait::async_trait;
use dialnexa_domain::{WebhookId, WebhookMessageId, WorkspaceId};
use jiff::Timestamp;

/// An endpoint. `events` holds the subscribed names, or `["*"]` for all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    pub id: WebhookId,
    pub workspace_id: WorkspaceId,
    pub url: String,
    pub events: Vec<String>,
    pub is_active: bool,
    /// Sealed with the deployment's key, the webhook id as associated data.
    pub secret_sealed: String,
    /// The first failure since the last success, while the endpoint keeps failing.
    pub failing_since: Option<Timestamp>,
    /// Why the platform turned the endpoint off (`webhook.disabled: …`), if it did.
    pub disabled_note: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A message for one endpoint; its id is the `webhook-id` of every attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookMessage {
    pub id: WebhookMessageId,
    pub webhook_id: WebhookId,
    pub workspace_id: WorkspaceId,
    pub event_id: String,
    pub event_type: String,
    /// The event's `data`, as JSON text.
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: Option<Timestamp>,
    /// When the event happened (its `timestamp`).
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAttempt {
    pub message_id: WebhookMessageId,
    pub attempt: u32,
    pub attempted_at: Timestamp,
    /// `None` when no answer came (timeout, refused connection, refused address).
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
}

/// What one attempt settled, written in one transaction.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    pub webhook_id: WebhookId,
    pub attempt: WebhookAttempt,
    /// `delivered`, `pending` (with `next_attempt_at`) or `failed`.
    pub status: &'static str,
    pub next_attempt_at: Option<Timestamp>,
    /// A failure of an endpoint failing since before this turns it off with `disabled_note`.
    pub disable_if_failing_since: Timestamp,
    pub disabled_note: String,
}

/// A page of an endpoint's messages, with every attempt of those messages.
#[derive(Debug, Clone, Default)]
pub struct MessagePage {
    pub messages: Vec<WebhookMessage>,
    pub attempts: Vec<WebhookAttempt>,
    pub total: u64,
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn insert_webhook(&self, webhook: &WebhookRecord) -> StoreResult<()>;
    /// A page of the workspace's endpoints, newest first, and how many it has.
    async fn list_webhooks(
        &self,
        workspace: &WorkspaceId,
        limit: u32,
        offset: u64,
    ) -> StoreResult<(Vec<WebhookRecord>, u64)>;
    async fn get_webhook(
        &self,
        workspace: &WorkspaceId,
        id: &WebhookId,
    ) -> StoreResult<Option<WebhookRecord>>;
    /// For the delivery worker, across workspaces.
    async fn webhook_by_id(&self, id: &WebhookId) -> StoreResult<Option<WebhookRecord>>;
    /// Write the url, events, activity and secret of `webhook`; `false` when it is gone.
    async fn update_webhook(&self, webhook: &WebhookRecord) -> StoreResult<bool>;
    /// The endpoint, its messages and their attempts; `false` when there was none.
    async fn delete_webhook(&self, workspace: &WorkspaceId, id: &WebhookId) -> StoreResult<bool>;

    /// Turn up to `limit` undelivered outbox events into messages for the webhooks subscribed
    /// to them, due at `now`; answers how many events it took.
    async fn fan_out_events(&self, now: Timestamp, limit: u32) -> StoreResult<u64>;
    /// An event that no change of a row carries (a purchase answered pending, a drift found),
    /// written on its own; every change of a number writes its event in its own transaction
    /// instead. An id already written is skipped, so an event named after what it reports is
    /// written once.
    async fn record_event(
        &self,
        workspace: &WorkspaceId,
        event: &NewEvent,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// A message for one endpoint only (the test event), due at once.
    async fn insert_webhook_message(&self, message: &WebhookMessage) -> StoreResult<()>;
    /// Claim up to `limit` due messages, each leased to the caller until `lease_until`.
    async fn claim_webhook_messages(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<WebhookMessage>>;
    async fn record_webhook_attempt(&self, outcome: &AttemptOutcome) -> StoreResult<()>;
    async fn webhook_messages(
        &self,
        workspace: &WorkspaceId,
        webhook: &WebhookId,
        limit: u32,
        offset: u64,
    ) -> StoreResult<MessagePage>;
    /// Make a message due at `now` again, unless an attempt of it is under way (`None`, as
    /// for a message that is not the workspace's).
    async fn retry_webhook_message(
        &self,
        workspace: &WorkspaceId,
        webhook: &WebhookId,
        message: &WebhookMessageId,
        now: Timestamp,
    ) -> StoreResult<Option<WebhookMessage>>;
}

/// `events` as stored: `*`, or each name between commas so that one `LIKE` finds a name.
pub(crate) fn events_column(events: &[String]) -> String {
    if events.iter().any(|e| e == "*") {
        "*".into()
    } else {
        format!(",{},", events.join(","))
    }
}

pub(crate) fn events_from_column(raw: &str) -> Vec<String> {
    raw.split(',')
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A row of `webhook_columns!()`, in its order.
pub(crate) fn webhook_row(row: &dyn Columns) -> StoreResult<WebhookRecord> {
    Ok(WebhookRecord {
        id: WebhookId::from_trusted(row.text(0)?),
        workspace_id: WorkspaceId::from_trusted(row.text(1)?),
        url: row.text(2)?,
        events: events_from_column(&row.text(3)?),
        is_active: row.int(4)? != 0,
        secret_sealed: row.text(5)?,
        failing_since: opt_ts(row.opt_int(6)?)?,
        disabled_note: row.opt_text(7)?,
        created_at: ts(row.int(8)?)?,
        updated_at: ts(row.int(9)?)?,
    })
}

/// A row of `message_columns!()`, in its order.
pub(crate) fn message_row(row: &dyn Columns) -> StoreResult<WebhookMessage> {
    Ok(WebhookMessage {
        id: WebhookMessageId::from_trusted(row.text(0)?),
        webhook_id: WebhookId::from_trusted(row.text(1)?),
        workspace_id: WorkspaceId::from_trusted(row.text(2)?),
        event_id: row.text(3)?,
        event_type: row.text(4)?,
        payload: row.text(5)?,
        status: row.text(6)?,
        attempts: u32::try_from(row.int(7)?).unwrap_or(u32::MAX),
        next_attempt_at: opt_ts(row.opt_int(8)?)?,
        created_at: ts(row.int(9)?)?,
        delivered_at: opt_ts(row.opt_int(10)?)?,
    })
}

pub(crate) fn attempt_row(row: &dyn Columns) -> StoreResult<WebhookAttempt> {
    Ok(WebhookAttempt {
        message_id: WebhookMessageId::from_trusted(row.text(0)?),
        attempt: u32::try_from(row.int(1)?).unwrap_or(u32::MAX),
        attempted_at: ts(row.int(2)?)?,
        status_code: row.opt_int(3)?.and_then(|c| u16::try_from(c).ok()),
        duration_ms: u64::try_from(row.int(4)?).unwrap_or_default(),
        error: row.opt_text(5)?,
    })
}
