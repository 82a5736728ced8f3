//! Agents, their versions, and which live numbers route to them, on SQLite. The routing lives
//! on the number row (`inbound_agent_id`, `outbound_agent_id`); the writes here keep both sides
//! consistent and write their audit row in the same transaction. The writer runs one write at a
//! time, so what a write checks before it changes anything still holds when it does: a refused
//! write changes nothing.

use super::SqliteStore;
use super::conn::{Args, all, exec, one, values};
use crate::queries as q;
use crate::rows::{self, ms, parse};
use crate::{
    Agent, AgentDeletion, AgentRefused, AgentStore, AgentWrite, Direction, NewAgent, NewAuditEvent,
    Page, StoreError, StoreResult,
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

/// Every number about to be bound is one of the workspace's and still live.
fn check_numbers(
    c: &Connection,
    workspace: &WorkspaceId,
    live: &[(Direction, Option<PhoneNumberId>)],
) -> StoreResult<Result<(), AgentRefused>> {
    for (direction, number) in live {
        let Some(number) = number else { continue };
        match number_state(c, workspace, number)? {
            None => {
                return Ok(Err(AgentRefused::NumberNotFound(
                    *direction,
                    number.clone(),
                )));
            }
            Some((status, _)) if !status.holds_number() => {
                return Ok(Err(AgentRefused::NumberNotLive(
                    *direction,
                    number.clone(),
                    status,
                )));
            }
            Some(_) => {}
        }
    }
    Ok(Ok(()))
}

/// Point the agent's `direction` at exactly `number` (or at nothing): the agent's other numbers
/// of that direction let go first, then the chosen one binds.
fn bind(
    c: &Connection,
    workspace: &WorkspaceId,
    agent: &AgentId,
    direction: Direction,
    number: Option<&PhoneNumberId>,
    now: Timestamp,
) -> StoreResult<()> {
    let keep = number.map_or("", PhoneNumberId::as_str);
    let args: Args = &[&workspace.as_str(), &agent.as_str(), &ms(now), &keep];
    exec(c, &q::unbind_agent(direction), args)?;
    if let Some(number) = number {
        let args: Args = &[
            &number.as_str(),
            &workspace.as_str(),
            &agent.as_str(),
            &ms(now),
        ];
        if exec(c, &q::bind_agent(direction), args)? == 0 {
            return Err(StoreError::Conflict(
                "the number changed during the binding; retry".into(),
            ));
        }
    }
    Ok(())
}

fn audit(c: &Connection, event: &NewAuditEvent) -> StoreResult<()> {
    exec(c, q::INSERT_AUDIT, &values(&q::audit_args(event))).map(drop)
}

/// Fill in each agent's versions and the live numbers routing to it, one query each for the
/// whole page.
fn complete(
    c: &Connection,
    workspace: &WorkspaceId,
    mut agents: Vec<Agent>,
) -> StoreResult<Vec<Agent>> {
    if agents.is_empty() {
        return Ok(agents);
    }
    let ids: Vec<&str> = agents.iter().map(|a| a.id.as_str()).collect();
    let id_args: Vec<&dyn ToSql> = ids.iter().map(|id| id as &dyn ToSql).collect();
    let versions = all(c, &q::versions_of(ids.len()), &id_args, rows::agent_version)?;
    let ws = workspace.as_str();
    let mut args: Vec<&dyn ToSql> = vec![&ws];
    args.extend(id_args);
    let numbers = all(c, &q::agents_numbers(ids.len()), &args, rows::agent_number)?;
    rows::attach_versions(&mut agents, versions);
    rows::attach_numbers(&mut agents, numbers);
    Ok(agents)
}

fn read_agent(c: &Connection, workspace: &WorkspaceId, id: &AgentId) -> StoreResult<Option<Agent>> {
    let args: Args = &[&id.as_str(), &workspace.as_str()];
    let Some(agent) = one(c, &q::AGENT, args, rows::agent)? else {
        return Ok(None);
    };
    Ok(complete(c, workspace, vec![agent])?.pop())
}

#[async_trait]
impl AgentStore for SqliteStore {
    async fn insert_agent(
        &self,
        new: &NewAgent,
        live: &[(Direction, PhoneNumberId)],
        event: &NewAuditEvent,
    ) -> StoreResult<Result<Agent, AgentRefused>> {
        let (new, event) = (new.clone(), event.clone());
        let live: Vec<(Direction, Option<PhoneNumberId>)> =
            live.iter().map(|(d, n)| (*d, Some(n.clone()))).collect();
        self.write(move |c| {
            let ws = &new.workspace_id;
            if let Err(refused) = check_numbers(c, ws, &live)? {
                return Ok(Err(refused));
            }
            let args: Args = &[
                &new.id.as_str(),
                &ws.as_str(),
                &new.version.title,
                &ms(new.created_at),
                &new.agent_type,
                &new.pipeline_type,
                &new.timezone,
            ];
            one(c, &q::INSERT_AGENT, args, |row| row.text(0))?;
            let version = q::version_args(new.id.as_str(), ws.as_str(), &new.version);
            exec(c, q::UPSERT_VERSION, &values(&version))?;
            for (direction, number) in &live {
                bind(c, ws, &new.id, *direction, number.as_ref(), new.created_at)?;
            }
            audit(c, &event)?;
            read_agent(c, ws, &new.id)?
                .map(Ok)
                .ok_or(StoreError::NotFound)
        })
        .await
    }

    async fn get_agent(&self, workspace: &WorkspaceId, id: &AgentId) -> StoreResult<Option<Agent>> {
        self.read(|c| read_agent(c, workspace, id))
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
            Ok((complete(c, workspace, agents)?, total.max(0) as u64))
        })
    }

    async fn write_agent(&self, change: &AgentWrite) -> StoreResult<Result<Agent, AgentRefused>> {
        let change = change.clone();
        self.write(move |c| {
            let (ws, agent) = (&change.workspace_id, &change.agent_id);
            if !agent_exists(c, ws, agent)? {
                return Ok(Err(AgentRefused::AgentNotFound));
            }
            if let Err(refused) = check_numbers(c, ws, &change.live)? {
                return Ok(Err(refused));
            }
            let (sql, args) = q::agent_update(&change);
            if exec(c, &sql, &values(&args))? == 0 {
                return Ok(Err(AgentRefused::Changed));
            }
            if let Some(version) = &change.version {
                let args = q::version_args(agent.as_str(), ws.as_str(), version);
                exec(c, q::UPSERT_VERSION, &values(&args))?;
                if change.publish {
                    let args: Args = &[&agent.as_str(), &version.version_number];
                    exec(c, q::UNPUBLISH_OTHERS, args)?;
                }
            }
            for (direction, number) in &change.live {
                bind(c, ws, agent, *direction, number.as_ref(), change.now)?;
            }
            audit(c, &change.audit)?;
            read_agent(c, ws, agent)?
                .map(Ok)
                .ok_or(StoreError::NotFound)
        })
        .await
    }

    async fn delete_agent(
        &self,
        workspace: &WorkspaceId,
        id: &AgentId,
        detach: bool,
        now: Timestamp,
        event: &NewAuditEvent,
    ) -> StoreResult<AgentDeletion> {
        let (ws, agent, event) = (workspace.clone(), id.clone(), event.clone());
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
            let args: Args = &[&agent.as_str(), &ws.as_str()];
            exec(c, q::DELETE_VERSIONS, args)?;
            exec(c, q::DELETE_AGENT, args)?;
            audit(c, &event)?;
            Ok(AgentDeletion::Deleted)
        })
        .await
    }
}
