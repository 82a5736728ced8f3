//! A live number's changes after purchase on SQLite: partial updates (with their outbox
//! event), the workspace default, and the release saga's three writes (claim, finish, abandon).

use super::SqliteStore;
use super::agents::{agent_exists, number_state};
use super::conn::{Args, exec, one, values};
use super::numbers::{insert_event, number_by_id};
use crate::queries as q;
use crate::rows::{self, ms};
use crate::{
    DefaultRefused, LifecycleStore, NewEvent, NumberChanges, NumberEvent, PhoneNumberRecord,
    ReleaseClaim, StoreError, StoreResult, UpdateRefused, Workspace,
};
use async_trait::async_trait;
use dialnexa_domain::{NumberStatus, PhoneNumberId, WorkspaceId};
use jiff::Timestamp;

#[async_trait]
impl LifecycleStore for SqliteStore {
    async fn update_number(
        &self,
        workspace: &WorkspaceId,
        id: &PhoneNumberId,
        changes: &NumberChanges,
        now: Timestamp,
        event: &NumberEvent,
    ) -> StoreResult<Result<PhoneNumberRecord, UpdateRefused>> {
        let update = q::number_update(workspace, id, changes, now);
        let (ws, id, event) = (workspace.clone(), id.clone(), event.clone());
        self.write(move |c| {
            if let Some(record) = one(c, &update.sql, &values(&update.args), rows::number)? {
                insert_event(c, &record.workspace_id, &event.for_row(&record), now)?;
                return Ok(Ok(record));
            }
            match number_state(c, &ws, &id)? {
                None => Ok(Err(UpdateRefused::NumberNotFound)),
                Some((status, _)) if !status.holds_number() => {
                    Ok(Err(UpdateRefused::NumberNotLive(status)))
                }
                Some(_) => {
                    for agent in update.agents {
                        if !agent_exists(c, &ws, &agent)? {
                            return Ok(Err(UpdateRefused::AgentNotFound(agent)));
                        }
                    }
                    Err(StoreError::Conflict(
                        "the number changed during the update; retry".into(),
                    ))
                }
            }
        })
        .await
    }

    async fn set_default_number(
        &self,
        workspace: &WorkspaceId,
        number: Option<&PhoneNumberId>,
    ) -> StoreResult<Result<Workspace, DefaultRefused>> {
        let (ws, number) = (workspace.clone(), number.cloned());
        self.write(move |c| {
            if let Some(number) = &number {
                if exec(c, q::SET_DEFAULT, &[&ws.as_str(), &number.as_str()])? == 0 {
                    return Ok(Err(match number_state(c, &ws, number)? {
                        None => DefaultRefused::NumberNotFound,
                        // Being released counts as on its way out.
                        Some((_, true)) => DefaultRefused::NumberNotActive(NumberStatus::Released),
                        Some((status, false)) => DefaultRefused::NumberNotActive(status),
                    }));
                }
            } else {
                exec(c, q::CLEAR_DEFAULT, &[&ws.as_str()])?;
            }
            one(c, &q::WORKSPACE_BY_ID, &[&ws.as_str()], rows::workspace)?
                .map(Ok)
                .ok_or(StoreError::NotFound)
        })
        .await
    }

    async fn claim_release(
        &self,
        workspace: &WorkspaceId,
        id: &PhoneNumberId,
        now: Timestamp,
    ) -> StoreResult<ReleaseClaim> {
        let (ws, id) = (workspace.clone(), id.clone());
        self.write(move |c| {
            let args: Args = &[&id.as_str(), &ws.as_str(), &ms(now)];
            if let Some(record) = one(c, &q::CLAIM_RELEASE, args, rows::number)? {
                return Ok(ReleaseClaim::Claimed(Box::new(record)));
            }
            Ok(match number_state(c, &ws, &id)? {
                None => ReleaseClaim::NotFound,
                Some((status, _)) if status != NumberStatus::Active => {
                    ReleaseClaim::NotActive(status)
                }
                Some((_, true)) => ReleaseClaim::InProgress,
                Some(_) => ReleaseClaim::IsDefault,
            })
        })
        .await
    }

    async fn finish_release(
        &self,
        id: &PhoneNumberId,
        now: Timestamp,
        event: &NewEvent,
    ) -> StoreResult<Option<PhoneNumberRecord>> {
        let (id, event) = (id.clone(), event.clone());
        self.write(move |c| {
            let args: Args = &[&id.as_str(), &ms(now)];
            let Some(record) = one(c, &q::FINISH_RELEASE, args, rows::number)? else {
                // Finished by another worker already (or never active): answer what is there.
                let current = number_by_id(c, &id)?;
                return Ok(current.filter(|r| r.status == NumberStatus::Released));
            };
            // A bring-your-own number keeps no credentials once unlinked.
            exec(c, q::DELETE_SIP_TRUNK, &[&id.as_str()])?;
            exec(c, q::FORGET_DEFAULT, &[&id.as_str()])?;
            insert_event(c, &record.workspace_id, &event, now)?;
            Ok(Some(record))
        })
        .await
    }

    async fn abandon_release(&self, id: &PhoneNumberId) -> StoreResult<()> {
        let id = id.clone();
        self.write(move |c| exec(c, q::ABANDON_RELEASE, &[&id.as_str()]).map(drop))
            .await
    }

    async fn stale_releases(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<PhoneNumberRecord>> {
        self.read_all(
            &q::STALE_RELEASES,
            &[&ms(before), &i64::from(limit)],
            rows::number,
        )
    }
}
