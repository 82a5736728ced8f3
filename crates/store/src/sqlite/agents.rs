//! Agents, and which live numbers route to them, on SQLite. The routing lives on the number
//! row (`inbound_agent_id`, `outbound_agent_id`); the writes here keep both sides consistent.

use super::SqliteStore;
use super::conn::{Args, all, exec, one};
use crate::queries as q;
use crate::rows::{self, ms, parse};
use crate::{
    Agent, AgentDeletion, AgentStore, Direction, NewAgent, Page, StoreError, StoreResult,
    UpdateRefused,
};
use async_trait::async_trait;
use dialnexa_domain::{AgentId, NumberStatus, PhoneNumberId, WorkspaceId};
use jiff::Timestamp;
use rusqlite::{Connection, ToSql};

pub(super) fn agent_exists(
    c: &Connection,
    workspace: &WorkspaceId,
    agent: &AgentId,
) -> StoreResult<bool> {
    let args: Args = &[&agent.as_str(), &workspace.as_str()];
    Ok(one(c, q::AGENT_EXISTS, args, |row| row.text(0))?.is_some())
}

/// Where a number is in its life: its status and whether a release is under way.
pub(super) fn number_state(
    c: &Connection,
    workspace: &WorkspaceId,
    id: &PhoneNumberId,
) -> StoreResult<Option<(NumberStatus, bool)>> {
    let args: Args = &[&id.as_str(), &workspace.as_str()];
    one(c, q::NUMBER_STATE, args, |row| {
        Ok((parse(&row.text(0)?, "status")?, row.opt_int(1)?.is_some()))
    })
}

impl SqliteStore {
    /// Fill in which live numbers route to each agent, with one query for the whole page.
    fn with_numbers(
        &self,
        c: &Connection,
        workspace: &WorkspaceId,
        mut agents: Vec<Agent>,
    ) -> StoreResult<Vec<Agent>> {
        if agents.is_empty() {
            return Ok(agents);
        }
        let sql = q::agents_numbers(agents.len());
        let ws = workspace.as_str();
        let mut args: Vec<&dyn ToSql> = vec![&ws];
        let ids: Vec<&str> = agents.iter().map(|a| a.id.as_str()).collect();
        args.extend(ids.iter().map(|id| id as &dyn ToSql));
        let numbers = all(c, &sql, &args, rows::agent_number)?;
        rows::attach_numbers(&mut agents, numbers);
        Ok(agents)
    }
}

#[async_trait]
impl AgentStore for SqliteStore {
    async fn insert_agent(&self, new: &NewAgent) -> StoreResult<Agent> {
        let new = new.clone();
        self.write(move |c| {
            let args: Args = &[
                &new.id.as_str(),
                &new.workspace_id.as_str(),
                &new.name,
                &ms(new.created_at),
            ];
            one(c, &q::INSERT_AGENT, args, rows::agent)?.ok_or(StoreError::NotFound)
        })
        .await
    }

    async fn get_agent(&self, workspace: &WorkspaceId, id: &AgentId) -> StoreResult<Option<Agent>> {
        self.read(|c| {
            let args: Args = &[&id.as_str(), &workspace.as_str()];
            let Some(agent) = one(c, &q::AGENT, args, rows::agent)? else {
                return Ok(None);
            };
            Ok(self.with_numbers(c, workspace, vec![agent])?.pop())
        })
    }

    async fn list_agents(
        &self,
        workspace: &WorkspaceId,
        page: Page,
    ) -> StoreResult<(Vec<Agent>, u64)> {
        self.read(|c| {
            let ws = workspace.as_str();
            let total = one(c, q::COUNT_AGENTS, &[&ws], |row| row.int(0))?.unwrap_or(0);
            let args: Args = &[&ws, &i64::from(page.limit), &(page.offset() as i64)];
            let agents = all(c, &q::AGENTS, args, rows::agent)?;
            Ok((
                self.with_numbers(c, workspace, agents)?,
                total.max(0) as u64,
            ))
        })
    }

    async fn rename_agent(
        &self,
        workspace: &WorkspaceId,
        id: &AgentId,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Agent>> {
        let (ws, agent, name) = (workspace.clone(), id.clone(), name.to_owned());
        let renamed = self
            .write(move |c| {
                let args: Args = &[&agent.as_str(), &ws.as_str(), &name, &ms(now)];
                exec(c, q::RENAME_AGENT, args)
            })
            .await?;
        if renamed == 0 {
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
        let (ws, agent, number) = (workspace.clone(), agent.clone(), number.cloned());
        self.write(move |c| {
            if !agent_exists(c, &ws, &agent)? {
                return Ok(Err(UpdateRefused::AgentNotFound(agent)));
            }
            // Checked before anything changes: the writer runs one write at a time, so what
            // it finds still holds when the binding below runs.
            if let Some(number) = &number {
                match number_state(c, &ws, number)? {
                    None => return Ok(Err(UpdateRefused::NumberNotFound)),
                    Some((status, _)) if !status.holds_number() => {
                        return Ok(Err(UpdateRefused::NumberNotLive(status)));
                    }
                    Some(_) => {}
                }
            }
            // The agent's other numbers of this direction let go first, then the chosen one.
            let keep = number.as_ref().map_or("", PhoneNumberId::as_str);
            let args: Args = &[&ws.as_str(), &agent.as_str(), &ms(now), &keep];
            exec(c, &q::unbind_agent(direction), args)?;
            if let Some(number) = &number {
                let args: Args = &[&number.as_str(), &ws.as_str(), &agent.as_str(), &ms(now)];
                if exec(c, &q::bind_agent(direction), args)? == 0 {
                    return Err(StoreError::Conflict(
                        "the number changed during the binding; retry".into(),
                    ));
                }
            }
            Ok(Ok(()))
        })
        .await
    }

    async fn delete_agent(
        &self,
        workspace: &WorkspaceId,
        id: &AgentId,
        detach: bool,
        now: Timestamp,
    ) -> StoreResult<AgentDeletion> {
        let (ws, agent) = (workspace.clone(), id.clone());
        self.write(move |c| {
            if !agent_exists(c, &ws, &agent)? {
                return Ok(AgentDeletion::NotFound);
            }
            let args: Args = &[&ws.as_str(), &agent.as_str()];
            let in_use = all(c, &q::AGENT_IN_USE_BY, args, rows::number_in_use)?;
            if !in_use.is_empty() && !detach {
                return Ok(AgentDeletion::InUse(in_use));
            }
            for direction in [Direction::Inbound, Direction::Outbound] {
                let args: Args = &[&ws.as_str(), &agent.as_str(), &ms(now)];
                exec(c, &q::forget_agent(direction), args)?;
            }
            exec(c, q::DELETE_AGENT, &[&agent.as_str(), &ws.as_str()])?;
            Ok(AgentDeletion::Deleted)
        })
        .await
    }
}
