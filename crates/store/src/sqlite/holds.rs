//! Reservations and quantity orders on SQLite. Every write runs in the writer's transaction
//! (one savepoint each), so a reservation's holds, and an order's items, commit together or
//! not at all.

use super::SqliteStore;
use super::conn::{Args, all, exec, one};
use crate::hold_rows::{self, numbers_csv};
use crate::queries::holds as q;
use crate::rows::ms;
use crate::{
    HoldMode, HoldStore, NewOrder, NewReservation, OrderRecord, OrderStore, ReservationRecord,
    Reserved, StoreError, StoreResult,
};
use async_trait::async_trait;
use dialnexa_domain::{E164, OrderId, PhoneNumberId, ReservationId, WorkspaceId};
use jiff::Timestamp;
use rusqlite::Connection;

/// Hold what the mode asks inside the writer's transaction; `Refused` is answered through an
/// error so the writer undoes the savepoint.
fn reserve(
    c: &Connection,
    new: &NewReservation,
    mode: &HoldMode,
    now: Timestamp,
) -> StoreResult<Reserved> {
    let args: Args = &[
        &new.id.as_str(),
        &new.workspace_id.as_str(),
        &new.provider.as_str(),
        &numbers_csv(&new.phone_numbers),
        &new.carrier_ref,
        &ms(new.created_at),
        &ms(new.expires_at),
    ];
    exec(c, q::INSERT_RESERVATION, args)?;
    let want = match mode {
        HoldMode::All => new.phone_numbers.len(),
        HoldMode::ForOrder { want, .. } => *want as usize,
    };
    let (mut held, mut refused) = (Vec::new(), Vec::new());
    for number in &new.phone_numbers {
        if held.len() == want {
            break;
        }
        let args: Args = &[
            &number.as_str(),
            &new.id.as_str(),
            &new.workspace_id.as_str(),
            &ms(new.expires_at),
            &ms(now),
        ];
        match one(c, q::HOLD_NUMBER, args, |row| row.text(0))? {
            Some(_) => held.push(number.clone()),
            None => refused.push(number.clone()),
        }
    }
    if held.is_empty() || (matches!(mode, HoldMode::All) && !refused.is_empty()) {
        return Err(StoreError::Conflict(numbers_csv(&refused)));
    }
    exec(
        c,
        q::SET_RESERVATION_NUMBERS,
        &[&new.id.as_str(), &numbers_csv(&held)],
    )?;
    if let HoldMode::ForOrder { order, .. } = mode {
        for (position, number) in held.iter().enumerate() {
            let args: Args = &[
                &order.as_str(),
                &(position as i64),
                &number.as_str(),
                &ms(now),
            ];
            exec(c, q::INSERT_ITEM, args)?;
        }
        let args: Args = &[&order.as_str(), &new.id.as_str(), &ms(now)];
        exec(c, q::SET_ORDER_RESERVATION, args)?;
    }
    let record = one(
        c,
        &q::RESERVATION_IN_WORKSPACE,
        &[&new.id.as_str(), &new.workspace_id.as_str()],
        hold_rows::reservation,
    )?;
    record.map(Reserved::Held).ok_or(StoreError::NotFound)
}

impl SqliteStore {
    fn order_with_items(&self, order: Option<OrderRecord>) -> StoreResult<Option<OrderRecord>> {
        let Some(mut order) = order else {
            return Ok(None);
        };
        order.items =
            self.read_all(q::ORDER_ITEMS, &[&order.id.as_str()], hold_rows::order_item)?;
        Ok(Some(order))
    }
}

#[async_trait]
impl HoldStore for SqliteStore {
    async fn reserve(
        &self,
        new: &NewReservation,
        mode: &HoldMode,
        now: Timestamp,
    ) -> StoreResult<Reserved> {
        let (new, mode) = (new.clone(), mode.clone());
        match self.write(move |c| reserve(c, &new, &mode, now)).await {
            Err(StoreError::Conflict(refused)) => Ok(Reserved::Refused(
                refused
                    .split(',')
                    .filter(|n| !n.is_empty())
                    .map(hold_rows::e164)
                    .collect::<StoreResult<_>>()?,
            )),
            other => other,
        }
    }

    async fn get_reservation(
        &self,
        workspace: &WorkspaceId,
        id: &ReservationId,
    ) -> StoreResult<Option<ReservationRecord>> {
        self.read_one(
            &q::RESERVATION_IN_WORKSPACE,
            &[&id.as_str(), &workspace.as_str()],
            hold_rows::reservation,
        )
    }

