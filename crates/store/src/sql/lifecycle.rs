//! A live number's changes after purchase: partial updates, the workspace default, and the
//! release saga's three writes (claim, finish, abandon).

use super::agents::{LIVE, agent_exists};
use super::numbers::{NUMBER_COLUMNS, number_from_row, number_in_tx};
use super::{SqlStore, map_err, ms};
use crate::{
    DefaultRefused, LifecycleStore, NewEvent, NumberChanges, PhoneNumberRecord, ReleaseClaim,
    StoreError, StoreResult, UpdateRefused, Workspace, WorkspaceStore,
};
use async_trait::async_trait;
use dialnexa_domain::{AgentId, NumberStatus, PhoneNumberId, WorkspaceId};
use jiff::Timestamp;

/// Where a number is in its life, read without the full record.
struct NumberState {
    status: NumberStatus,
    releasing: bool,
}

impl SqlStore {
    async fn number_state(
        &self,
        workspace: &WorkspaceId,
        id: &PhoneNumberId,
    ) -> StoreResult<Option<NumberState>> {
        let row = sqlx::query(
            "SELECT status, release_requested_at FROM phone_numbers \
             WHERE id = $1 AND workspace_id = $2",
        )
        .bind(id.as_str())
        .bind(workspace.as_str())
        .fetch_optional(&self.write)
        .await
        .map_err(map_err)?;
        row.map(|r| {
            Ok(NumberState {
                status: super::col(&r, "status")?,
                releasing: super::get::<Option<i64>>(&r, "release_requested_at")?.is_some(),
            })
        })
        .transpose()
    }
}

