//! Agents, and which live numbers route to them. The routing itself lives on the number row
//! (`inbound_agent_id`, `outbound_agent_id`); this file keeps both sides consistent.

use super::{SqlStore, get, map_err, ms, ts};
use crate::{
    Agent, AgentDeletion, AgentStore, Direction, NewAgent, Page, StoreError, StoreResult,
    UpdateRefused,
};
use async_trait::async_trait;
use dialnexa_domain::{AgentId, CountryIso, E164, NumberStatus, PhoneNumberId, WorkspaceId};
use jiff::Timestamp;
use sqlx::any::AnyRow;
use std::collections::HashMap;

const AGENT_COLUMNS: &str = "id, workspace_id, name, created_at, updated_at";

/// Rows in these states route calls (or will, once the purchase settles).
pub(crate) const LIVE: &str = "status IN ('pending', 'active')";

fn agent_from_row(row: &AnyRow) -> StoreResult<Agent> {
    Ok(Agent {
        id: AgentId::from_trusted(get(row, "id")?),
        workspace_id: WorkspaceId::from_trusted(get(row, "workspace_id")?),
        name: get(row, "name")?,
        created_at: ts(get(row, "created_at")?)?,
        updated_at: ts(get(row, "updated_at")?)?,
        inbound_numbers: Vec::new(),
        outbound_numbers: Vec::new(),
    })
}

/// Why a live-number write touched no row: gone, or no longer live.
pub(crate) async fn number_refusal<'e, E>(
    exec: E,
    workspace: &WorkspaceId,
    id: &PhoneNumberId,
) -> StoreResult<UpdateRefused>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query("SELECT status FROM phone_numbers WHERE id = $1 AND workspace_id = $2")
        .bind(id.as_str())
        .bind(workspace.as_str())
        .fetch_optional(exec)
        .await
        .map_err(map_err)?;
    Ok(match row {
        None => UpdateRefused::NumberNotFound,
        Some(r) => {
            let status: String = get(&r, "status")?;
            let status: NumberStatus = status
                .parse()
                .map_err(|e| StoreError::Other(format!("column status: {e}")))?;
            UpdateRefused::NumberNotLive(status)
        }
    })
}

pub(crate) async fn agent_exists<'e, E>(
    exec: E,
    workspace: &WorkspaceId,
    agent: &AgentId,
) -> StoreResult<bool>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query("SELECT id FROM agents WHERE id = $1 AND workspace_id = $2")
            .bind(agent.as_str())
            .bind(workspace.as_str())
            .fetch_optional(exec)
            .await
            .map_err(map_err)?
            .is_some(),
    )
}

impl SqlStore {
    /// Fill in which live numbers route to each agent, with one query for the whole page.
    async fn with_numbers(
        &self,
        workspace: &WorkspaceId,
        mut agents: Vec<Agent>,
    ) -> StoreResult<Vec<Agent>> {
        if agents.is_empty() {
            return Ok(agents);
        }
        let placeholders: Vec<String> = (0..agents.len()).map(|i| format!("${}", i + 2)).collect();
        let list = placeholders.join(", ");
        let sql = format!(
            "SELECT id, inbound_agent_id, outbound_agent_id FROM phone_numbers \
             WHERE workspace_id = $1 AND {LIVE} \
             AND (inbound_agent_id IN ({list}) OR outbound_agent_id IN ({list})) \
             ORDER BY created_at DESC, id DESC"
        );
        let mut q = sqlx::query(&sql).bind(workspace.as_str());
        for a in &agents {
            q = q.bind(a.id.as_str());
        }
        let rows = q.fetch_all(&self.read).await.map_err(map_err)?;
        let index: HashMap<String, usize> = agents
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.as_str().to_owned(), i))
            .collect();
        for r in &rows {
            let number = PhoneNumberId::from_trusted(get(r, "id")?);
            let inbound: Option<String> = get(r, "inbound_agent_id")?;
            let outbound: Option<String> = get(r, "outbound_agent_id")?;
            if let Some(&i) = inbound.as_ref().and_then(|a| index.get(a)) {
                agents[i].inbound_numbers.push(number.clone());
            }
            if let Some(&i) = outbound.as_ref().and_then(|a| index.get(a)) {
                agents[i].outbound_numbers.push(number);
            }
        }
        Ok(agents)
    }
}

