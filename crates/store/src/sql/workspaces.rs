//! Workspaces, their API keys and their KYC standing per country.

use super::{Arg, Columns, SqlStore, col, get, map_err, ms, opt_ts, parse_at, ts};
use crate::{
    ApiKey, KycRecord, NewApiKey, NewWorkspace, StoreError, StoreResult, Workspace, WorkspaceStore,
};
use async_trait::async_trait;
use dialnexa_domain::{ApiKeyId, CountryIso, KycStatus, PhoneNumberId, Provider, WorkspaceId};
use jiff::Timestamp;
use std::sync::LazyLock;

const WORKSPACE_COLUMNS: &str =
    "id, name, default_provider, enabled_countries, default_phone_number_id, created_at";

fn countries_csv(countries: &[CountryIso]) -> String {
    countries
        .iter()
        .map(CountryIso::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

fn workspace_from_row(row: &dyn Columns) -> StoreResult<Workspace> {
    // Positions in WORKSPACE_COLUMNS.
    let countries = row.text(3)?;
    let enabled_countries = countries
        .split(',')
        .filter(|c| !c.is_empty())
        .map(|c| CountryIso::parse(c).map_err(|e| StoreError::Other(e.to_string())))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Workspace {
        id: WorkspaceId::from_trusted(row.text(0)?),
        name: row.text(1)?,
        default_provider: parse_at(row, 2, "default_provider")?,
        enabled_countries,
        default_phone_number_id: row.opt_text(4)?.map(PhoneNumberId::from_trusted),
        created_at: ts(row.int(5)?)?,
    })
}

static WORKSPACE_BY_ID: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE id = $1"));

#[async_trait]
impl WorkspaceStore for SqlStore {
    async fn create_workspace(&self, new: &NewWorkspace) -> StoreResult<Workspace> {
        let sql = format!(
            "INSERT INTO workspaces (id, name, default_provider, enabled_countries, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {WORKSPACE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.id.as_str())
            .bind(&new.name)
            .bind(new.default_provider.as_str())
            .bind(countries_csv(&new.enabled_countries))
            .bind(ms(new.created_at))
            .fetch_one(&self.write)
            .await
            .map_err(map_err)?;
        workspace_from_row(&row)
    }

    async fn get_workspace(&self, id: &WorkspaceId) -> StoreResult<Option<Workspace>> {
        self.read_optional(
            &WORKSPACE_BY_ID,
            &[Arg::Text(id.as_str())],
            workspace_from_row,
        )
        .await
    }

    async fn list_workspaces(&self) -> StoreResult<Vec<Workspace>> {
        let sql = format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces ORDER BY created_at, id");
        let rows = sqlx::query(&sql)
            .fetch_all(&self.read)
            .await
            .map_err(map_err)?;
        rows.iter().map(|r| workspace_from_row(r)).collect()
    }

    async fn set_telephony_config(
        &self,
        id: &WorkspaceId,
        enabled_countries: &[CountryIso],
        default_provider: Provider,
    ) -> StoreResult<Workspace> {
        let sql = format!(
            "UPDATE workspaces SET enabled_countries = $2, default_provider = $3 WHERE id = $1 \
             RETURNING {WORKSPACE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(countries_csv(enabled_countries))
            .bind(default_provider.as_str())
            .fetch_optional(&self.write)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound)?;
        workspace_from_row(&row)
    }

    async fn insert_api_key(&self, key: &NewApiKey) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO api_keys (id, workspace_id, name, key_hash, key_prefix, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(key.id.as_str())
        .bind(key.workspace_id.as_str())
        .bind(&key.name)
        .bind(&key.key_hash)
        .bind(&key.key_prefix)
        .bind(ms(key.created_at))
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn authenticate_key(
        &self,
        key_hash: &str,
    ) -> StoreResult<Option<(WorkspaceId, ApiKeyId)>> {
        self.read_optional(
            "SELECT id, workspace_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
            &[Arg::Text(key_hash)],
            |row| {
                Ok((
                    WorkspaceId::from_trusted(row.text(1)?),
                    ApiKeyId::from_trusted(row.text(0)?),
                ))
            },
        )
        .await
    }

    async fn list_api_keys(&self, workspace: &WorkspaceId) -> StoreResult<Vec<ApiKey>> {
        let rows = sqlx::query(
            "SELECT id, workspace_id, name, key_prefix, created_at, revoked_at FROM api_keys \
             WHERE workspace_id = $1 ORDER BY created_at, id",
        )
        .bind(workspace.as_str())
        .fetch_all(&self.read)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(ApiKey {
                    id: ApiKeyId::from_trusted(get(r, "id")?),
                    workspace_id: WorkspaceId::from_trusted(get(r, "workspace_id")?),
                    name: get(r, "name")?,
                    key_prefix: get(r, "key_prefix")?,
                    created_at: ts(get(r, "created_at")?)?,
                    revoked_at: opt_ts(get(r, "revoked_at")?)?,
                })
            })
            .collect()
    }

    async fn revoke_api_key(
        &self,
        workspace: &WorkspaceId,
        id: &ApiKeyId,
        now: Timestamp,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND workspace_id = $2 AND revoked_at IS NULL",
        )
        .bind(id.as_str())
        .bind(workspace.as_str())
        .bind(ms(now))
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn kyc_statuses(&self, workspace: &WorkspaceId) -> StoreResult<Vec<KycRecord>> {
        let rows = sqlx::query(
            "SELECT country, status, updated_at FROM kyc WHERE workspace_id = $1 ORDER BY country",
        )
        .bind(workspace.as_str())
        .fetch_all(&self.read)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(KycRecord {
                    country: col(r, "country")?,
                    status: col(r, "status")?,
                    updated_at: ts(get(r, "updated_at")?)?,
                })
            })
            .collect()
    }

    async fn kyc_status(
        &self,
        workspace: &WorkspaceId,
        country: CountryIso,
    ) -> StoreResult<KycStatus> {
        let status = self
            .read_optional(
                "SELECT status FROM kyc WHERE workspace_id = $1 AND country = $2",
                &[Arg::Text(workspace.as_str()), Arg::Text(country.as_str())],
                |row| row.opt_text(0),
            )
            .await?
            .flatten();
        status
            .map(|s| {
                s.parse()
                    .map_err(|e| StoreError::Other(format!("column status: {e}")))
            })
            .transpose()
            .map(Option::unwrap_or_default)
    }

    async fn set_kyc_status(
        &self,
        workspace: &WorkspaceId,
        country: CountryIso,
        status: KycStatus,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO kyc (workspace_id, country, status, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (workspace_id, country) DO UPDATE SET status = $3, updated_at = $4",
        )
        .bind(workspace.as_str())
        .bind(country.as_str())
        .bind(status.as_str())
        .bind(ms(now))
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        Ok(())
    }
}