#[async_trait]
impl LifecycleStore for SqlStore {
    async fn update_number(
        &self,
        workspace: &WorkspaceId,
        id: &PhoneNumberId,
        changes: &NumberChanges,
        now: Timestamp,
    ) -> StoreResult<Result<PhoneNumberRecord, UpdateRefused>> {
        // $1 id, $2 workspace, $3 now; every changed field adds one text placeholder.
        let mut sets = vec!["updated_at = $3".to_owned()];
        let mut conditions = vec![
            "id = $1".to_owned(),
            "workspace_id = $2".to_owned(),
            LIVE.to_owned(),
        ];
        let mut args: Vec<Option<String>> = Vec::new();
        let mut agents: Vec<&AgentId> = Vec::new();
        let text_fields = [("nickname", &changes.nickname), ("label", &changes.label)];
        for (column, change) in text_fields {
            if let Some(value) = change {
                args.push(value.clone());
                sets.push(format!("{column} = ${}", args.len() + 3));
            }
        }
        let agent_fields = [
            ("inbound_agent_id", &changes.inbound_agent_id),
            ("outbound_agent_id", &changes.outbound_agent_id),
        ];
        for (column, change) in agent_fields {
            if let Some(value) = change {
                args.push(value.as_ref().map(|a| a.as_str().to_owned()));
                let n = args.len() + 3;
                sets.push(format!("{column} = ${n}"));
                if let Some(agent) = value {
                    // Checked in the same statement, so an agent deleted a moment ago never binds.
                    conditions.push(format!(
                        "EXISTS (SELECT 1 FROM agents WHERE agents.id = ${n} AND agents.workspace_id = $2)"
                    ));
                    agents.push(agent);
                }
            }
        }
        let sql = format!(
            "UPDATE phone_numbers SET {} WHERE {} RETURNING {NUMBER_COLUMNS}",
            sets.join(", "),
            conditions.join(" AND ")
        );
        let mut q = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(workspace.as_str())
            .bind(ms(now));
        for a in &args {
            q = q.bind(a.as_deref());
        }
        if let Some(row) = q.fetch_optional(&self.write).await.map_err(map_err)? {
            return Ok(Ok(number_from_row(&row)?));
        }
        match self.number_state(workspace, id).await? {
            None => Ok(Err(UpdateRefused::NumberNotFound)),
            Some(s) if !s.status.holds_number() => Ok(Err(UpdateRefused::NumberNotLive(s.status))),
            Some(_) => {
                for agent in agents {
                    if !agent_exists(&self.write, workspace, agent).await? {
                        return Ok(Err(UpdateRefused::AgentNotFound(agent.clone())));
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
        let done = match number {
            None => {
                sqlx::query("UPDATE workspaces SET default_phone_number_id = NULL WHERE id = $1")
                    .bind(workspace.as_str())
                    .execute(&self.write)
                    .await
                    .map_err(map_err)?
            }
            Some(number) => sqlx::query(
                "UPDATE workspaces SET default_phone_number_id = $2 WHERE id = $1 AND EXISTS \
                 (SELECT 1 FROM phone_numbers p WHERE p.id = $2 AND p.workspace_id = $1 \
                 AND p.status = 'active' AND p.release_requested_at IS NULL)",
            )
            .bind(workspace.as_str())
            .bind(number.as_str())
            .execute(&self.write)
            .await
            .map_err(map_err)?,
        };
        if done.rows_affected() == 0
            && let Some(number) = number
        {
            return Ok(Err(match self.number_state(workspace, number).await? {
                None => DefaultRefused::NumberNotFound,
                // Being released counts as on its way out.
                Some(s) if s.releasing => DefaultRefused::NumberNotActive(NumberStatus::Released),
                Some(s) => DefaultRefused::NumberNotActive(s.status),
            }));
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
        let sql = format!(
            "UPDATE phone_numbers SET release_requested_at = $3 \
             WHERE id = $1 AND workspace_id = $2 AND status = 'active' \
             AND release_requested_at IS NULL AND NOT EXISTS \
             (SELECT 1 FROM workspaces w WHERE w.id = $2 AND w.default_phone_number_id = $1) \
             RETURNING {NUMBER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(workspace.as_str())
            .bind(ms(now))
            .fetch_optional(&self.write)
            .await
            .map_err(map_err)?;
        if let Some(row) = row {
            return Ok(ReleaseClaim::Claimed(Box::new(number_from_row(&row)?)));
        }
        Ok(match self.number_state(workspace, id).await? {
            None => ReleaseClaim::NotFound,
            Some(s) if s.status != NumberStatus::Active => ReleaseClaim::NotActive(s.status),
            Some(s) if s.releasing => ReleaseClaim::InProgress,
            Some(_) => ReleaseClaim::IsDefault,
        })
    }

    async fn finish_release(
        &self,
        id: &PhoneNumberId,
        now: Timestamp,
        event: &NewEvent,
    ) -> StoreResult<Option<PhoneNumberRecord>> {
        let mut tx = self.write.begin().await.map_err(map_err)?;
        let sql = format!(
            "UPDATE phone_numbers SET status = 'released', released_at = $2, updated_at = $2, \
             release_requested_at = NULL, inbound_agent_id = NULL, outbound_agent_id = NULL \
             WHERE id = $1 AND status = 'active' RETURNING {NUMBER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(ms(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?;
        let Some(row) = row else {
            // Finished by another worker already (or never active): answer what is there.
            let current = number_in_tx(&mut tx, id).await?;
            tx.rollback().await.map_err(map_err)?;
            return Ok(current.filter(|r| r.status == NumberStatus::Released));
        };
        let record = number_from_row(&row)?;
        // A bring-your-own number keeps no credentials once unlinked.
        sqlx::query("DELETE FROM sip_trunks WHERE phone_number_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("UPDATE workspaces SET default_phone_number_id = NULL WHERE default_phone_number_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        super::insert_event(&mut tx, record.workspace_id.as_str(), event, now).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(Some(record))
    }

    async fn abandon_release(&self, id: &PhoneNumberId) -> StoreResult<()> {
        sqlx::query(
            "UPDATE phone_numbers SET release_requested_at = NULL WHERE id = $1 AND status = 'active'",
        )
        .bind(id.as_str())
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn stale_releases(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<PhoneNumberRecord>> {
        let sql = format!(
            "SELECT {NUMBER_COLUMNS} FROM phone_numbers WHERE release_requested_at IS NOT NULL \
             AND release_requested_at < $1 AND status = 'active' \
             ORDER BY release_requested_at LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(ms(before))
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .map_err(map_err)?;
        rows.iter().map(|r| number_from_row(r)).collect()
    }
}
