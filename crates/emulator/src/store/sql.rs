//! The emulator store's SQL and row mapping: the schema, the statements (constants, prepared
//! once per connection) and the conversions between rows and [`OwnedNumber`]s, kept apart from
//! the locking and batching in `store.rs`.

use std::collections::BTreeMap;
use std::sync::RwLock;

use jiff::Timestamp;
use rusqlite::{Connection, Row, TransactionBehavior, params};

use super::{Buy, OwnedNumber, StoreError, write_lock};
use crate::inventory::NumberSet;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS owned_numbers (
    e164          TEXT PRIMARY KEY NOT NULL,
    owner         TEXT NOT NULL,
    sid           TEXT UNIQUE,
    friendly_name TEXT,
    voice_url     TEXT,
    app_id        TEXT,
    settings      TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS owned_numbers_owner ON owned_numbers (owner);
";

/// The columns of an [`OwnedNumber`] in [`raw_row`]'s order, as a literal for `concat!`: the
/// statements are constants, prepared once per connection (`prepare_cached`).
macro_rules! columns {
    () => {
        "e164, owner, sid, friendly_name, voice_url, app_id, settings, created_at, updated_at"
    };
}

pub(super) const SELECT_BY_E164: &str =
    concat!("SELECT ", columns!(), " FROM owned_numbers WHERE e164 = ?1");
pub(super) const SELECT_BY_SID: &str =
    concat!("SELECT ", columns!(), " FROM owned_numbers WHERE sid = ?1");
pub(super) const SELECT_OWNED_BY: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM owned_numbers WHERE e164 = ?1 AND owner = ?2"
);
pub(super) const SELECT_ALL: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM owned_numbers WHERE ?1 IS NULL OR owner = ?1 ORDER BY rowid"
);
pub(super) const INSERT: &str = concat!(
    "INSERT INTO owned_numbers (",
    columns!(),
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
);
/// A buy: inserts nothing if anyone owns the number already, or another account holds it
/// (a Telnyx reservation) at the buy's time (`?10`, milliseconds).
pub(super) const INSERT_NEW: &str = concat!(
    "INSERT INTO owned_numbers (",
    columns!(),
    ") SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE NOT EXISTS (",
    "SELECT 1 FROM held_numbers WHERE e164 = ?1 AND holder <> ?2 AND expires_at > ?10",
    ") ON CONFLICT (e164) DO NOTHING"
);

/// One batch of [`Store::insert`]: every buy in one transaction, answered after the commit.
/// The number committed.
pub(super) fn insert_batch(
    conn: &mut Connection,
    owned: &RwLock<NumberSet>,
    batch: Vec<Buy>,
) -> u32 {
    let refuse = |batch: Vec<Buy>, why: String| {
        for (_, answer) in batch {
            let _ = answer.send(Err(StoreError::NotCommitted(why.clone())));
        }
    };
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            refuse(batch, e.to_string());
            return 0;
        }
    };
    let outcomes: Vec<Result<(), StoreError>> = batch
        .iter()
        .map(|(number, _)| match insert_new(&tx, number) {
            Ok(0) => Err(StoreError::Taken),
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        })
        .collect();
    if let Err(e) = tx.commit() {
        tracing::warn!(error = %e, buys = batch.len(), "a batch of buys did not commit");
        refuse(batch, e.to_string());
        return 0;
    }
    let mut committed = 0;
    let mut set = write_lock(owned);
    for ((number, answer), outcome) in batch.into_iter().zip(outcomes) {
        if outcome.is_ok() {
            set.insert(&number.e164);
            committed += 1;
        }
        let _ = answer.send(outcome.map(|()| number));
    }
    committed
}

pub(super) fn settings_json(settings: &BTreeMap<String, String>) -> Result<String, StoreError> {
    serde_json::to_string(settings).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Runs [`INSERT`] for `n`; the number of rows written.
pub(super) fn insert_row(
    conn: &Connection,
    sql: &str,
    n: &OwnedNumber,
) -> Result<usize, StoreError> {
    let written = conn.prepare_cached(sql)?.execute(params![
        n.e164,
        n.owner,
        n.sid,
        n.friendly_name,
        n.voice_url,
        n.app_id,
        settings_json(&n.settings)?,
        n.created_at.to_string(),
        n.updated_at.to_string(),
    ])?;
    Ok(written)
}

/// Runs [`INSERT_NEW`] for `n`, at its creation time; the number of rows written.
pub(super) fn insert_new(conn: &Connection, n: &OwnedNumber) -> Result<usize, StoreError> {
    let written = conn.prepare_cached(INSERT_NEW)?.execute(params![
        n.e164,
        n.owner,
        n.sid,
        n.friendly_name,
        n.voice_url,
        n.app_id,
        settings_json(&n.settings)?,
        n.created_at.to_string(),
        n.updated_at.to_string(),
        n.created_at.as_millisecond(),
    ])?;
    Ok(written)
}

/// A row as SQLite hands it over, before the text columns are parsed.
pub(super) struct RawRow {
    number: OwnedNumber,
    settings: String,
    created_at: String,
    updated_at: String,
}

pub(super) fn raw_row(row: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        number: OwnedNumber {
            e164: row.get(0)?,
            owner: row.get(1)?,
            sid: row.get(2)?,
            friendly_name: row.get(3)?,
            voice_url: row.get(4)?,
            app_id: row.get(5)?,
            settings: BTreeMap::new(),
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        },
        settings: row.get(6)?,
        created_at: row.get(7)?,
        updated_at: row.get(8)?,
    })
}

impl RawRow {
    pub(super) fn parse(self) -> Result<OwnedNumber, StoreError> {
        let corrupt = |what: &str, e: &dyn std::fmt::Display| {
            StoreError::Corrupt(format!("{what} of {}: {e}", self.number.e164))
        };
        let settings = serde_json::from_str(&self.settings).map_err(|e| corrupt("settings", &e))?;
        let created_at = self
            .created_at
            .parse()
            .map_err(|e| corrupt("created_at", &e))?;
        let updated_at = self
            .updated_at
            .parse()
            .map_err(|e| corrupt("updated_at", &e))?;
        Ok(OwnedNumber {
            settings,
            created_at,
            updated_at,
            ..self.number
        })
    }
}
