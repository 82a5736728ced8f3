//! Who owns which number: the emulator's only durable state, in its own SQLite database.
//!
//! The primary key on the number is what makes two concurrent buys of one number end with
//! exactly one owner; one connection behind a mutex serialises every write besides.
//!
//! Searches hide owned numbers, so the owned numbers are also kept in memory: loaded once when
//! the store opens and changed with every write, under the connection's lock and after the
//! write succeeded. That assumes one process per state file, as `carrier-emulator --state` and
//! the service's in-process emulator use it.
//!
//! Buys that arrive together commit together (group commit, [`Store::insert`]).
//!
//! Statements on one number (a buy, a release, a change) run on the calling thread when
//! the connection is free: handing each to a blocking thread and back would cost more than the
//! statement, a context switch pair on a busy core. Whatever takes long (scans of the whole
//! table, checkpoints) runs on a blocking thread, and while it holds the connection the short
//! statements queue behind it there too, so an async thread never waits for the lock. Either
//! way a write is committed before its call returns.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock, TryLockError};

use anyhow::Context;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use crate::inventory::NumberSet;

mod sql;
mod telnyx;
#[cfg(test)]
mod tests;

use sql::{
    INSERT, RawRow, SCHEMA, SELECT_ALL, SELECT_BY_E164, SELECT_BY_SID, SELECT_OWNED_BY,
    insert_batch, insert_row, raw_row, settings_json,
};
pub use telnyx::{HoldRefused, OrderRow};

/// A number someone owns. `owner` is `twilio:AC…`, `plivo:MA…` or `other`.
#[derive(Clone, Debug, PartialEq)]
pub struct OwnedNumber {
    pub e164: String,
    pub owner: String,
    /// Twilio's `PN…` sid; numbers Plivo or another buyer holds have none.
    pub sid: Option<String>,
    pub friendly_name: Option<String>,
    pub voice_url: Option<String>,
    /// Plivo application linked to the number.
    pub app_id: Option<String>,
    /// Other carrier settings (`voice_method`, `sms_url`, …), by snake_case name.
    pub settings: BTreeMap<String, String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Changes to a number's settings; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct NumberChanges {
    pub friendly_name: Option<String>,
    pub voice_url: Option<String>,
    pub app_id: Option<String>,
    pub settings: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the number is owned already")]
    Taken,
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored settings are corrupt: {0}")]
    Corrupt(String),
    #[error("the store task stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The buy's batch (see [`Store::insert`]) did not commit.
    #[error("the buy was not committed: {0}")]
    NotCommitted(String),
}

#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    /// Every owned number, indexed so that searches find those inside a block by seeking.
    owned: Arc<RwLock<NumberSet>>,
    /// Writes since the store opened, to checkpoint every [`CHECKPOINT_EVERY`]; `None` in
    /// memory, where there is no WAL.
    writes: Option<Arc<AtomicU32>>,
    /// Buys waiting for the next group commit (see [`Store::insert`]).
    buys: Arc<Buys>,
}

/// A buy waiting to be committed, and where its outcome goes.
type Buy = (
    OwnedNumber,
    tokio::sync::oneshot::Sender<Result<OwnedNumber, StoreError>>,
);

#[derive(Default)]
struct Buys {
    waiting: Mutex<Vec<Buy>>,
    /// Whether a task is committing them; it goes on until none is waiting.
    committing: AtomicBool,
}

/// Commits between two checkpoints. SQLite's automatic checkpoint (after 1,000 WAL pages)
/// would run inside whichever commit crosses the line and sync both files there, on the
/// async thread that commits inline, stalling every request it serves. So it is off, and
/// the store checkpoints on a blocking thread instead: a buy adds about ten pages to the WAL
/// (the row and three indexes, and the pages above them), so this is close to SQLite's
/// default and the WAL stays near its 4 MB.
const CHECKPOINT_EVERY: u32 = 100;

