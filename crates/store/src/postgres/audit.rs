//! The audit log on PostgreSQL: one autocommit insert per row (answered after its commit),
//! pages read through the pool, old rows deleted in bounded batches.

use super::PgStore;
use super::db::{Args, Db, values};
use crate::queries as q;
use crate::rows::{self, ms};
use crate::{AuditEvent, AuditFilter, AuditStore, NewAuditEvent, Page, StoreResult};
use async_trait::async_trait;
use dialnexa_domain::WorkspaceId;
use jiff::Timestamp;

#[async_trait]
impl AuditStore for PgStore {
    async fn insert_audit_event(&self, event: &NewAuditEvent) -> StoreResult<()> {
        self.write_exec(q::INSERT_AUDIT, &values(&q::audit_args(event)))
            .await
            .map(drop)
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
