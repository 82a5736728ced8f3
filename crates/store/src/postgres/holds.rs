//! Reservations and quantity orders on PostgreSQL. A reservation's holds (and an order's
//! items) are one transaction; numbers are held in sorted order, so two reservations of
//! overlapping numbers wait on each other instead of deadlocking.

use super::PgStore;
use super::db::{Args, Db, err};
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

/// A number's advisory lock, until the transaction ends; `claim_numbers` takes it shared.
const LOCK_NUMBER: &str = "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))";

async fn with_items(db: Db<'_>, order: Option<OrderRecord>) -> StoreResult<Option<OrderRecord>> {
    let Some(mut order) = order else {
        return Ok(None);
    };
    order.items = db
        .all(q::ORDER_ITEMS, &[&order.id.as_str()], hold_rows::order_item)
        .await?;
    Ok(Some(order))
}

#[async_trait]
impl HoldStore for PgStore {
    async fn reserve(
        &self,
        new: &NewReservation,
        mode: &HoldMode,
        now: Timestamp,
    ) -> StoreResult<Reserved> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(err)?;
        let db = Db::tx(&tx);
        let args: Args = &[
            &new.id.as_str(),
            &new.workspace_id.as_str(),
            &new.provider.as_str(),
            &numbers_csv(&new.phone_numbers),
            &new.carrier_ref,
            &ms(new.created_at),
            &ms(new.expires_at),
        ];
        db.exec(q::INSERT_RESERVATION, args).await?;
        let want = match mode {
            HoldMode::All => new.phone_numbers.len(),
            HoldMode::ForOrder { want, .. } => *want as usize,
        };
        // Numbers are taken in sorted order, so two transactions over overlapping numbers wait
        // on each other instead of deadlocking.
        let mut order: Vec<&E164> = new.phone_numbers.iter().collect();
        order.sort();
        let (mut held, mut refused) = (Vec::new(), Vec::new());
        for number in order {
            if held.len() == want {
                break;
            }
            // A claim of this number in flight holds its lock (shared) until it commits; from
            // here on this transaction holds it, so a claim that has not looked yet waits for
            // this commit and then sees the hold (migration 0017).
            db.exec(LOCK_NUMBER, &[&number.as_str()]).await?;
            let args: Args = &[
                &number.as_str(),
                &new.id.as_str(),
                &new.workspace_id.as_str(),
                &ms(new.expires_at),
                &ms(now),
            ];
            match db.one(q::HOLD_NUMBER, args, |row| row.text(0)).await? {
                Some(_) => held.push(number.clone()),
                None => refused.push(number.clone()),
            }
        }
        if held.is_empty() || (matches!(mode, HoldMode::All) && !refused.is_empty()) {
            let _ = tx.rollback().await;
            return Ok(Reserved::Refused(refused));
        }
        // The record lists the numbers in the order asked.
        let held: Vec<E164> = new
            .phone_numbers
            .iter()
            .filter(|n| held.contains(n))
            .cloned()
            .collect();
        db.exec(
            q::SET_RESERVATION_NUMBERS,
            &[&new.id.as_str(), &numbers_csv(&held)],
        )
        .await?;
        if let HoldMode::ForOrder { order, .. } = mode {
            for (position, number) in held.iter().enumerate() {
                let args: Args = &[
                    &order.as_str(),
                    &(position as i64),
                    &number.as_str(),
                    &ms(now),
                ];
                db.exec(q::INSERT_ITEM, args).await?;
            }
            let args: Args = &[&order.as_str(), &new.id.as_str(), &ms(now)];
            db.exec(q::SET_ORDER_RESERVATION, args).await?;
        }
        let record = db
            .one(
                &q::RESERVATION_IN_WORKSPACE,
                &[&new.id.as_str(), &new.workspace_id.as_str()],
                hold_rows::reservation,
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        self.commit(tx).await?;
        Ok(Reserved::Held(record))
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
        .await
    }

