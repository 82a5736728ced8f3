//! Phone-number rows on PostgreSQL: the purchase's claim (one autocommit INSERT, durable before
//! the carrier is called), its activation with the first charge and outbox event in one
//! transaction, its failure with its outbox event in another, and the reads of numbers.

use super::PgStore;
use super::db::{Args, Db, err, values};
use super::lanes::Activation;
use crate::queries as q;
use crate::rows::{self, ms};
use crate::{
    NewAuditEvent, NewCharge, NewEvent, NewNumber, NumberFilter, NumberStore, Page,
    PhoneNumberRecord, StoreResult,
};
use async_trait::async_trait;
use dialnexa_domain::{PhoneNumberId, WorkspaceId};
use jiff::Timestamp;

/// Write an outbox event inside the transaction of the change that causes it.
pub(super) async fn insert_event(
    db: Db<'_>,
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
    db.exec(q::INSERT_EVENT, args).await.map(drop)
}

pub(super) async fn number_by_id(
    db: Db<'_>,
    id: &PhoneNumberId,
) -> StoreResult<Option<PhoneNumberRecord>> {
    db.one(&q::NUMBER_BY_ID, &[&id.as_str()], rows::number)
        .await
}

#[async_trait]
impl NumberStore for PgStore {
    async fn insert_pending(&self, new: &NewNumber) -> StoreResult<PhoneNumberRecord> {
        self.claims.ask(new.clone()).await
    }

    async fn activate_purchase(
        &self,
        id: &PhoneNumberId,
        carrier_ref: &str,
        now: Timestamp,
        charge: &NewCharge,
        event: &NewEvent,
        audit: Option<&NewAuditEvent>,
    ) -> StoreResult<PhoneNumberRecord> {
        self.activations
            .ask(Activation {
                id: id.clone(),
                carrier_ref: carrier_ref.to_owned(),
                now,
                charge: charge.clone(),
                event: event.clone(),
                audit: audit.cloned(),
            })
            .await
    }

    async fn fail_pending(
        &self,
        id: &PhoneNumberId,
        reason: &str,
        now: Timestamp,
        event: &NewEvent,
    ) -> StoreResult<()> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(err)?;
        let db = Db::tx(&tx);
        let args: Args = &[&id.as_str(), &reason, &ms(now)];
        let Some(workspace) = db.one(q::FAIL_PENDING, args, |r| r.text(0)).await? else {
            let _ = tx.rollback().await;
            return Ok(());
        };
        insert_event(db, &WorkspaceId::from_trusted(workspace), event, now).await?;
        self.commit(tx).await
    }

    async fn get_number(
        &self,
        workspace: &WorkspaceId,
        id: &PhoneNumberId,
    ) -> StoreResult<Option<PhoneNumberRecord>> {
        let args: Args = &[&id.as_str(), &workspace.as_str()];
        self.read_one(&q::NUMBER_IN_WORKSPACE, args, rows::number)
            .await
    }

    async fn list_numbers(
        &self,
        workspace: &WorkspaceId,
        filter: &NumberFilter,
        page: Page,
    ) -> StoreResult<(Vec<PhoneNumberRecord>, u64)> {
        let list = q::number_list(workspace, filter, page);
        let c = self.conn().await?;
        let db = Db::client(&c);
        let total = db
            .one(&list.count_sql, &values(&list.count_args), |row| row.int(0))
            .await?;
        let items = db
            .all(&list.page_sql, &values(&list.page_args), rows::number)
            .await?;
        Ok((items, total.unwrap_or(0).max(0) as u64))
    }

    async fn pending_before(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<PhoneNumberRecord>> {
        let args: Args = &[&ms(before), &i64::from(limit)];
        self.read_all(&q::PENDING_BEFORE, args, rows::number).await
    }
}
