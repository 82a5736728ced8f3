//! Dashboard sessions and the key-revocation counter, on SQLite.

use super::SqliteStore;
use super::conn::exec;
use crate::queries::sessions as q;
use crate::rows::{ms, ts};
use crate::{NewSession, SessionRecord, SessionStore, StoreResult};
use async_trait::async_trait;
use dialnexa_domain::{ApiKeyId, WorkspaceId};
use jiff::Timestamp;

#[async_trait]
impl SessionStore for SqliteStore {
    async fn insert_session(&self, new: &NewSession) -> StoreResult<()> {
        let new = new.clone();
        self.write(move |c| {
            let args: super::conn::Args = &[
                &new.id_hash,
                &new.workspace_id.as_str(),
                &new.api_key_id.as_str(),
                &ms(new.created_at),
                &ms(new.expires_at),
            ];
            exec(c, q::INSERT_SESSION, args).map(drop)
        })
        .await
    }

    async fn session(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<SessionRecord>> {
        self.read_one(q::SESSION, &[&id_hash, &ms(now)], |row| {
            Ok(SessionRecord {
                workspace_id: WorkspaceId::from_trusted(row.text(0)?),
                api_key_id: ApiKeyId::from_trusted(row.text(1)?),
                expires_at: ts(row.int(2)?)?,
            })
        })
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        let id_hash = id_hash.to_owned();
        self.write(move |c| exec(c, q::DELETE_SESSION, &[&id_hash]).map(drop))
            .await
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        self.write(move |c| exec(c, q::DELETE_EXPIRED_SESSIONS, &[&ms(now)]).map(|n| n as u64))
            .await
    }

    async fn key_revocations(&self) -> StoreResult<u64> {
        Ok(self.looks.look().await?.1)
    }
}
