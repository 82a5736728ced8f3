//! Agents, their versions, and which live numbers route to them, on PostgreSQL. The routing
//! lives on the number row (`inbound_agent_id`, `outbound_agent_id`); each write keeps both
//! sides consistent and writes its audit row in one transaction, rolled back when refused.

use super::PgStore;
use super::db::{Args, Db, err, values};
use crate::queries as q;
use crate::rows::{self, ms, parse};
use crate::{
    Agent, AgentDeletion, AgentRefused, AgentStore, AgentWrite, Direction, NewAgent, NewAuditEvent,
    Page, StoreError, StoreResult,
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

/// Point the agent's `direction` at exactly `number` (or at nothing): its other numbers of
/// that direction let go first, then the chosen one binds. `Err` says why it could not.
async fn bind(
    db: Db<'_>,
    workspace: &WorkspaceId,
    agent: &AgentId,
    direction: Direction,
    number: Option<&PhoneNumberId>,
    now: Timestamp,
) -> StoreResult<Result<(), AgentRefused>> {
    let keep = number.map_or("", PhoneNumberId::as_str);
    let args: Args = &[&workspace.as_str(), &agent.as_str(), &ms(now), &keep];
    db.exec(&q::unbind_agent(direction), args).await?;
    let Some(number) = number else {
        return Ok(Ok(()));
    };
    let args: Args = &[
        &number.as_str(),
        &workspace.as_str(),
        &agent.as_str(),
        &ms(now),
    ];
    if db.exec(&q::bind_agent(direction), args).await? > 0 {
        return Ok(Ok(()));
    }
    Ok(Err(match number_state(db, workspace, number).await? {
        None => AgentRefused::NumberNotFound(direction, number.clone()),
        Some((status, _)) => AgentRefused::NumberNotLive(direction, number.clone(), status),
    }))
}

async fn audit(db: Db<'_>, event: &NewAuditEvent) -> StoreResult<()> {
    db.exec(q::INSERT_AUDIT, &values(&q::audit_args(event)))
        .await
        .map(drop)
}

/// Fill in each agent's versions and the live numbers routing to it, one query each for the
/// whole page.
async fn complete(
    db: Db<'_>,
    workspace: &WorkspaceId,
    mut agents: Vec<Agent>,
) -> StoreResult<Vec<Agent>> {
    if agents.is_empty() {
        return Ok(agents);
    }
    let ids: Vec<&str> = agents.iter().map(|a| a.id.as_str()).collect();
    let id_args: Vec<&(dyn ToSql + Sync)> =
        ids.iter().map(|id| id as &(dyn ToSql + Sync)).collect();
    let versions = db
        .all(&q::versions_of(ids.len()), &id_args, rows::agent_version)
        .await?;
    let ws = workspace.as_str();
    let mut args: Vec<&(dyn ToSql + Sync)> = vec![&ws];
    args.extend(id_args);
    let numbers = db
        .all(&q::agents_numbers(ids.len()), &args, rows::agent_number)
        .await?;
    rows::attach_versions(&mut agents, versions);
    rows::attach_numbers(&mut agents, numbers);
    Ok(agents)
}

async fn read_agent(
    db: Db<'_>,
    workspace: &WorkspaceId,
    id: &AgentId,
) -> StoreResult<Option<Agent>> {
    let args: Args = &[&id.as_str(), &workspace.as_str()];
    let Some(agent) = db.one(&q::AGENT, args, rows::agent).await? else {
        return Ok(None);
    };
    Ok(complete(db, workspace, vec![agent]).await?.pop())
}

#[async_trait]
impl AgentStore for PgStore {
    async fn insert_agent(
        &self,
        new: &NewAgent,
        live: &[(Direction, PhoneNumberId)],
        event: &NewAuditEvent,
    ) -> StoreResult<Result<Agent, AgentRefused>> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(err)?;
        let db = Db::tx(&tx);
        let ws = &new.workspace_id;
        let args: Args = &[
            &new.id.as_str(),
            &ws.as_str(),
            &new.version.title,
            &ms(new.created_at),
            &new.agent_type,
            &new.pipeline_type,
            &new.timezone,
        ];
        db.exec(&q::INSERT_AGENT, args).await?;
        let version = q::version_args(new.id.as_str(), ws.as_str(), &new.version);
        db.exec(q::UPSERT_VERSION, &values(&version)).await?;
        for (direction, number) in live {
            if let Err(refused) =
                bind(db, ws, &new.id, *direction, Some(number), new.created_at).await?
            {
                let _ = tx.rollback().await;
                return Ok(Err(refused));
            }
        }
        audit(db, event).await?;
        let agent = read_agent(db, ws, &new.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.commit(tx).await?;
        Ok(Ok(agent))
    }

    async fn get_agent(&self, workspace: &WorkspaceId, id: &AgentId) -> StoreResult<Option<Agent>> {
        let c = self.conn().await?;
        read_agent(Db::client(&c), workspace, id).await
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
        let agents = complete(db, workspace, agents).await?;
        Ok((agents, total.unwrap_or(0).max(0) as u64))
    }

    async fn write_agent(&self, change: &AgentWrite) -> StoreResult<Result<Agent, AgentRefused>> {
        let (ws, agent) = (&change.workspace_id, &change.agent_id);
        let mut c = self.conn().await?;
        let tx = c.transaction().await.map_err(err)?;
        let db = Db::tx(&tx);
        let (sql, args) = q::agent_update(change);
        if db.exec(&sql, &values(&args)).await? == 0 {
            let why = if agent_exists(db, ws, agent).await? {
                AgentRefused::Changed
            } else {
                AgentRefused::AgentNotFound
            };
            let _ = tx.rollback().await;
            return Ok(Err(why));
        }
        if let Some(version) = &change.version {
            let args = q::version_args(agent.as_str(), ws.as_str(), version);
            db.exec(q::UPSERT_VERSION, &values(&args)).await?;
            if change.publish {
                let args: Args = &[&agent.as_str(), &version.version_number];
                db.exec(q::UNPUBLISH_OTHERS, args).await?;
            }
        }
        for (direction, number) in &change.live {
            if let Err(refused) =
                bind(db, ws, agent, *direction, number.as_ref(), change.now).await?
            {
                let _ = tx.rollback().await;
                return Ok(Err(refused));
            }
        }
        audit(db, &change.audit).await?;
        let read = read_agent(db, ws, agent)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.commit(tx).await?;
        Ok(Ok(read))
    }

    async fn delete_agent(
        &self,
        workspace: &WorkspaceId,
        id: &AgentId,
        detach: bool,
        now: Timestamp,
        event: &NewAuditEvent,
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
        let args: Args = &[&id.as_str(), &workspace.as_str()];
        db.exec(q::DELETE_VERSIONS, args).await?;
        db.exec(q::DELETE_AGENT, args).await?;
        audit(db, event).await?;
        self.commit(tx).await?;
        Ok(AgentDeletion::Deleted)
    }
}
