//! Phone-number rows on SQLite: the purchase's claim, its activation with the first charge and
//! outbox event, its failure with its outbox event, and the reads of numbers.

use super::SqliteStore;
use super::conn::{Args, all, err_unique, exec, in_savepoint, one, one_with, values};
use crate::queries as q;
use crate::rows::{self, already_activated, ms};
use crate::{
    NewAuditEvent, NewCharge, NewEvent, NewNumber, NumberFilter, NumberStore, Page,
    PhoneNumberRecord, StoreError, StoreResult,
};
use async_trait::async_trait;
use dialnexa_domain::{PhoneNumberId, WorkspaceId};
use jiff::Timestamp;
use rusqlite::Connection;

/// Write an outbox event inside the transaction of the change that causes it.
pub(super) fn insert_event(
    c: &Connection,
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
    exec(c, q::INSERT_EVENT, args).map(drop)
}

/// The activation of a pending row with its first charge and outbox event, inside the
/// writer's transaction; an already active row is returned as it is.
fn activate(
    c: &Connection,
    id: &PhoneNumberId,
    carrier_ref: &str,
    now: Timestamp,
    charge: &NewCharge,
    event: &NewEvent,
) -> StoreResult<PhoneNumberRecord> {
    let args: Args = &[
        &id.as_str(),
        &carrier_ref,
        &ms(now),
        &(i64::from(charge.period_index) + 1),
        &ms(charge.period_end),
    ];
    let Some(record) = one(c, &q::ACTIVATE, args, rows::number)? else {
        return already_activated(number_by_id(c, id)?);
    };
    let args: Args = &[
        &charge.id.as_str(),
        &record.workspace_id.as_str(),
        &record.id.as_str(),
        &i64::from(charge.period_index),
        &ms(charge.period_start),
        &ms(charge.period_end),
        &charge.amount.micros(),
        &ms(now),
    ];
    exec(c, q::INSERT_CHARGE, args)?;
    insert_event(c, &record.workspace_id, event, now)?;
    Ok(record)
}

pub(super) fn number_by_id(
    c: &Connection,
    id: &PhoneNumberId,
) -> StoreResult<Option<PhoneNumberRecord>> {
    one(c, &q::NUMBER_BY_ID, &[&id.as_str()], rows::number)
}

#[async_trait]
impl NumberStore for SqliteStore {
    async fn insert_pending(&self, new: &NewNumber) -> StoreResult<PhoneNumberRecord> {
        let new = new.clone();
        self.write(move |c| {
            let caps = new.capabilities.to_csv();
            let args: Args = &[
                &new.id.as_str(),
                &new.workspace_id.as_str(),
                &new.phone_number.as_str(),
                &new.phone_number.country().as_str(),
                &new.number_type.as_str(),
                &caps,
                &new.monthly_cost.micros(),
                &new.provider.as_str(),
                &ms(new.created_at),
            ];
            let held = err_unique(StoreError::NumberAlreadyHeld);
            // No row: another workspace holds the number (a reservation).
            one_with(c, &q::INSERT_PENDING, args, rows::number, held)?
                .ok_or(StoreError::NumberAlreadyHeld)
        })
        .await
    }

    async fn activate_purchase(
        &self,
        id: &PhoneNumberId,
        carrier_ref: &str,
        now: Timestamp,
        first_charge: &NewCharge,
        event: &NewEvent,
        audit: Option<&NewAuditEvent>,
    ) -> StoreResult<PhoneNumberRecord> {
        let (id, carrier_ref) = (id.clone(), carrier_ref.to_owned());
        let (charge, event, audit) = (first_charge.clone(), event.clone(), audit.cloned());
        self.write(move |c| {
            let record = activate(c, &id, &carrier_ref, now, &charge, &event)?;
            // An audit row that cannot be written does not undo the activation (as on
            // PostgreSQL): it is undone alone, in a savepoint of its own, and said.
            if let Some(audit) = &audit
                && let Err(e) =
                    in_savepoint(c, |c| exec(c, q::INSERT_AUDIT, &values(&q::audit_args(audit))))?
            {
                tracing::error!(action = audit.action, error = %e, "could not write the audit row of a purchase");
            }
            Ok(record)
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
        let (id, reason, event) = (id.clone(), reason.to_owned(), event.clone());
        self.write(move |c| {
            let args: Args = &[&id.as_str(), &reason, &ms(now)];
            let Some(workspace) = one(c, q::FAIL_PENDING, args, |row| row.text(0))? else {
                return Ok(());
            };
            insert_event(c, &WorkspaceId::from_trusted(workspace), &event, now)
        })
        .await
    }

    async fn get_number(
        &self,
        workspace: &WorkspaceId,
        id: &PhoneNumberId,
    ) -> StoreResult<Option<PhoneNumberRecord>> {
        self.read_one(
            &q::NUMBER_IN_WORKSPACE,
            &[&id.as_str(), &workspace.as_str()],
            rows::number,
        )
    }

    async fn list_numbers(
        &self,
        workspace: &WorkspaceId,
        filter: &NumberFilter,
        page: Page,
    ) -> StoreResult<(Vec<PhoneNumberRecord>, u64)> {
        let list = q::number_list(workspace, filter, page);
        self.read(|c| {
            let total = one(c, &list.count_sql, &values(&list.count_args), |row| {
                row.int(0)
            })?;
            let items = all(c, &list.page_sql, &values(&list.page_args), rows::number)?;
            Ok((items, total.unwrap_or(0).max(0) as u64))
        })
    }

    async fn pending_before(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<PhoneNumberRecord>> {
        self.read_all(
            &q::PENDING_BEFORE,
            &[&ms(before), &i64::from(limit)],
            rows::number,
        )
    }
}
