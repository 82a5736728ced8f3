//! User webhooks on PostgreSQL. Several servers share the database: the fan-out and the claim
//! of due messages lock their rows with `FOR UPDATE SKIP LOCKED`, so each event is fanned out
//! by one server and each attempt made by one.

use super::PgStore;
use super::db::{Args, Db, err};
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
impl WebhookStore for PgStore {
    async fn insert_webhook(&self, w: &WebhookRecord) -> StoreResult<()> {
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
        self.write_exec(q::INSERT_WEBHOOK, args).await.map(drop)
    }

    async fn list_webhooks(
        &self,
        workspace: &WorkspaceId,
        limit: u32,
        offset: u64,
    ) -> StoreResult<(Vec<WebhookRecord>, u64)> {
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let ws = workspace.as_str();
        let c = self.conn().await?;
        let db = Db::client(&c);
        let items = db
            .all(
                q::LIST_WEBHOOKS,
                &[&ws, &i64::from(limit), &offset],
                webhook_row,
            )
            .await?;
        let total = db.one(q::COUNT_WEBHOOKS, &[&ws], |r| r.int(0)).await?;
        Ok((items, total.unwrap_or_default().max(0) as u64))
    }

    async fn get_webhook(
        &self,
        workspace: &WorkspaceId,
        id: &WebhookId,
    ) -> StoreResult<Option<WebhookRecord>> {
        let args: Args = &[&id.as_str(), &workspace.as_str()];
        self.read_one(q::WEBHOOK, args, webhook_row).await
    }

    async fn webhook_by_id(&self, id: &WebhookId) -> StoreResult<Option<WebhookRecord>> {
        self.read_one(q::WEBHOOK_BY_ID, &[&id.as_str()], webhook_row)
            .await
    }

    async fn update_webhook(&self, w: &WebhookRecord) -> StoreResult<bool> {
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
        Ok(self.write_exec(q::UPDATE_WEBHOOK, args).await? > 0)
    }

    async fn delete_webhook(&self, workspace: &WorkspaceId, id: &WebhookId) -> StoreResult<bool> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(err)?;
        let db = Db::tx(&tx);
        let args: Args = &[&id.as_str(), &workspace.as_str()];
        db.exec(q::DELETE_ATTEMPTS_OF_WEBHOOK, args).await?;
        db.exec(q::DELETE_MESSAGES_OF_WEBHOOK, args).await?;
        let n = db.exec(q::DELETE_WEBHOOK, args).await?;
        self.commit(tx).await?;
        Ok(n > 0)
    }

    async fn fan_out_events(&self, now: Timestamp, limit: u32) -> StoreResult<u64> {
        if self
            .read_one(q::ANY_UNFANNED, &[], |_| Ok(()))
            .await?
            .is_none()
        {
            return Ok(0);
        }
        let args: Args = &[&ms(now), &i64::from(limit)];
        self.write_exec(q::PG_FAN_OUT, args).await
    }

    async fn record_event(
        &self,
        workspace: &WorkspaceId,
        event: &NewEvent,
        at: Timestamp,
    ) -> StoreResult<()> {
        let payload = event.payload.to_string();
        let args: Args = &[
            &event.id.as_str(),
            &workspace.as_str(),
            &event.event_type,
            &payload,
            &ms(at),
        ];
        self.write_exec(q::INSERT_EVENT_ONCE, args).await.map(drop)
    }

    async fn insert_webhook_message(&self, m: &WebhookMessage) -> StoreResult<()> {
        let args: Args = &[
            &m.id.as_str(),
            &m.webhook_id.as_str(),
            &m.workspace_id.as_str(),
            &m.event_id,
            &m.event_type,
            &m.payload,
            &ms(m.created_at),
        ];
        self.write_exec(q::INSERT_MESSAGE, args).await.map(drop)
    }

    async fn claim_webhook_messages(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<WebhookMessage>> {
        if self
            .read_one(q::ANY_DUE, &[&ms(now)], |_| Ok(()))
            .await?
            .is_none()
        {
            return Ok(Vec::new());
        }
        self.faults.commit()?;
        let c = self.conn().await?;
        let args: Args = &[&ms(now), &ms(lease_until), &i64::from(limit)];
        Db::client(&c).all(q::PG_CLAIM, args, message_row).await
    }

    async fn record_webhook_attempt(&self, o: &AttemptOutcome) -> StoreResult<()> {
        let a = &o.attempt;
        let code = a.status_code.map(i64::from);
        let duration = i64::try_from(a.duration_ms).unwrap_or(i64::MAX);
        let delivered = (o.status == "delivered").then(|| ms(a.attempted_at));
        let next = o.next_attempt_at.map(ms);
        let (message, webhook) = (a.message_id.as_str(), o.webhook_id.as_str());
        let (attempt, at) = (i64::from(a.attempt), ms(a.attempted_at));
        let settled: [&(dyn tokio_postgres::types::ToSql + Sync); 10] = [
            &message, &attempt, &at, &code, &duration, &a.error, &o.status, &next, &delivered,
            &webhook,
        ];
        if o.status == "delivered" {
            self.write_exec(q::PG_SETTLE_DELIVERED, &settled).await?;
        } else {
            let threshold = ms(o.disable_if_failing_since);
            let mut args: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = settled.to_vec();
            args.push(&threshold);
            args.push(&o.disabled_note);
            self.write_exec(q::PG_SETTLE_FAILED, &args).await?;
        }
        Ok(())
    }

    async fn webhook_messages(
        &self,
        workspace: &WorkspaceId,
        webhook: &WebhookId,
        limit: u32,
        offset: u64,
    ) -> StoreResult<MessagePage> {
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let (id, ws) = (webhook.as_str(), workspace.as_str());
        let mut c = self.conn().await?;
        // One snapshot: the messages and their attempts as of the same instant.
        let tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(err)?;
        let db = Db::tx(&tx);
        let args: Args = &[&id, &ws, &i64::from(limit), &offset];
        let messages = db.all(q::MESSAGES_OF_WEBHOOK, args, message_row).await?;
        let attempts = db.all(q::ATTEMPTS_OF_PAGE, args, attempt_row).await?;
        let total = db
            .one(q::COUNT_MESSAGES_OF_WEBHOOK, &[&id, &ws], |r| r.int(0))
            .await?;
        tx.commit().await.map_err(err)?;
        Ok(MessagePage {
            messages,
            attempts,
            total: total.unwrap_or_default().max(0) as u64,
        })
    }

    async fn retry_webhook_message(
        &self,
        workspace: &WorkspaceId,
        webhook: &WebhookId,
        message: &WebhookMessageId,
        now: Timestamp,
    ) -> StoreResult<Option<WebhookMessage>> {
        let args: Args = &[
            &message.as_str(),
            &webhook.as_str(),
            &workspace.as_str(),
            &ms(now),
        ];
        self.write_one(q::RETRY_MESSAGE, args, message_row, err)
            .await
    }
}
