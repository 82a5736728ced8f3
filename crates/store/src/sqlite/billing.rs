//! The rental ledger on SQLite: each renewal charge with its outbox event.

use super::SqliteStore;
use super::conn::{Args, all, exec, one};
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
impl BillingStore for SqliteStore {
    async fn due_renewals(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<RenewalDue>> {
        self.read_all(
            q::DUE_RENEWALS,
            &[&ms(now), &i64::from(limit)],
            rows::renewal,
        )
    }

    async fn charge_renewal(
        &self,
        number: &PhoneNumberId,
        charge: &NewCharge,
        next_start: Timestamp,
        now: Timestamp,
        event: &NewEvent,
    ) -> StoreResult<bool> {
        let (number, charge, event) = (number.clone(), charge.clone(), event.clone());
        self.write(move |c| {
            let index = i64::from(charge.period_index);
            let args: Args = &[&number.as_str(), &index, &(index + 1), &ms(next_start)];
            let Some(workspace) = one(c, q::MOVE_RENEWAL_CURSOR, args, |row| row.text(0))? else {
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
            exec(c, q::INSERT_CHARGE, args)?;
            insert_event(c, &WorkspaceId::from_trusted(workspace), &event, now)?;
            Ok(true)
        })
        .await
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
        self.read(|c| {
            let args: Args = &[&workspace.as_str(), &number, &from, &to];
            let total = one(c, &q::COUNT_CHARGES, args, |row| row.int(0))?.unwrap_or(0);
            let args: Args = &[&workspace.as_str(), &number, &from, &to, &limit, &offset];
            let items = all(c, &q::CHARGES, args, rows::charge)?;
            Ok((items, total.max(0) as u64))
        })
    }
}
