//! Change tokens on PostgreSQL: per workspace, the sum of its `workspace_changes` slots, which
//! triggers move in the transaction of every change to a number or its SIP trunk (migration
//! 0006), whichever server made it.
//!
//! Every kept answer is checked against a token read after its request arrived, so one read per
//! request would put a database round trip on every cached GET. Reads are batched instead, the
//! way a group commit batches writes: one task on a connection of its own takes every request
//! waiting, reads all their workspaces' tokens in one query, answers them, and goes again for
//! the requests that arrived meanwhile. A token is therefore never older than its request.
//! The count of API key revocations (migration 0013), which every request's authentication
//! checks, rides along in the same query, and every ask is answered with both.

use crate::{StoreError, StoreResult, WorkspaceId};
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::{mpsc, oneshot};

const TOKENS: &str = "SELECT workspace_id, CAST(SUM(n) AS BIGINT) FROM workspace_changes \
     WHERE workspace_id = ANY($1) GROUP BY workspace_id \
     UNION ALL SELECT '', n FROM key_revocations WHERE id = 1";

type Ask = (WorkspaceId, oneshot::Sender<StoreResult<TokenRead>>);

/// What one ask learns: its workspace's change token and the count of key revocations, read in
/// the same query.
#[derive(Debug, Clone, Copy)]
pub(super) struct TokenRead {
    pub(super) token: u64,
    pub(super) revocations: u64,
}

/// The revocation count's row in the query's answer (no workspace's id is empty).
const REVOCATIONS_ROW: &str = "";

pub(super) struct TokenReader {
    asks: Mutex<Option<mpsc::UnboundedSender<Ask>>>,
}

impl TokenReader {
    pub(super) fn start(config: tokio_postgres::Config) -> TokenReader {
        let (asks, queue) = mpsc::unbounded_channel();
        tokio::spawn(serve(config, queue));
        TokenReader {
            asks: Mutex::new(Some(asks)),
        }
    }

    pub(super) async fn read(&self, workspace: &WorkspaceId) -> StoreResult<TokenRead> {
        let (answer, answered) = oneshot::channel();
        let sent = self
            .asks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|asks| asks.send((workspace.clone(), answer)));
        if !matches!(sent, Some(Ok(()))) {
            return Err(StoreError::Unavailable("the store is closed".into()));
        }
        answered
            .await
            .map_err(|_| StoreError::Unavailable("the token reader has stopped".into()))?
    }

    /// The count of API key revocations alone, asked for as the workspace with the empty id.
    pub(super) async fn revocations(&self) -> StoreResult<u64> {
        let read = self
            .read(&WorkspaceId::from_trusted(REVOCATIONS_ROW.to_owned()))
            .await?;
        Ok(read.revocations)
    }

    pub(super) fn stop(&self) {
        self.asks.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

struct Reader {
    client: tokio_postgres::Client,
    statement: tokio_postgres::Statement,
}

async fn connect(config: &tokio_postgres::Config) -> Result<Reader, tokio_postgres::Error> {
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "the token reader's connection ended");
        }
    });
    let statement = client.prepare(TOKENS).await?;
    Ok(Reader { client, statement })
}

async fn serve(config: tokio_postgres::Config, mut queue: mpsc::UnboundedReceiver<Ask>) {
    let mut reader: Option<Reader> = None;
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while let Ok(ask) = queue.try_recv() {
            batch.push(ask);
        }
        let tokens = read(&config, &mut reader, &batch).await;
        let revocations =
            |tokens: &HashMap<String, u64>| tokens.get(REVOCATIONS_ROW).copied().unwrap_or(0);
        for (workspace, answer) in batch {
            let _ = answer.send(match &tokens {
                Ok(tokens) => Ok(TokenRead {
                    token: tokens.get(workspace.as_str()).copied().unwrap_or(0),
                    revocations: revocations(tokens),
                }),
                Err(e) => Err(e.clone()),
            });
        }
    }
}

async fn read(
    config: &tokio_postgres::Config,
    reader: &mut Option<Reader>,
    batch: &[Ask],
) -> StoreResult<HashMap<String, u64>> {
    if reader.as_ref().is_none_or(|r| r.client.is_closed()) {
        *reader = Some(connect(config).await.map_err(super::db::err)?);
    }
    let r = reader.as_ref().expect("connected above");
    let mut ids: Vec<&str> = batch.iter().map(|(w, _)| w.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    match r.client.query(&r.statement, &[&ids]).await {
        Ok(rows) => rows
            .iter()
            .map(|row| {
                let n: i64 = row.try_get(1).map_err(super::db::err)?;
                Ok((row.try_get(0).map_err(super::db::err)?, n.max(0) as u64))
            })
            .collect(),
        Err(e) => {
            *reader = None;
            Err(super::db::err(e))
        }
    }
}
