//! Dashboard sessions and the key-revocation counter, on PostgreSQL. The counter is read by
//! the batched token reader (`tokens`), so checking it costs a request a share of one query.

use super::PgStore;
use super::db::Args;
use crate::queries::sessions as q;
use crate::rows::{ms, ts};
use crate::{NewSession, SessionRecord, SessionStore, StoreResult};
use async_trait::async_trait;
use dialnexa_domain::{ApiKeyId, WorkspaceId};
use jiff::Timestamp;

#[async_trait]
impl SessionStore for PgStore {
    async fn insert_session(&self, new: &NewSession) -> StoreResult<()> {
        let args: Args = &[
            &new.id_hash,
            &new.workspace_id.as_str(),
            &new.api_key_id.as_str(),
            &ms(new.created_at),
            &ms(new.expires_at),
        ];
        self.write_exec(q::INSERT_SESSION, args).await.map(drop)
    }

    async fn session(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<SessionRecord>> {
        let args: Args = &[&id_hash, &ms(now)];
        self.read_one(q::SESSION, args, |row| {
            Ok(SessionRecord {
                workspace_id: WorkspaceId::from_trusted(row.text(0)?),
                api_key_id: ApiKeyId::from_trusted(row.text(1)?),
                expires_at: ts(row.int(2)?)?,
            })
        })
        .await
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        self.write_exec(q::DELETE_SESSION, &[&id_hash])
            .await
            .map(drop)
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        self.write_exec(q::DELETE_EXPIRED_SESSIONS, &[&ms(now)])
            .await
    }

    async fn key_revocations(&self) -> StoreResult<u64> {
        self.tokens.revocations().await
    }
}
