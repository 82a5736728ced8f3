//! Group commit: every write of the process goes to one thread, which takes all that are
//! waiting, runs them in one `BEGIN IMMEDIATE … COMMIT`, each inside a savepoint so a failing
//! one (a claim that lost its race) is undone alone, and then answers each. A commit costs
//! about the same for one write as for a hundred, so under load the cost of a write falls with
//! the number in flight: while one batch commits, the next gathers.
//!
//! A write is answered only once its batch has committed. When the commit fails (a full or
//! read-only disk, an I/O error), every write of the batch is answered with that error, the
//! transaction is rolled back and the connection reopened for the next batch; a savepoint that
//! cannot be undone fails the whole batch the same way, so no write is ever kept that its
//! caller was told failed, or answered as done that is not on the disk.

use super::Faults;
use super::conn::{in_savepoint, open, run};
use crate::{StoreError, StoreResult};
use rusqlite::Connection;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc;

/// A write waiting for the next batch: it runs inside the batch's transaction (or is told why
/// it could not) and returns how to answer its caller once the batch has committed or failed.
/// Besides its reply, a job that ran says whether the transaction is still sound: `Some` when a
/// savepoint could not be undone, and the whole batch must be rolled back.
type Job = Box<dyn FnOnce(Result<&Connection, &StoreError>) -> (Reply, Option<StoreError>) + Send>;
/// The answer of one write, given the batch's error if it did not commit.
type Reply = Box<dyn FnOnce(Option<&StoreError>) + Send>;

/// The most writes one transaction carries; more wait for the next.
const MAX_BATCH: usize = 512;

pub(super) struct Writer {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
}

impl Writer {
    pub(super) fn start(path: PathBuf, faults: Faults) -> StoreResult<Writer> {
        let (jobs, queue) = mpsc::channel();
        // A thread rather than a task of the runtime, so that a write starts as soon as it is
        // asked for even when thousands of requests are queued on the runtime.
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer(path, faults, queue))
            .map_err(|e| StoreError::Other(format!("cannot start the SQLite writer: {e}")))?;
        Ok(Writer {
            jobs: Mutex::new(Some(jobs)),
        })
    }

    /// No more writes: the thread finishes what is queued and ends.
    pub(super) fn stop(&self) {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    /// Run `f` as one all-or-nothing unit of the next batch, and answer once that batch is
    /// committed: `f`'s value, or its error (its changes undone, the batch's others kept), or
    /// the commit's error (nothing of the batch kept). A caller that stops waiting does not
    /// stop the write.
    pub(super) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let (result, doubt) = match conn {
                // Its own error undoes its savepoint and the batch goes on; a savepoint that
                // cannot be undone leaves the transaction in doubt, and the batch is rolled back.
                Ok(conn) => match in_savepoint(conn, f) {
                    Ok(result) => (result, None),
                    Err(e) => (Err(e.clone()), Some(e)),
                },
                Err(e) => (Err(e.clone()), None),
            };
            let reply: Reply = Box::new(move |batch_error: Option<&StoreError>| {
                let result = match batch_error {
                    Some(e) => Err(e.clone()),
                    None => result,
                };
                let _ = answer.send(result);
            });
            (reply, doubt)
        });
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|jobs| jobs.send(job));
        if !matches!(sent, Some(Ok(()))) {
            return Err(StoreError::Unavailable("the store is closed".into()));
        }
        answered
            .await
            .map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".into()))?
    }
}

fn writer(path: PathBuf, faults: Faults, queue: mpsc::Receiver<Job>) {
    let mut conn: Option<Connection> = None;
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&path, &faults, &mut conn, batch);
    }
}

/// Tell every job of a batch that could not run why, without running it.
fn refuse(batch: Vec<Job>, error: &StoreError) {
    tracing::warn!(%error, writes = batch.len(), "a batch of SQLite writes could not start");
    for job in batch {
        job(Err(error)).0(Some(error));
    }
}

/// Run and commit one batch, then answer each of its jobs.
fn commit_batch(
    path: &std::path::Path,
    faults: &Faults,
    slot: &mut Option<Connection>,
    batch: Vec<Job>,
) {
    if slot.is_none() {
        match open(path, false) {
            Ok(c) => *slot = Some(c),
            Err(e) => return refuse(batch, &e),
        }
    }
    let c = slot.as_ref().expect("opened above");
    if let Err(e) = run(c, "BEGIN IMMEDIATE") {
        *slot = None;
        return refuse(batch, &e);
    }
    let mut replies: Vec<Reply> = Vec::with_capacity(batch.len());
    let mut doubt: Option<StoreError> = None;
    for job in batch {
        let (reply, failed) = match &doubt {
            None => job(Ok(c)),
            Some(e) => job(Err(e)),
        };
        replies.push(reply);
        // SQLite ends the transaction by itself after some errors (a full disk, say): the
        // writes before would then be lost without a commit to fail.
        doubt = doubt.or(failed).or_else(|| {
            c.is_autocommit()
                .then(|| StoreError::Unavailable("SQLite rolled the transaction back".into()))
        });
    }
    let outcome = match doubt {
        Some(e) => Err(e),
        None => faults.commit().and_then(|()| run(c, "COMMIT")),
    };
    let error = outcome.err();
    if let Some(error) = &error {
        let _ = run(c, "ROLLBACK");
        // After an I/O error the connection's view of the file is not to be trusted.
        *slot = None;
        tracing::warn!(%error, writes = replies.len(), "a batch of SQLite writes did not commit");
    }
    for reply in replies {
        reply(error.as_ref());
    }
}