impl Store {
    /// Opens (and creates) the state file, or an in-memory database when `path` is `None`.
    pub fn open(path: Option<&Path>) -> anyhow::Result<Store> {
        let (conn, writes) = match path {
            Some(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                let conn = Connection::open(path)
                    .with_context(|| format!("opening emulator state {}", path.display()))?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "NORMAL")?;
                // See `CHECKPOINT_EVERY`.
                conn.pragma_update(None, "wal_autocheckpoint", 0)?;
                (conn, Some(Arc::default()))
            }
            None => (Connection::open_in_memory()?, None),
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)
            .context("creating the emulator schema")?;
        conn.execute_batch(telnyx::SCHEMA)
            .context("creating the emulator's Telnyx schema")?;
        let mut owned = NumberSet::default();
        let mut numbers = conn.prepare("SELECT e164 FROM owned_numbers")?;
        let mut rows = numbers.query([])?;
        while let Some(row) = rows.next().context("loading the owned numbers")? {
            owned.insert(row.get_ref(0)?.as_str()?);
        }
        drop(rows);
        drop(numbers);
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            owned: Arc::new(RwLock::new(owned)),
            writes,
            buys: Arc::default(),
        })
    }

    /// Runs `f` on the connection: here and now if the connection is free, as it is unless
    /// a scan or a checkpoint holds it, and then on a blocking thread behind that. `f` also
    /// gets the in-memory owned set to change once the database has changed.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection, &RwLock<NumberSet>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        // The guard must be gone before any await: it cannot cross threads.
        let f = match self.conn.try_lock() {
            Ok(mut conn) => return f(&mut conn, &self.owned),
            // A panic while holding the lock cannot leave SQLite half-written, so go on.
            Err(TryLockError::Poisoned(poisoned)) => {
                return f(&mut poisoned.into_inner(), &self.owned);
            }
            Err(TryLockError::WouldBlock) => f,
        };
        self.scan(f).await
    }

    /// Runs `f` on the connection on a blocking thread, for work whose time grows with the
    /// table; like `run` otherwise.
    async fn scan<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection, &RwLock<NumberSet>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = Arc::clone(&self.conn);
        let owned = Arc::clone(&self.owned);
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut conn, &owned)
        })
        .await?
    }

    /// Counts a committed write, and every [`CHECKPOINT_EVERY`] starts a checkpoint on a
    /// blocking thread. It holds the connection, so no write comes in between: it copies the
    /// whole WAL, and the next write starts the WAL over instead of growing it.
    fn wrote(&self) {
        self.wrote_many(1);
    }

    /// [`Store::wrote`] for `n` writes committed together.
    fn wrote_many(&self, n: u32) {
        let Some(writes) = &self.writes else { return };
        let before = writes.fetch_add(n, Ordering::Relaxed);
        if before / CHECKPOINT_EVERY == (before + n) / CHECKPOINT_EVERY {
            return;
        }
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            // A row of (busy, WAL pages, pages copied); a failure only delays the next one.
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!(error = %e, "checkpointing the emulator state failed");
            }
        });
    }

    /// Records a new owner; `Taken` if anyone owns the number already. Answers once the buy is
    /// committed.
    ///
    /// Group commit: buys that arrive together are committed together, in one transaction by
    /// one task, which takes every buy waiting (after letting the runtime's other ready tasks
    /// add theirs). A commit writes each page it changed to the WAL once, so a thousand buys
    /// at once write the pages they share once instead of a thousand times (a buy alone
    /// changes about ten pages). Each buy is its own statement: one that finds the number
    /// owned (by an earlier buy of the same batch, say) changes nothing and is answered
    /// `Taken`, and the others go on.
    pub async fn insert(&self, number: OwnedNumber) -> Result<OwnedNumber, StoreError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        lock(&self.buys.waiting).push((number, answer));
        if !self.buys.committing.swap(true, Ordering::AcqRel) {
            let store = self.clone();
            tokio::spawn(async move { store.commit_buys().await });
        }
        answered
            .await
            .map_err(|_| StoreError::NotCommitted("the committing task stopped".into()))?
    }

    /// The task of [`Store::insert`]: commits batches until no buy waits.
    async fn commit_buys(&self) {
        loop {
            tokio::task::yield_now().await;
            let batch = std::mem::take(&mut *lock(&self.buys.waiting));
            if batch.is_empty() {
                self.buys.committing.store(false, Ordering::Release);
                // A buy queued since the take saw a task running and left its buy to it: take
                // the work back, unless a newer task already has.
                if lock(&self.buys.waiting).is_empty()
                    || self.buys.committing.swap(true, Ordering::AcqRel)
                {
                    return;
                }
                continue;
            }
            let committed = self
                .run(move |conn, owned| Ok(insert_batch(conn, owned, batch)))
                .await
                .unwrap_or(0);
            if committed > 0 {
                self.wrote_many(committed);
            }
        }
    }

    /// Sets the owner whoever held the number before (the test controls' hammer).
    pub async fn put(&self, number: OwnedNumber) -> Result<OwnedNumber, StoreError> {
        let put = self
            .run(move |conn, owned| {
                let tx = conn.transaction()?;
                tx.prepare_cached("DELETE FROM owned_numbers WHERE e164 = ?1")?
                    .execute([&number.e164])?;
                insert_row(&tx, INSERT, &number)?;
                tx.commit()?;
                write_lock(owned).insert(&number.e164);
                Ok(number)
            })
            .await?;
        self.wrote();
        Ok(put)
    }

    pub async fn get(&self, e164: &str) -> Result<Option<OwnedNumber>, StoreError> {
        self.query_one(SELECT_BY_E164, e164).await
    }

    pub async fn get_by_sid(&self, sid: &str) -> Result<Option<OwnedNumber>, StoreError> {
        self.query_one(SELECT_BY_SID, sid).await
    }

    async fn query_one(
        &self,
        sql: &'static str,
        value: &str,
    ) -> Result<Option<OwnedNumber>, StoreError> {
        let value = value.to_owned();
        self.run(move |conn, _| {
            let row = conn
                .prepare_cached(sql)?
                .query_row([value], raw_row)
                .optional()?;
            row.map(RawRow::parse).transpose()
        })
        .await
    }

    /// Numbers an owner holds, oldest purchase first; `None` lists everyone's.
    pub async fn list(&self, owner: Option<&str>) -> Result<Vec<OwnedNumber>, StoreError> {
        let owner = owner.map(str::to_owned);
        self.scan(move |conn, _| {
            let mut stmt = conn.prepare_cached(SELECT_ALL)?;
            let rows = stmt
                .query_map([owner], raw_row)?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter().map(RawRow::parse).collect()
        })
        .await
    }

    /// Calls `f` with every owned number, to hide them from searches. From memory: no query,
    /// no copy; writes wait until `f` returns.
    pub fn with_owned<R>(&self, f: impl FnOnce(&NumberSet) -> R) -> R {
        // Writers change the set only after a successful write, so a poisoned lock is whole.
        let owned = self
            .owned
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&owned)
    }

    /// Applies `changes` if `owner` holds the number; returns the number as it now is.
    pub async fn update(
        &self,
        e164: &str,
        owner: &str,
        changes: NumberChanges,
    ) -> Result<Option<OwnedNumber>, StoreError> {
        let (e164, owner) = (e164.to_owned(), owner.to_owned());
        let updated = self
            .run(move |conn, _| {
                let tx = conn.transaction()?;
                let row = tx
                    .prepare_cached(SELECT_OWNED_BY)?
                    .query_row([&e164, &owner], raw_row)
                    .optional()?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let mut number = row.parse()?;
                number.friendly_name = changes.friendly_name.or(number.friendly_name);
                number.voice_url = changes.voice_url.or(number.voice_url);
                number.app_id = changes.app_id.or(number.app_id);
                number.settings.extend(changes.settings);
                number.updated_at = Timestamp::now();
                tx.prepare_cached(
                    "UPDATE owned_numbers SET friendly_name = ?2, voice_url = ?3, app_id = ?4, settings = ?5, updated_at = ?6 WHERE e164 = ?1",
                )?
                .execute(params![
                    number.e164,
                    number.friendly_name,
                    number.voice_url,
                    number.app_id,
                    settings_json(&number.settings)?,
                    number.updated_at.to_string(),
                ])?;
                tx.commit()?;
                Ok(Some(number))
            })
            .await?;
        if updated.is_some() {
            self.wrote();
        }
        Ok(updated)
    }

    /// Frees a number; only if `owner` holds it, unless `owner` is `None`.
    pub async fn release(&self, e164: &str, owner: Option<&str>) -> Result<bool, StoreError> {
        let (e164, owner) = (e164.to_owned(), owner.map(str::to_owned));
        let released = self
            .run(move |conn, owned| {
                let deleted = conn
                    .prepare_cached(
                        "DELETE FROM owned_numbers WHERE e164 = ?1 AND (?2 IS NULL OR owner = ?2)",
                    )?
                    .execute(params![e164, owner])?;
                if deleted > 0 {
                    write_lock(owned).remove(&e164);
                }
                Ok(deleted > 0)
            })
            .await?;
        if released {
            self.wrote();
        }
        Ok(released)
    }

    /// Forgets every owner.
    pub async fn clear(&self) -> Result<(), StoreError> {
        self.scan(|conn, owned| {
            conn.execute_batch(
                "DELETE FROM owned_numbers; DELETE FROM held_numbers; \
                 DELETE FROM telnyx_orders; DELETE FROM telnyx_reservations;",
            )?;
            write_lock(owned).clear();
            Ok(())
        })
        .await
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write_lock(owned: &RwLock<NumberSet>) -> std::sync::RwLockWriteGuard<'_, NumberSet> {
    owned
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