    async fn release_reservation(
        &self,
        workspace: &WorkspaceId,
        id: &ReservationId,
        now: Timestamp,
    ) -> StoreResult<Option<ReservationRecord>> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(err)?;
        let db = Db::tx(&tx);
        let args: Args = &[&id.as_str(), &workspace.as_str(), &ms(now)];
        if db.exec(q::RELEASE_RESERVATION, args).await? == 1 {
            db.exec(q::DROP_HOLDS, &[&id.as_str()]).await?;
        }
        let record = db
            .one(
                &q::RESERVATION_IN_WORKSPACE,
                &[&id.as_str(), &workspace.as_str()],
                hold_rows::reservation,
            )
            .await?;
        self.commit(tx).await?;
        Ok(record)
    }

    async fn expire_reservations(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<ReservationId>> {
        let due = self
            .read_all(q::EXPIRABLE, &[&ms(now), &i64::from(limit)], |r| r.text(0))
            .await?;
        let mut expired = Vec::new();
        for id in due {
            let mut c = self.conn().await?;
            let tx = c.transaction().await.map_err(err)?;
            let db = Db::tx(&tx);
            // Compare-and-set: of two sweepers, the second finds the row expired and skips it.
            if db.exec(q::EXPIRE, &[&id, &ms(now)]).await? == 1 {
                db.exec(q::DROP_HOLDS, &[&id]).await?;
                self.commit(tx).await?;
                expired.push(ReservationId::from_trusted(id));
            } else {
                let _ = tx.rollback().await;
            }
        }
        Ok(expired)
    }

    async fn held_by_others(
        &self,
        workspace: &WorkspaceId,
        numbers: &[E164],
        now: Timestamp,
    ) -> StoreResult<Vec<E164>> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: Vec<&str> = numbers.iter().map(E164::as_str).collect();
        let held = self
            .read_all(
                q::HELD_BY_OTHERS,
                &[&wanted, &workspace.as_str(), &ms(now)],
                |r| r.text(0),
            )
            .await?;
        Ok(numbers
            .iter()
            .filter(|n| held.iter().any(|h| h == n.as_str()))
            .cloned()
            .collect())
    }
}

#[async_trait]
impl OrderStore for PgStore {
    async fn insert_order(&self, new: &NewOrder) -> StoreResult<OrderRecord> {
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
        self.write_one(&q::INSERT_ORDER, args, hold_rows::order, err)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn get_order(
        &self,
        workspace: &WorkspaceId,
        id: &OrderId,
    ) -> StoreResult<Option<OrderRecord>> {
        let c = self.conn().await?;
        let db = Db::client(&c);
        let args: Args = &[&id.as_str(), &workspace.as_str()];
        let order = db
            .one(&q::ORDER_IN_WORKSPACE, args, hold_rows::order)
            .await?;
        with_items(db, order).await
    }

    async fn lease_order(
        &self,
        id: &OrderId,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Option<OrderRecord>> {
        let args: Args = &[&id.as_str(), &ms(now), &ms(until)];
        let order = self
            .write_one(&q::LEASE_ORDER, args, hold_rows::order, err)
            .await?;
        let c = self.conn().await?;
        with_items(Db::client(&c), order).await
    }

    async fn renew_order_lease(
        &self,
        id: &OrderId,
        held_until: Timestamp,
        until: Timestamp,
    ) -> StoreResult<bool> {
        let args: Args = &[&id.as_str(), &ms(held_until), &ms(until)];
        Ok(self.write_exec(q::RENEW_LEASE, args).await? == 1)
    }

    async fn orders_to_resume(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<OrderId>> {
        self.read_all(q::ORDERS_TO_RESUME, &[&ms(now), &i64::from(limit)], |r| {
            Ok(OrderId::from_trusted(r.text(0)?))
        })
        .await
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
        let number = number.map(PhoneNumberId::as_str);
        let args: Args = &[
            &order.as_str(),
            &i64::from(position),
            &status,
            &number,
            &reason,
            &ms(now),
        ];
        self.write_exec(q::SET_ITEM, args).await.map(drop)
    }

    async fn finish_order(
        &self,
        id: &OrderId,
        status: &str,
        reason: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(err)?;
        let db = Db::tx(&tx);
        let args: Args = &[&id.as_str(), &status, &reason, &ms(now)];
        let Some(reservation) = db.one(q::FINISH_ORDER, args, |r| r.opt_text(0)).await? else {
            let _ = tx.rollback().await;
            return Ok(false);
        };
        if let Some(reservation) = reservation {
            db.exec(q::END_RESERVATION, &[&reservation, &ms(now)])
                .await?;
            db.exec(q::DROP_HOLDS, &[&reservation]).await?;
        }
        self.commit(tx).await?;
        Ok(true)
    }
}
