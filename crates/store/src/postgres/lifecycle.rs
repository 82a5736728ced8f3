//! A live number's changes after purchase on PostgreSQL: partial updates (with their outbox
//! event), the workspace default, and the release saga's three writes (claim, finish, abandon).

use super::PgStore;
use super::agents::{agent_exists, number_state};
use super::db::{Args, Db, err, values};
use super::numbers::{insert_event, number_by_id};
use crate::queries as q;
use crate::rows::{self, ms};
use crate::{
    DefaultRefused, LifecycleStore, NewEvent, NumberChanges, NumberEvent, PhoneNumberRecord,
    ReleaseClaim, StoreError, StoreResult, UpdateRefused, Workspace, WorkspaceStore,
};
use async_trait::async_trait;
use dialnexa_domain::{NumberStatus, PhoneNumberId, WorkspaceId};
use jiff::Timestamp;

#[async_trait]
impl LifecycleStore for PgStore {
    async fn update_number(
        &self,
        workspace: &WorkspaceId,
        id: &PhoneNumberId,
        changes: &NumberChanges,
        now: Timestamp,
        event: &NumberEvent,
    ) -> StoreResult<Result<PhoneNumberRecord, UpdateRefused>> {
        let update = q::number_update(workspace, id, changes, now);
        let args = values(&update.args);
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(err)?;
        let db = Db::tx(&tx);
        if let Some(record) = db.one(&update.sql, &args, rows::number).await? {
            insert_event(db, &record.workspace_id, &event.for_row(&record), now).await?;
            self.commit(tx).await?;
            return Ok(Ok(record));
        }
        // Nothing written: end the transaction, then read why.
        let _ = tx.rollback().await;
        let db = Db::client(&c);
        match number_state(db, workspace, id).await? {
            None => Ok(Err(UpdateRefused::NumberNotFound)),
            Some((status, _)) if !status.holds_number() => {
                Ok(Err(UpdateRefused::NumberNotLive(status)))
            }
            Some(_) => {
                for agent in update.agents {
                    if !agent_exists(db, workspace, &agent).await? {
                        return Ok(Err(UpdateRefused::AgentNotFound(agent)));
                    }
                }
                Err(StoreError::Conflict(
                    "the number changed during the update; retry".into(),
                ))
            }
        }
    }

    async fn set_default_number(
        &self,
        workspace: &WorkspaceId,
        number: Option<&PhoneNumberId>,
    ) -> StoreResult<Result<Workspace, DefaultRefused>> {
        match number {
            Some(number) => {
                let args: Args = &[&workspace.as_str(), &number.as_str()];
                if self.write_exec(q::SET_DEFAULT, args).await? == 0 {
                    let c = self.conn().await?;
                    return Ok(Err(
                        match number_state(Db::client(&c), workspace, number).await? {
                            None => DefaultRefused::NumberNotFound,
                            // Being released counts as on its way out.
                            Some((_, true)) => {
                                DefaultRefused::NumberNotActive(NumberStatus::Released)
                            }
                            Some((status, false)) => DefaultRefused::NumberNotActive(status),
                        },
                    ));
                }
            }
            None => {
                self.write_exec(q::CLEAR_DEFAULT, &[&workspace.as_str()])
                    .await?;
            }
        }
        self.get_workspace(workspace)
            .await?
            .map(Ok)
            .ok_or(StoreError::NotFound)
    }

    async fn claim_release(
        &self,
        workspace: &WorkspaceId,
        id: &PhoneNumberId,
        now: Timestamp,
    ) -> StoreResult<ReleaseClaim> {
        let args: Args = &[&id.as_str(), &workspace.as_str(), &ms(now)];
        if let Some(record) = self
            .write_one(&q::CLAIM_RELEASE, args, rows::number, err)
            .await?
        {
            return Ok(ReleaseClaim::Claimed(Box::new(record)));
        }
        let c = self.conn().await?;
        Ok(match number_state(Db::client(&c), workspace, id).await? {
            None => ReleaseClaim::NotFound,
            Some((status, _)) if status != NumberStatus::Active => ReleaseClaim::NotActive(status),
            Some((_, true)) => ReleaseClaim::InProgress,
            Some(_) => ReleaseClaim::IsDefault,
        })
    }

    async fn finish_release(
        &self,
        id: &PhoneNumberId,
        now: Timestamp,
        event: &NewEvent,
    ) -> StoreResult<Option<PhoneNumberRecord>> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(err)?;
        let db = Db::tx(&tx);
        let args: Args = &[&id.as_str(), &ms(now)];
        let Some(record) = db.one(&q::FINISH_RELEASE, args, rows::number).await? else {
            // Finished by another worker already (or never active): answer what is there.
            let current = number_by_id(db, id).await?;
            let _ = tx.rollback().await;
            return Ok(current.filter(|r| r.status == NumberStatus::Released));
        };
        // A bring-your-own number keeps no credentials once unlinked.
        db.exec(q::DELETE_SIP_TRUNK, &[&id.as_str()]).await?;
        db.exec(q::FORGET_DEFAULT, &[&id.as_str()]).await?;
        insert_event(db, &record.workspace_id, event, now).await?;
        self.commit(tx).await?;
        Ok(Some(record))
    }

    async fn abandon_release(&self, id: &PhoneNumberId) -> StoreResult<()> {
        self.write_exec(q::ABANDON_RELEASE, &[&id.as_str()])
            .await
            .map(drop)
    }

    async fn stale_releases(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<PhoneNumberRecord>> {
        let args: Args = &[&ms(before), &i64::from(limit)];
        self.read_all(&q::STALE_RELEASES, args, rows::number).await
    }
}
