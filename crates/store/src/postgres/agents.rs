//! Agents, and which live numbers route to them, on PostgreSQL. The routing lives on the number
//! row (`inbound_agent_id`, `outbound_agent_id`); the writes here keep both sides consistent,
//! each in one transaction.

use super::PgStore;
use super::db::{Args, Db, err};
use crate::queries as q;
use crate::rows::{self, ms, parse};
use crate::{
    Agent, AgentDeletion, AgentStore, Direction, NewAgent, Page, StoreError, StoreResult,
    UpdateRefused,
};
use async_trait::async_trait;
use dialnexa_domain::{AgentId, NumberStatus, PhoneNumberId, WorkspaceId};
use jiff::Timestamp;
use tokio_postgres::types::ToSql;

pub(super) async fn agent_exists(
    db: Db<'_>,
    workspace: &WorkspaceId,
    agent: &AgentId,
) -> StoreResult<bool> {
    let args: Args = &[&agent.as_str(), &workspace.as_str()];
    Ok(db
        .one(q::AGENT_EXISTS, args, |row| row.text(0))
        .await?
        .is_some())
}

/// Where a number is in its life: its status and whether a release is under way.
pub(super) async fn number_state(
    db: Db<'_>,
    workspace: &WorkspaceId,
    id: &PhoneNumberId,
) -> StoreResult<Option<(NumberStatus, bool)>> {
    let args: Args = &[&id.as_str(), &workspace.as_str()];
    db.one(q::NUMBER_STATE, args, |row| {
        Ok((parse(&row.text(0)?, "status")?, row.opt_int(1)?.is_some()))
    })
    .await
}

/// Fill in which live numbers route to each agent, with one query for the whole page.
async fn with_numbers(
    db: Db<'_>,
    workspace: &WorkspaceId,
    mut agents: Vec<Agent>,
) -> StoreResult<Vec<Agent>> {
    if agents.is_empty() {
        return Ok(agents);
    }
    let sql = q::agents_numbers(agents.len());
    let ws = workspace.as_str();
    let ids: Vec<&str> = agents.iter().map(|a| a.id.as_str()).collect();
    let mut args: Vec<&(dyn ToSql + Sync)> = vec![&ws];
    args.extend(ids.iter().map(|id| id as &(dyn ToSql + Sync)));
    let numbers = db.all(&sql, &args, rows::agent_number).await?;
    rows::attach_numbers(&mut agents, numbers);
    Ok(agents)
}

#[async_trait]
impl AgentStore for PgStore {
    async fn insert_agent(&self, new: &NewAgent) -> StoreResult<Agent> {
        let args: Args = &[
            &new.id.as_str(),
            &new.workspace_id.as_str(),
            &new.name,
            &ms(new.created_at),
        ];
        self.write_one(&q::INSERT_AGENT, args, rows::agent, err)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn get_agent(&self, workspace: &WorkspaceId, id: &AgentId) -> StoreResult<Option<Agent>> {
        let c = self.conn().await?;
        let db = Db::client(&c);
        let args: Args = &[&id.as_str(), &workspace.as_str()];
        let Some(agent) = db.one(&q::AGENT, args, rows::agent).await? else {
            return Ok(None);
        };
        Ok(with_numbers(db, workspace, vec![agent]).await?.pop())
    }

    async fn list_agents(
        &self,
        workspace: &WorkspaceId,
        page: Page,
    ) -> StoreResult<(Vec<Agent>, u64)> {
        let c = self.conn().await?;
        let db = Db::client(&c);
        let ws = workspace.as_str();
        let total = db.one(q::COUNT_AGENTS, &[&ws], |row| row.int(0)).await?;
        let args: Args = &[&ws, &i64::from(page.limit), &(page.offset() as i64)];
        let agents = db.all(&q::AGENTS, args, rows::agent).await?;
        let agents = with_numbers(db, workspace, agents).await?;
        Ok((agents, total.unwrap_or(0).max(0) as u64))
    }

    async fn rename_agent(
        &self,
        workspace: &WorkspaceId,
        id: &AgentId,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Agent>> {
        let args: Args = &[&id.as_str(), &workspace.as_str(), &name, &ms(now)];
        if self.write_exec(q::RENAME_AGENT, args).await? == 0 {
            return Ok(None);
        }
        self.get_agent(workspace, id).await
    }

    async fn bind_agent_number(
        &self,
        workspace: &WorkspaceId,
        agent: &AgentId,
        direction: Direction,
        number: Option<&PhoneNumberId>,
        now: Timestamp,
    ) -> StoreResult<Result<(), UpdateRefused>> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(err)?;
        let db = Db::tx(&tx);
        if !agent_exists(db, workspace, agent).await? {
            let _ = tx.rollback().await;
            return Ok(Err(UpdateRefused::AgentNotFound(agent.clone())));
        }
        // The agent's other numbers of this direction let go first, then the chosen one binds.
        let keep = number.map_or("", PhoneNumberId::as_str);
        let args: Args = &[&workspace.as_str(), &agent.as_str(), &ms(now), &keep];
        db.exec(&q::unbind_agent(direction), args).await?;
        if let Some(number) = number {
            let args: Args = &[
                &number.as_str(),
                &workspace.as_str(),
                &agent.as_str(),
                &ms(now),
            ];
            if db.exec(&q::bind_agent(direction), args).await? == 0 {
                let why = match number_state(db, workspace, number).await? {
                    None => UpdateRefused::NumberNotFound,
                    Some((status, _)) => UpdateRefused::NumberNotLive(status),
                };
                let _ = tx.rollback().await;
                return Ok(Err(why));
            }
        }
        self.commit(tx).await?;
        Ok(Ok(()))
    }

    async fn delete_agent(
        &self,
        workspace: &WorkspaceId,
        id: &AgentId,
        detach: bool,
        now: Timestamp,
    ) -> StoreResult<AgentDeletion> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(err)?;
        let db = Db::tx(&tx);
        if !agent_exists(db, workspace, id).await? {
            let _ = tx.rollback().await;
            return Ok(AgentDeletion::NotFound);
        }
        let args: Args = &[&workspace.as_str(), &id.as_str()];
        let in_use = db
            .all(&q::AGENT_IN_USE_BY, args, rows::number_in_use)
            .await?;
        if !in_use.is_empty() && !detach {
            let _ = tx.rollback().await;
            return Ok(AgentDeletion::InUse(in_use));
        }
        for direction in [Direction::Inbound, Direction::Outbound] {
            let args: Args = &[&workspace.as_str(), &id.as_str(), &ms(now)];
            db.exec(&q::forget_agent(direction), args).await?;
        }
        db.exec(q::DELETE_AGENT, &[&id.as_str(), &workspace.as_str()])
            .await?;
        self.commit(tx).await?;
        Ok(AgentDeletion::Deleted)
    }
}
