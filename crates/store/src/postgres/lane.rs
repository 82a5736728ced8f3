//! A lane: one connection of its own and one task that takes every request waiting and serves
//! them all with one statement, then goes again for those that arrived meanwhile. It is the
//! PostgreSQL side of the group commit the SQLite writer does: under a burst, a thousand
//! purchase claims become a few multi-row INSERTs and a few commits instead of a thousand of
//! each, and they never queue behind the reads waiting for the pool. Alone, a request costs one
//! round trip, as it would through the pool.

use crate::{StoreError, StoreResult};
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// The most requests one statement carries; more wait for the next.
const MAX_BATCH: usize = 1_000;

/// The lane's connection, with its statements prepared once.
pub(super) struct LaneConn {
    pub client: tokio_postgres::Client,
    pub statements: Vec<tokio_postgres::Statement>,
}

type Ask<Req, Out> = (Req, oneshot::Sender<StoreResult<Out>>);

pub(super) struct Lane<Req, Out> {
    asks: Mutex<Option<mpsc::UnboundedSender<Ask<Req, Out>>>>,
}

impl<Req: Send + 'static, Out: Send + 'static> Lane<Req, Out> {
    /// Start the lane's task. `sql` is prepared on every connection the lane opens; `run`
    /// answers a batch (one result per request, in order), or fails it as a whole.
    pub(super) fn start<F, Fut>(
        config: tokio_postgres::Config,
        sql: Vec<&'static str>,
        run: F,
    ) -> Self
    where
        F: Fn(Arc<LaneConn>, Vec<Req>) -> Fut + Send + 'static,
        Fut: Future<Output = StoreResult<Vec<StoreResult<Out>>>> + Send + 'static,
    {
        let (asks, queue) = mpsc::unbounded_channel();
        tokio::spawn(serve(config, sql, queue, run));
        Lane {
            asks: Mutex::new(Some(asks)),
        }
    }

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

async fn connect(
    config: &tokio_postgres::Config,
    sql: &[&str],
) -> Result<LaneConn, tokio_postgres::Error> {
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "a store lane's connection ended");
        }
    });
    let mut statements = Vec::with_capacity(sql.len());
    for text in sql {
        statements.push(client.prepare(text).await?);
    }
    Ok(LaneConn { client, statements })
}

async fn serve<Req, Out, F, Fut>(
    config: tokio_postgres::Config,
    sql: Vec<&'static str>,
    mut queue: mpsc::UnboundedReceiver<Ask<Req, Out>>,
    run: F,
) where
    F: Fn(Arc<LaneConn>, Vec<Req>) -> Fut,
    Fut: Future<Output = StoreResult<Vec<StoreResult<Out>>>>,
{
    let mut conn: Option<Arc<LaneConn>> = None;
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(ask) => batch.push(ask),
                Err(_) => break,
            }
        }
        let (reqs, answers): (Vec<Req>, Vec<_>) = batch.into_iter().unzip();
        if conn.as_ref().is_none_or(|c| c.client.is_closed()) {
            conn = match connect(&config, &sql).await {
                Ok(c) => Some(Arc::new(c)),
                Err(e) => {
                    let e = super::db::err(e);
                    for answer in answers {
                        let _ = answer.send(Err(e.clone()));
                    }
                    continue;
                }
            };
        }
        let c = conn.clone().expect("connected above");
        match run(c, reqs).await {
            Ok(results) => {
                for (answer, result) in answers.into_iter().zip(results) {
                    let _ = answer.send(result);
                }
            }
            Err(e) => {
                if matches!(e, StoreError::Unavailable(_)) {
                    conn = None;
                }
                for answer in answers {
                    let _ = answer.send(Err(e.clone()));
                }
            }
        }
    }
}