#[async_trait]
impl AgentStore for SqlStore {
    async fn insert_agent(&self, new: &NewAgent) -> StoreResult<Agent> {
        let sql = format!(
            "INSERT INTO agents (id, workspace_id, name, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING {AGENT_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.id.as_str())
            .bind(new.workspace_id.as_str())
            .bind(&new.name)
            .bind(ms(new.created_at))
            .fetch_one(&self.write)
            .await
            .map_err(map_err)?;
        agent_from_row(&row)
    }

    async fn get_agent(&self, workspace: &WorkspaceId, id: &AgentId) -> StoreResult<Option<Agent>> {
        let sql = format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = $1 AND workspace_id = $2");
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(workspace.as_str())
            .fetch_optional(&self.read)
            .await
            .map_err(map_err)?;
        let Some(agent) = row.as_ref().map(agent_from_row).transpose()? else {
            return Ok(None);
        };
        Ok(self.with_numbers(workspace, vec![agent]).await?.pop())
    }

    async fn list_agents(
        &self,
        workspace: &WorkspaceId,
        page: Page,
    ) -> StoreResult<(Vec<Agent>, u64)> {
        let total: i64 = get(
            &sqlx::query("SELECT COUNT(*) AS n FROM agents WHERE workspace_id = $1")
                .bind(workspace.as_str())
                .fetch_one(&self.read)
                .await
                .map_err(map_err)?,
            "n",
        )?;
        let sql = format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE workspace_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
        );
        let rows = sqlx::query(&sql)
            .bind(workspace.as_str())
            .bind(i64::from(page.limit))
            .bind(page.offset() as i64)
            .fetch_all(&self.read)
            .await
            .map_err(map_err)?;
        let agents = rows
            .iter()
            .map(agent_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((
            self.with_numbers(workspace, agents).await?,
            total.max(0) as u64,
        ))
    }

    async fn rename_agent(
        &self,
        workspace: &WorkspaceId,
        id: &AgentId,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Agent>> {
        let done = sqlx::query(
            "UPDATE agents SET name = $3, updated_at = $4 WHERE id = $1 AND workspace_id = $2",
        )
        .bind(id.as_str())
        .bind(workspace.as_str())
        .bind(name)
        .bind(ms(now))
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
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
        let column = direction.column();
        let mut tx = self.write.begin().await.map_err(map_err)?;
        if !agent_exists(&mut *tx, workspace, agent).await? {
            tx.rollback().await.map_err(map_err)?;
            return Ok(Err(UpdateRefused::AgentNotFound(agent.clone())));
        }
        // The agent's other numbers of this direction let go first, then the chosen one binds.
        sqlx::query(&format!(
            "UPDATE phone_numbers SET {column} = NULL, updated_at = $3 \
             WHERE workspace_id = $1 AND {column} = $2 AND id <> $4"
        ))
        .bind(workspace.as_str())
        .bind(agent.as_str())
        .bind(ms(now))
        .bind(number.map(PhoneNumberId::as_str).unwrap_or(""))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if let Some(number) = number {
            let bound = sqlx::query(&format!(
                "UPDATE phone_numbers SET {column} = $3, updated_at = $4 \
                 WHERE id = $1 AND workspace_id = $2 AND {LIVE}"
            ))
            .bind(number.as_str())
            .bind(workspace.as_str())
            .bind(agent.as_str())
            .bind(ms(now))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            if bound.rows_affected() == 0 {
                let why = number_refusal(&mut *tx, workspace, number).await?;
                tx.rollback().await.map_err(map_err)?;
                return Ok(Err(why));
            }
        }
        tx.commit().await.map_err(map_err)?;
        Ok(Ok(()))
    }

    async fn delete_agent(
        &self,
        workspace: &WorkspaceId,
        id: &AgentId,
        detach: bool,
        now: Timestamp,
    ) -> StoreResult<AgentDeletion> {
        let mut tx = self.write.begin().await.map_err(map_err)?;
        if !agent_exists(&mut *tx, workspace, id).await? {
            tx.rollback().await.map_err(map_err)?;
            return Ok(AgentDeletion::NotFound);
        }
        let rows = sqlx::query(&format!(
            "SELECT id, phone_number, country_code FROM phone_numbers \
             WHERE workspace_id = $1 AND {LIVE} \
             AND (inbound_agent_id = $2 OR outbound_agent_id = $2) ORDER BY created_at, id"
        ))
        .bind(workspace.as_str())
        .bind(id.as_str())
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        if !rows.is_empty() && !detach {
            let in_use = rows
                .iter()
                .map(|r| {
                    let country: CountryIso = super::col(r, "country_code")?;
                    Ok((
                        PhoneNumberId::from_trusted(get(r, "id")?),
                        E164::from_trusted(get(r, "phone_number")?, country),
                    ))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            tx.rollback().await.map_err(map_err)?;
            return Ok(AgentDeletion::InUse(in_use));
        }
        for column in [Direction::Inbound.column(), Direction::Outbound.column()] {
            // Every row, live or not, so nothing is left naming a deleted agent.
            sqlx::query(&format!(
                "UPDATE phone_numbers SET {column} = NULL, updated_at = $3 \
                 WHERE workspace_id = $1 AND {column} = $2"
            ))
            .bind(workspace.as_str())
            .bind(id.as_str())
            .bind(ms(now))
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        sqlx::query("DELETE FROM agents WHERE id = $1 AND workspace_id = $2")
            .bind(id.as_str())
            .bind(workspace.as_str())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(AgentDeletion::Deleted)
    }
}
