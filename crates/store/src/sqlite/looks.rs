//! Looks at the database's `data_version` (the change token) and the key revocation count,
//! which every authenticated request needs, batched the way the PostgreSQL token reads are
//! (`postgres/tokens.rs`): a look is a read transaction, whose WAL lock and unlock are two
//! `fcntl` calls, and once a request cost a tenth of `get`. One task takes every request
//! waiting, looks once, answers them all, and goes again for those that asked meanwhile. Each
//! answer comes from a look that started after its request asked, so it is never older than
//! the request.

use super::conn::{self, open};
use crate::{StoreError, StoreResult};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// What one look saw: the `data_version` and the count of key revocations.
pub(super) type Seen = (u64, u64);

type Ask = oneshot::Sender<StoreResult<Seen>>;

/// The probe: a connection kept for `PRAGMA data_version`, so its answers compare over time
/// (each connection counts on its own), opened on first use, with the revocation count and
/// the version it was read at.
#[derive(Default)]
struct Probe {
    conn: Option<Connection>,
    revocations: Option<(u64, u64)>,
}

enum State {
    /// No look asked for yet: the task starts with the first (a store may be opened outside
    /// a runtime).
    Idle,
    Running(mpsc::UnboundedSender<Ask>),
    Closed,
}

pub(super) struct Looks {
    path: PathBuf,
    probe: Arc<Mutex<Probe>>,
    state: Mutex<State>,
}

impl Looks {
    pub(super) fn new(path: PathBuf) -> Looks {
        Looks {
            path,
            probe: Arc::default(),
            state: Mutex::new(State::Idle),
        }
    }

    /// The version and the revocation count, from a look that started after this call.
    pub(super) async fn look(&self) -> StoreResult<Seen> {
        let (answer, answered) = oneshot::channel();
        {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let unsent = match &*state {
                State::Running(asks) => asks.send(answer).err().map(|e| e.0),
                State::Idle => Some(answer),
                State::Closed => {
                    return Err(StoreError::Unavailable("the store is closed".into()));
                }
            };
            // Not started yet, or its runtime has gone (a store used from a runtime after
            // another): a task on this one.
            if let Some(answer) = unsent {
                let (asks, queue) = mpsc::unbounded_channel();
                tokio::spawn(serve(self.path.clone(), self.probe.clone(), queue));
                let _ = asks.send(answer);
                *state = State::Running(asks);
            }
        }
        answered
            .await
            .map_err(|_| StoreError::Unavailable("the store is closed".into()))?
    }

    /// Ends the task (after the looks already asked for) and closes the probe.
    pub(super) fn close(&self) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = State::Closed;
        *self.probe.lock().unwrap_or_else(|p| p.into_inner()) = Probe::default();
    }
}

async fn serve(path: PathBuf, probe: Arc<Mutex<Probe>>, mut queue: mpsc::UnboundedReceiver<Ask>) {
    while let Some(first) = queue.recv().await {
        // The requests already running on this thread reach their ask first (the task woken
        // by an ask would otherwise run next, and look for that one request alone).
        tokio::task::yield_now().await;
        let mut batch = vec![first];
        while let Ok(ask) = queue.try_recv() {
            batch.push(ask);
        }
        let seen = look(&path, &probe);
        for answer in batch {
            let _ = answer.send(seen.clone());
        }
    }
}

/// One look: the version, and the revocation count read again only when the version moved
/// since it was last read (every commit of another connection moves it: this process's writer,
/// or another process's).
fn look(path: &Path, probe: &Mutex<Probe>) -> StoreResult<Seen> {
    let mut probe = probe.lock().unwrap_or_else(|p| p.into_inner());
    let conn = match probe.conn.take() {
        Some(conn) => conn,
        None => open(path, true)?,
    };
    // The probe never writes, so its `data_version` moves only with others' commits.
    let version =
        conn::one(&conn, "PRAGMA data_version", &[], |row| row.int(0))?.unwrap_or_default() as u64;
    let count = match probe.revocations {
        Some((seen, count)) if seen == version => count,
        _ => {
            // Read after the version: a commit in between moves the version again, and the
            // next look reads the count anew.
            let count = conn::one(
                &conn,
                crate::queries::sessions::KEY_REVOCATIONS,
                &[],
                |row| row.int(0),
            )?
            .unwrap_or_default()
            .max(0) as u64;
            probe.revocations = Some((version, count));
            count
        }
    };
    probe.conn = Some(conn);
    Ok((version, count))
}