    async fn release_reservation(
        &self,
        workspace: &WorkspaceId,
        id: &ReservationId,
        now: Timestamp,
    ) -> StoreResult<Option<ReservationRecord>> {
        let (workspace, id) = (workspace.clone(), id.clone());
        self.write(move |c| {
            let args: Args = &[&id.as_str(), &workspace.as_str(), &ms(now)];
            if exec(c, q::RELEASE_RESERVATION, args)? == 1 {
                exec(c, q::DROP_HOLDS, &[&id.as_str()])?;
            }
            one(
                c,
                &q::RESERVATION_IN_WORKSPACE,
                &[&id.as_str(), &workspace.as_str()],
                hold_rows::reservation,
            )
        })
        .await
    }

    async fn expire_reservations(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<ReservationId>> {
        self.write(move |c| {
            let due = all(c, q::EXPIRABLE, &[&ms(now), &i64::from(limit)], |r| {
                r.text(0)
            })?;
            let mut expired = Vec::new();
            for id in due {
                if exec(c, q::EXPIRE, &[&id, &ms(now)])? == 1 {
                    exec(c, q::DROP_HOLDS, &[&id])?;
                    expired.push(ReservationId::from_trusted(id));
                }
            }
            Ok(expired)
        })
        .await
    }

    async fn held_by_others(
        &self,
        workspace: &WorkspaceId,
        numbers: &[E164],
        now: Timestamp,
    ) -> StoreResult<Vec<E164>> {
        let mut held = Vec::new();
        for number in numbers {
            let args: Args = &[&number.as_str(), &workspace.as_str(), &ms(now)];
            if self
                .read_one(q::HELD_BY_OTHER, args, |r| r.text(0))?
                .is_some()
            {
                held.push(number.clone());
            }
        }
        Ok(held)
    }
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn insert_order(&self, new: &NewOrder) -> StoreResult<OrderRecord> {
        let new = new.clone();
        self.write(move |c| {
            let args: Args = &[
                &new.id.as_str(),
                &new.workspace_id.as_str(),
                &new.country.as_str(),
                &new.number_type.as_str(),
                &new.area_code,
                &new.contains,
                &new.region,
                &i64::from(new.quantity),
                &new.provider.as_str(),
                &new.mode,
                &ms(new.created_at),
            ];
            one(c, &q::INSERT_ORDER, args, hold_rows::order)?.ok_or(StoreError::NotFound)
        })
        .await
    }

    async fn get_order(
        &self,
        workspace: &WorkspaceId,
        id: &OrderId,
    ) -> StoreResult<Option<OrderRecord>> {
        let order = self.read_one(
            &q::ORDER_IN_WORKSPACE,
            &[&id.as_str(), &workspace.as_str()],
            hold_rows::order,
        )?;
        self.order_with_items(order)
    }

    async fn lease_order(
        &self,
        id: &OrderId,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Option<OrderRecord>> {
        let id = id.clone();
        let order = self
            .write(move |c| {
                let args: Args = &[&id.as_str(), &ms(now), &ms(until)];
                one(c, &q::LEASE_ORDER, args, hold_rows::order)
            })
            .await?;
        self.order_with_items(order)
    }

    async fn renew_order_lease(
        &self,
        id: &OrderId,
        held_until: Timestamp,
        until: Timestamp,
    ) -> StoreResult<bool> {
        let id = id.clone();
        self.write(move |c| {
            let args: Args = &[&id.as_str(), &ms(held_until), &ms(until)];
            exec(c, q::RENEW_LEASE, args).map(|n| n == 1)
        })
        .await
    }

    async fn orders_to_resume(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<OrderId>> {
        self.read_all(q::ORDERS_TO_RESUME, &[&ms(now), &i64::from(limit)], |r| {
            Ok(OrderId::from_trusted(r.text(0)?))
        })
    }

    async fn set_order_item(
        &self,
        order: &OrderId,
        position: u32,
        status: &str,
        number: Option<&PhoneNumberId>,
        reason: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let (order, status) = (order.clone(), status.to_owned());
        let number = number.map(|n| n.as_str().to_owned());
        let reason = reason.map(str::to_owned);
        self.write(move |c| {
            let args: Args = &[
                &order.as_str(),
                &i64::from(position),
                &status,
                &number,
                &reason,
                &ms(now),
            ];
            exec(c, q::SET_ITEM, args).map(drop)
        })
        .await
    }

    async fn finish_order(
        &self,
        id: &OrderId,
        status: &str,
        reason: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let (id, status) = (id.clone(), status.to_owned());
        let reason = reason.map(str::to_owned);
        self.write(move |c| {
            let args: Args = &[&id.as_str(), &status, &reason, &ms(now)];
            let Some(reservation) = one(c, q::FINISH_ORDER, args, |r| r.opt_text(0))? else {
                return Ok(false);
            };
            if let Some(reservation) = reservation {
                exec(c, q::END_RESERVATION, &[&reservation, &ms(now)])?;
                exec(c, q::DROP_HOLDS, &[&reservation])?;
            }
            Ok(true)
        })
        .await
    }
}
