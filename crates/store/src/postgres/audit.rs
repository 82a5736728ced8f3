//! The audit log on PostgreSQL: rows written through a lane (the rows of concurrent requests
//! in one multi-row insert and one commit, each request answered after that commit), pages
//! read through the pool, old rows deleted in bounded batches.

use super::PgStore;
use super::db::{Args, Db, values};
use super::lane::Lane;
use crate::faults::StoreFaults;
use crate::queries as q;
use crate::rows::{self, ms};
use crate::{AuditEvent, AuditFilter, AuditStore, NewAuditEvent, Page, StoreResult};
use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Object, Pool};
use dialnexa_domain::WorkspaceId;
use jiff::Timestamp;
use std::sync::Arc;
use tokio_postgres::types::ToSql;

pub(super) type Audits = Lane<NewAuditEvent, ()>;

/// How many batches of audit rows may commit at once.
const WORKERS: usize = 2;

pub(super) fn audits(pool: Pool, faults: Arc<StoreFaults>) -> Audits {
    Lane::start(pool, WORKERS, move |c, batch| {
        let faults = faults.clone();
        async move {
            faults.commit()?;
            insert_batch(&c, batch).await
        }
    })
}

/// The batch in one statement; should it fail as a whole (one bad row), each row alone, so
/// one row's fault is not every row's.
async fn insert_batch(c: &Object, batch: Vec<NewAuditEvent>) -> StoreResult<Vec<StoreResult<()>>> {
    let n = batch.len();
    if n > 1 {
        let rows: Vec<&NewAuditEvent> = batch.iter().collect();
        if insert_rows(c, &rows).await.is_ok() {
            return Ok((0..n).map(|_| Ok(())).collect());
        }
    }
    let mut out = Vec::with_capacity(n);
    for event in &batch {
        out.push(insert_one(c, event).await);
    }
    Ok(out)
}

/// One row in a statement of its own.
pub(super) async fn insert_one(c: &Object, event: &NewAuditEvent) -> StoreResult<()> {
    Db::client(c)
        .exec(q::INSERT_AUDIT, &values(&q::audit_args(event)))
        .await
        .map(drop)
}

/// Rows in one multi-row insert, on a connection or inside a transaction.
pub(super) async fn insert_rows<C: GenericClient>(
    c: &C,
    rows: &[&NewAuditEvent],
) -> Result<u64, tokio_postgres::Error> {
    let columns = Columns::of(rows);
    let statement = c.prepare_cached(q::INSERT_AUDIT_BATCH).await?;
    c.execute(&statement, &columns.params()).await
}

/// Audit rows as one array per column, in `INSERT_AUDIT_BATCH`'s order.
pub(super) struct Columns {
    text: [Vec<Option<String>>; 13],
    occurred: Vec<i64>,
}

impl Columns {
    pub(super) fn of(rows: &[&NewAuditEvent]) -> Columns {
        let text =
            |f: fn(&NewAuditEvent) -> Option<String>| rows.iter().map(|e| f(e)).collect::<Vec<_>>();
        Columns {
            text: [
                text(|e| Some(e.id.as_str().to_owned())),
                text(|e| Some(e.workspace_id.as_str().to_owned())),
                text(|e| Some(e.actor_type.clone())),
                text(|e| e.actor_id.clone()),
                text(|e| e.api_key_id.clone()),
                text(|e| e.ip.clone()),
                text(|e| e.request_id.clone()),
                text(|e| Some(e.action.clone())),
                text(|e| Some(e.resource_type.clone())),
                text(|e| e.resource_id.clone()),
                text(|e| Some(e.outcome.clone())),
                text(|e| e.error_code.clone()),
                text(|e| Some(e.detail.clone())),
            ],
            occurred: rows.iter().map(|e| ms(e.occurred_at)).collect(),
        }
    }

    /// The 14 arguments, the third the times.
    pub(super) fn params(&self) -> [&(dyn ToSql + Sync); 14] {
        let t = &self.text;
        [
            &t[0],
            &t[1],
            &self.occurred,
            &t[2],
            &t[3],
            &t[4],
            &t[5],
            &t[6],
            &t[7],
            &t[8],
            &t[9],
            &t[10],
            &t[11],
            &t[12],
        ]
    }
}

#[async_trait]
impl AuditStore for PgStore {
    async fn insert_audit_event(&self, event: &NewAuditEvent) -> StoreResult<()> {
        self.audits.ask(event.clone()).await
    }

    async fn list_audit_events(
        &self,
        workspace: &WorkspaceId,
        filter: &AuditFilter,
        page: Page,
    ) -> StoreResult<(Vec<AuditEvent>, u64)> {
        let list = q::audit_list(workspace, filter, page);
        let c = self.conn().await?;
        let db = Db::client(&c);
        let total = db
            .one(&list.count_sql, &values(&list.args), |row| row.int(0))
            .await?;
        let events = db
            .all(&list.page_sql, &values(&list.page_args), rows::audit_event)
            .await?;
        Ok((events, total.unwrap_or(0).max(0) as u64))
    }

    async fn delete_audit_events_before(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        let args: Args = &[&ms(before), &i64::from(limit)];
        self.write_exec(q::DELETE_OLD_AUDIT, args).await
    }
}
