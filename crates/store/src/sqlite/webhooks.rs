//! User webhooks on SQLite. One writer thread makes every claim exclusive: the fan-out and the
//! claim of due messages need no row locks, only the writer's transaction.

use super::SqliteStore;
use super::conn::{Args, all, exec, one, run};
use crate::queries::webhooks as q;
use crate::rows::ms;
use crate::webhook_records::{attempt_row, events_column, message_row, webhook_row};
use crate::{
    AttemptOutcome, MessagePage, NewEvent, StoreResult, WebhookMessage, WebhookRecord, WebhookStore,
};
use async_trait::async_trait;
use dialnexa_domain::{WebhookId, WebhookMessageId, WorkspaceId};
use jiff::Timestamp;

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn insert_webhook(&self, w: &WebhookRecord) -> StoreResult<()> {
        let w = w.clone();
        self.write(move |c| {
            let events = events_column(&w.events);
            let args: Args = &[
                &w.id.as_str(),
                &w.workspace_id.as_str(),
                &w.url,
                &events,
                &i64::from(w.is_active),
                &w.secret_sealed,
                &ms(w.created_at),
            ];
            exec(c, q::INSERT_WEBHOOK, args).map(drop)
        })
        .await
    }

    async fn list_webhooks(
        &self,
        workspace: &WorkspaceId,
        limit: u32,
        offset: u64,
    ) -> StoreResult<(Vec<WebhookRecord>, u64)> {
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        self.read(|c| {
            let ws = workspace.as_str();
            let items = all(
                c,
                q::LIST_WEBHOOKS,
                &[&ws, &i64::from(limit), &offset],
                webhook_row,
            )?;
            let total = one(c, q::COUNT_WEBHOOKS, &[&ws], |r| r.int(0))?.unwrap_or_default();
            Ok((items, total.max(0) as u64))
        })
    }

    async fn get_webhook(
        &self,
        workspace: &WorkspaceId,
        id: &WebhookId,
    ) -> StoreResult<Option<WebhookRecord>> {
        self.read_one(
            q::WEBHOOK,
            &[&id.as_str(), &workspace.as_str()],
            webhook_row,
        )
    }

    async fn webhook_by_id(&self, id: &WebhookId) -> StoreResult<Option<WebhookRecord>> {
        self.read_one(q::WEBHOOK_BY_ID, &[&id.as_str()], webhook_row)
    }

    async fn update_webhook(&self, w: &WebhookRecord) -> StoreResult<bool> {
        let w = w.clone();
        self.write(move |c| {
            let events = events_column(&w.events);
            let args: Args = &[
                &w.id.as_str(),
                &w.workspace_id.as_str(),
                &w.url,
                &events,
                &i64::from(w.is_active),
                &w.secret_sealed,
                &ms(w.updated_at),
            ];
            exec(c, q::UPDATE_WEBHOOK, args).map(|n| n > 0)
        })
        .await
    }

    async fn delete_webhook(&self, workspace: &WorkspaceId, id: &WebhookId) -> StoreResult<bool> {
        let (ws, id) = (workspace.clone(), id.clone());
        self.write(move |c| {
            let args: Args = &[&id.as_str(), &ws.as_str()];
            exec(c, q::DELETE_ATTEMPTS_OF_WEBHOOK, args)?;
            exec(c, q::DELETE_MESSAGES_OF_WEBHOOK, args)?;
            exec(c, q::DELETE_WEBHOOK, args).map(|n| n > 0)
        })
        .await
    }

    async fn fan_out_events(&self, now: Timestamp, limit: u32) -> StoreResult<u64> {
        if self.read_one(q::ANY_UNFANNED, &[], |_| Ok(()))?.is_none() {
            return Ok(0);
        }
        self.write(move |c| {
            let args: Args = &[&ms(now), &i64::from(limit)];
            exec(c, q::SQLITE_FAN_OUT, args)?;
            exec(c, q::SQLITE_MARK_FANNED_OUT, args).map(|n| n as u64)
        })
        .await
    }

    async fn record_event(
        &self,
        workspace: &WorkspaceId,
        event: &NewEvent,
        at: Timestamp,
    ) -> StoreResult<()> {
        let (ws, event) = (workspace.clone(), event.clone());
        self.write(move |c| {
            let payload = event.payload.to_string();
            let args: Args = &[
                &event.id.as_str(),
                &ws.as_str(),
                &event.event_type,
                &payload,
                &ms(at),
            ];
            exec(c, q::INSERT_EVENT_ONCE, args).map(drop)
        })
        .await
    }

    async fn insert_webhook_message(&self, m: &WebhookMessage) -> StoreResult<()> {
        let m = m.clone();
        self.write(move |c| {
            let args: Args = &[
                &m.id.as_str(),
                &m.webhook_id.as_str(),
                &m.workspace_id.as_str(),
                &m.event_id,
                &m.event_type,
                &m.payload,
                &ms(m.created_at),
            ];
            exec(c, q::INSERT_MESSAGE, args).map(drop)
        })
        .await
    }

    async fn claim_webhook_messages(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<WebhookMessage>> {
        if self
            .read_one(q::ANY_DUE, &[&ms(now)], |_| Ok(()))?
            .is_none()
        {
            return Ok(Vec::new());
        }
        self.write(move |c| {
            let args: Args = &[&ms(now), &ms(lease_until), &i64::from(limit)];
            all(c, q::SQLITE_CLAIM, args, message_row)
        })
        .await
    }

    async fn record_webhook_attempt(&self, o: &AttemptOutcome) -> StoreResult<()> {
        let o = o.clone();
        self.write(move |c| {
            let a = &o.attempt;
            let code = a.status_code.map(i64::from);
            let duration = i64::try_from(a.duration_ms).unwrap_or(i64::MAX);
            let args: Args = &[
                &a.message_id.as_str(),
                &i64::from(a.attempt),
                &ms(a.attempted_at),
                &code,
                &duration,
                &a.error,
            ];
            exec(c, q::INSERT_ATTEMPT, args)?;
            let delivered = (o.status == "delivered").then(|| ms(a.attempted_at));
            let next = o.next_attempt_at.map(ms);
            let args: Args = &[&a.message_id.as_str(), &o.status, &next, &delivered];
            exec(c, q::SETTLE_MESSAGE, args)?;
            if o.status == "delivered" {
                exec(c, q::WEBHOOK_SUCCEEDED, &[&o.webhook_id.as_str()])?;
            } else {
                let args: Args = &[
                    &o.webhook_id.as_str(),
                    &ms(a.attempted_at),
                    &ms(o.disable_if_failing_since),
                    &o.disabled_note,
                ];
                exec(c, q::WEBHOOK_FAILED, args)?;
            }
            Ok(())
        })
        .await
    }

    async fn webhook_messages(
        &self,
        workspace: &WorkspaceId,
        webhook: &WebhookId,
        limit: u32,
        offset: u64,
    ) -> StoreResult<MessagePage> {
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        self.read(|c| {
            let (id, ws) = (webhook.as_str(), workspace.as_str());
            let args: Args = &[&id, &ws, &i64::from(limit), &offset];
            // One read transaction: the messages and their attempts from the same snapshot.
            run(c, "BEGIN")?;
            let page = (|| {
                let messages = all(c, q::MESSAGES_OF_WEBHOOK, args, message_row)?;
                let attempts = all(c, q::ATTEMPTS_OF_PAGE, args, attempt_row)?;
                let total = one(c, q::COUNT_MESSAGES_OF_WEBHOOK, &[&id, &ws], |r| r.int(0))?;
                Ok(MessagePage {
                    messages,
                    attempts,
                    total: total.unwrap_or_default().max(0) as u64,
                })
            })();
            run(c, "COMMIT")?;
            page
        })
    }

    async fn retry_webhook_message(
        &self,
        workspace: &WorkspaceId,
        webhook: &WebhookId,
        message: &WebhookMessageId,
        now: Timestamp,
    ) -> StoreResult<Option<WebhookMessage>> {
        let (ws, wh, m) = (workspace.clone(), webhook.clone(), message.clone());
        self.write(move |c| {
            let args: Args = &[&m.as_str(), &wh.as_str(), &ws.as_str(), &ms(now)];
            one(c, q::RETRY_MESSAGE, args, message_row)
        })
        .await
    }
}
