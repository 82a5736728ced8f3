//! The audit log on SQLite: rows written through the group-committing writer, pages read in
//! place, old rows deleted in bounded batches.

use super::SqliteStore;
use super::conn::{Args, all, exec, one, values};
use crate::queries as q;
use crate::rows::{self, ms};
use crate::{AuditEvent, AuditFilter, AuditStore, NewAuditEvent, Page, StoreResult};
use async_trait::async_trait;
use dialnexa_domain::WorkspaceId;
use jiff::Timestamp;

#[async_trait]
impl AuditStore for SqliteStore {
    async fn insert_audit_event(&self, event: &NewAuditEvent) -> StoreResult<()> {
        let args = q::audit_args(event);
        self.write(move |c| exec(c, q::INSERT_AUDIT, &values(&args)).map(drop))
            .await
    }

    async fn list_audit_events(
        &self,
        workspace: &WorkspaceId,
        filter: &AuditFilter,
        page: Page,
    ) -> StoreResult<(Vec<AuditEvent>, u64)> {
        let list = q::audit_list(workspace, filter, page);
        self.read(|c| {
            let total = one(c, &list.count_sql, &values(&list.args), |row| row.int(0))?;
            let events = all(
                c,
                &list.page_sql,
                &values(&list.page_args),
                rows::audit_event,
            )?;
            Ok((events, total.unwrap_or(0).max(0) as u64))
        })
    }

    async fn delete_audit_events_before(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        self.write(move |c| {
            let args: Args = &[&ms(before), &i64::from(limit)];
            exec(c, q::DELETE_OLD_AUDIT, args).map(|n| n as u64)
        })
        .await
    }
}
