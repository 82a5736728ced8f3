//! Telnyx's asynchronous side, kept in the emulator's state file beside ownership: number
//! orders (placed, then completed a few polls later) and reservations (numbers held for one
//! account for 30 minutes). Records are stored as the JSON Telnyx shows, so a restarted
//! emulator answers a poll for an order it took before.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};
use serde_json::Value;

use super::{Store, StoreError};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS held_numbers (
    e164           TEXT PRIMARY KEY NOT NULL,
    holder         TEXT NOT NULL,
    reservation_id TEXT NOT NULL,
    -- milliseconds since the epoch, on the emulator's clock
    expires_at     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS telnyx_orders (
    id         TEXT PRIMARY KEY NOT NULL,
    owner      TEXT NOT NULL,
    record     TEXT NOT NULL,
    -- polls still to answer `pending` before the order settles
    polls_left INTEGER NOT NULL,
    -- whether it settles as a failure
    fails      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS telnyx_reservations (
    id     TEXT PRIMARY KEY NOT NULL,
    owner  TEXT NOT NULL,
    record TEXT NOT NULL
);
";

/// Why a number could not be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldRefused {
    /// Someone owns it.
    Owned,
    /// Another account holds it.
    Held,
}

/// A stored number order.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub record: Value,
    pub polls_left: u32,
    pub fails: bool,
}

fn millis(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn to_json(record: &Value) -> Result<String, StoreError> {
    serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json(text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// Holds each number for `holder` until `until`, unless someone owns it or another
    /// account holds it now; one outcome per number, in order. All or nothing is the
    /// caller's choice: every number that can be held is.
    pub async fn hold(
        &self,
        holder: &str,
        reservation_id: &str,
        numbers: Vec<String>,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<Result<(), HoldRefused>>, StoreError> {
        let (holder, reservation_id) = (holder.to_owned(), reservation_id.to_owned());
        let outcomes = self
            .run(move |conn, _| {
                let tx = conn.transaction()?;
                let mut outcomes = Vec::with_capacity(numbers.len());
                for e164 in &numbers {
                    let owned: bool = tx
                        .prepare_cached("SELECT EXISTS (SELECT 1 FROM owned_numbers WHERE e164 = ?1)")?
                        .query_row([e164], |row| row.get(0))?;
                    let held_by_other: bool = tx
                        .prepare_cached(
                            "SELECT EXISTS (SELECT 1 FROM held_numbers WHERE e164 = ?1 AND holder <> ?2 AND expires_at > ?3)",
                        )?
                        .query_row(params![e164, holder, millis(now)], |row| row.get(0))?;
                    let outcome = if owned {
                        Err(HoldRefused::Owned)
                    } else if held_by_other {
                        Err(HoldRefused::Held)
                    } else {
                        tx.prepare_cached(
                            "INSERT OR REPLACE INTO held_numbers (e164, holder, reservation_id, expires_at) VALUES (?1, ?2, ?3, ?4)",
                        )?
                        .execute(params![e164, holder, reservation_id, millis(until)])?;
                        Ok(())
                    };
                    outcomes.push(outcome);
                }
                tx.commit()?;
                Ok(outcomes)
            })
            .await?;
        self.wrote();
        Ok(outcomes)
    }

    /// Ends `holder`'s hold on a number it has now bought.
    pub async fn drop_hold(&self, e164: &str, holder: &str) -> Result<(), StoreError> {
        let (e164, holder) = (e164.to_owned(), holder.to_owned());
        self.run(move |conn, _| {
            conn.prepare_cached("DELETE FROM held_numbers WHERE e164 = ?1 AND holder = ?2")?
                .execute([e164, holder])?;
            Ok(())
        })
        .await
    }

    pub async fn put_reservation(
        &self,
        id: &str,
        owner: &str,
        record: &Value,
    ) -> Result<(), StoreError> {
        let (id, owner, record) = (id.to_owned(), owner.to_owned(), to_json(record)?);
        self.run(move |conn, _| {
            conn.prepare_cached(
                "INSERT OR REPLACE INTO telnyx_reservations (id, owner, record) VALUES (?1, ?2, ?3)",
            )?
            .execute([id, owner, record])?;
            Ok(())
        })
        .await?;
        self.wrote();
        Ok(())
    }

    /// `owner`'s reservation `id`, as stored.
    pub async fn reservation(&self, id: &str, owner: &str) -> Result<Option<Value>, StoreError> {
        let (id, owner) = (id.to_owned(), owner.to_owned());
        let text: Option<String> = self
            .run(move |conn, _| {
                Ok(conn
                    .prepare_cached(
                        "SELECT record FROM telnyx_reservations WHERE id = ?1 AND owner = ?2",
                    )?
                    .query_row([id, owner], |row| row.get(0))
                    .optional()?)
            })
            .await?;
        text.as_deref().map(from_json).transpose()
    }

    /// Saves an order, new or settled.
    pub async fn put_order(&self, id: &str, owner: &str, row: &OrderRow) -> Result<(), StoreError> {
        let (id, owner) = (id.to_owned(), owner.to_owned());
        let (record, polls_left, fails) = (to_json(&row.record)?, row.polls_left, row.fails);
        self.run(move |conn, _| {
            conn.prepare_cached(
                "INSERT OR REPLACE INTO telnyx_orders (id, owner, record, polls_left, fails) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![id, owner, record, polls_left, fails])?;
            Ok(())
        })
        .await?;
        self.wrote();
        Ok(())
    }

    /// `owner`'s order `id`, as stored.
    pub async fn order(&self, id: &str, owner: &str) -> Result<Option<OrderRow>, StoreError> {
        let (id, owner) = (id.to_owned(), owner.to_owned());
        let row: Option<(String, u32, bool)> = self
            .run(move |conn, _| {
                Ok(conn
                    .prepare_cached(
                        "SELECT record, polls_left, fails FROM telnyx_orders WHERE id = ?1 AND owner = ?2",
                    )?
                    .query_row([id, owner], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                    .optional()?)
            })
            .await?;
        row.map(|(record, polls_left, fails)| {
            Ok(OrderRow {
                record: from_json(&record)?,
                polls_left,
                fails,
            })
        })
        .transpose()
    }

    /// Ids of `owner`'s orders still pending with no polls left: due to settle.
    pub async fn due_orders(&self, owner: &str) -> Result<Vec<String>, StoreError> {
        let owner = owner.to_owned();
        self.run(move |conn, _| {
            let mut stmt = conn.prepare_cached(
                "SELECT id FROM telnyx_orders WHERE owner = ?1 AND polls_left = 0 AND json_extract(record, '$.status') = 'pending'",
            )?;
            let ids = stmt
                .query_map([owner], |row| row.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(ids)
        })
        .await
    }
}
