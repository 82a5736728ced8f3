//! The rental ledger on PostgreSQL: each renewal charge with its outbox event.

use super::PgStore;
use super::db::{Args, Db, err};
use super::numbers::insert_event;
use crate::queries as q;
use crate::rows::{self, ms};
use crate::{
    BillingStore, Charge, ChargeFilter, NewCharge, NewEvent, Page, RenewalDue, StoreResult,
};
use async_trait::async_trait;
use dialnexa_domain::{PhoneNumberId, WorkspaceId};
use jiff::Timestamp;

#[async_trait]
impl BillingStore for PgStore {
    async fn due_renewals(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<RenewalDue>> {
        let args: Args = &[&ms(now), &i64::from(limit)];
        self.read_all(q::DUE_RENEWALS, args, rows::renewal).await
    }

    async fn charge_renewal(
        &self,
        number: &PhoneNumberId,
        charge: &NewCharge,
        next_start: Timestamp,
        now: Timestamp,
        event: &NewEvent,
    ) -> StoreResult<bool> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(err)?;
        let db = Db::tx(&tx);
        let index = i64::from(charge.period_index);
        let args: Args = &[&number.as_str(), &index, &(index + 1), &ms(next_start)];
        let Some(workspace) = db.one(q::MOVE_RENEWAL_CURSOR, args, |r| r.text(0)).await? else {
            let _ = tx.rollback().await;
            return Ok(false);
        };
        let args: Args = &[
            &charge.id.as_str(),
            &workspace,
            &number.as_str(),
            &index,
            &ms(charge.period_start),
            &ms(charge.period_end),
            &charge.amount.micros(),
            &ms(now),
        ];
        db.exec(q::INSERT_CHARGE, args).await?;
        insert_event(db, &WorkspaceId::from_trusted(workspace), event, now).await?;
        self.commit(tx).await?;
        Ok(true)
    }

    async fn list_charges(
        &self,
        workspace: &WorkspaceId,
        filter: &ChargeFilter,
        page: Page,
    ) -> StoreResult<(Vec<Charge>, u64)> {
        // Absent filters bind values that match everything, so the SQL text stays fixed.
        let number = filter.phone_number_id.as_ref().map_or("", |id| id.as_str());
        let from = filter.period_from.map(ms).unwrap_or(i64::MIN);
        let to = filter.period_to.map(ms).unwrap_or(i64::MAX);
        let (limit, offset) = (i64::from(page.limit), page.offset() as i64);
        let c = self.conn().await?;
        let db = Db::client(&c);
        let args: Args = &[&workspace.as_str(), &number, &from, &to];
        let total = db.one(&q::COUNT_CHARGES, args, |row| row.int(0)).await?;
        let args: Args = &[&workspace.as_str(), &number, &from, &to, &limit, &offset];
        let items = db.all(&q::CHARGES, args, rows::charge).await?;
        Ok((items, total.unwrap_or(0).max(0) as u64))
    }
}
