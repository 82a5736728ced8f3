//! A lane: a few tasks that each take every request waiting and serve them all with one
//! statement on a pooled connection, then go again for those that arrived meanwhile. It is the
//! PostgreSQL side of the group commit the SQLite writer does: under a burst, a thousand
//! purchase claims become a few multi-row INSERTs and a few commits instead of a thousand of
//! each. Several batches run at once (one per task), so a slow commit does not hold up the
//! next batch, and PostgreSQL still merges their flushes. Alone, a request costs one round
//! trip, as it would without the lane.

use crate::{StoreError, StoreResult};
use deadpool_postgres::{Object, Pool};
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// The most requests one statement carries; more wait for the next.
const MAX_BATCH: usize = 1_000;

type Ask<Req, Out> = (Req, oneshot::Sender<StoreResult<Out>>);
type Queue<Req, Out> = Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Ask<Req, Out>>>>;

pub(super) struct Lane<Req, Out> {
    asks: Mutex<Option<mpsc::UnboundedSender<Ask<Req, Out>>>>,
}

impl<Req: Send + 'static, Out: Send + 'static> Lane<Req, Out> {
    /// Start `workers` tasks serving the lane from `pool`. `run` answers a batch (one result
    /// per request, in order), or fails it as a whole.
    pub(super) fn start<F, Fut>(pool: Pool, workers: usize, run: F) -> Self
    where
        F: Fn(Object, Vec<Req>) -> Fut + Clone + Send + 'static,
        Fut: Future<Output = StoreResult<Vec<StoreResult<Out>>>> + Send + 'static,
    {
        let (asks, queue) = mpsc::unbounded_channel();
        let queue: Queue<Req, Out> = Arc::new(tokio::sync::Mutex::new(queue));
        for _ in 0..workers.max(1) {
            tokio::spawn(serve(pool.clone(), queue.clone(), run.clone()));
        }
        Lane {
            asks: Mutex::new(Some(asks)),
        }
    }

    /// Its span, on the caller's task, covers the wait for the batch that carries `req`.
    #[tracing::instrument(level = "debug", name = "store.batch", skip_all, fields(db.system = "postgresql"))]
    pub(super) async fn ask(&self, req: Req) -> StoreResult<Out> {
        let (answer, answered) = oneshot::channel();
        let sent = self
            .asks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|asks| asks.send((req, answer)).is_ok());
        if sent != Some(true) {
            return Err(StoreError::Unavailable("the store is closed".into()));
        }
        answered
            .await
            .map_err(|_| StoreError::Unavailable("the store's lane has stopped".into()))?
    }

    pub(super) fn stop(&self) {
        self.asks.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

/// The next batch: the first request to arrive and every one waiting behind it.
async fn next_batch<Req, Out>(queue: &Queue<Req, Out>) -> Option<Vec<Ask<Req, Out>>> {
    let mut queue = queue.lock().await;
    let first = queue.recv().await?;
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match queue.try_recv() {
            Ok(ask) => batch.push(ask),
            Err(_) => break,
        }
    }
    Some(batch)
}

async fn serve<Req, Out, F, Fut>(pool: Pool, queue: Queue<Req, Out>, run: F)
where
    F: Fn(Object, Vec<Req>) -> Fut,
    Fut: Future<Output = StoreResult<Vec<StoreResult<Out>>>>,
{
    while let Some(batch) = next_batch(&queue).await {
        let (reqs, answers): (Vec<Req>, Vec<_>) = batch.into_iter().unzip();
        let results = match pool.get().await {
            Ok(conn) => run(conn, reqs).await,
            Err(e) => Err(super::db::pool_err(e)),
        };
        match results {
            Ok(results) => {
                debug_assert_eq!(results.len(), answers.len());
                for (answer, result) in answers.into_iter().zip(results) {
                    let _ = answer.send(result);
                }
            }
            Err(e) => {
                for answer in answers {
                    let _ = answer.send(Err(e.clone()));
                }
            }
        }
    }
}
