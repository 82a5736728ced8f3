//! Workspaces, their API keys and their KYC standing per country, on PostgreSQL.

use super::PgStore;
use super::db::{Args, err};
use crate::queries as q;
use crate::rows::{self, countries_csv, ms, parse};
use crate::{
    ApiKey, KycRecord, NewApiKey, NewWorkspace, StoreError, StoreResult, Workspace, WorkspaceStore,
};
use async_trait::async_trait;
use dialnexa_domain::{ApiKeyId, CountryIso, KycStatus, Provider, WorkspaceId};
use jiff::Timestamp;

#[async_trait]
impl WorkspaceStore for PgStore {
    async fn create_workspace(&self, new: &NewWorkspace) -> StoreResult<Workspace> {
        let countries = countries_csv(&new.enabled_countries);
        let args: Args = &[
            &new.id.as_str(),
            &new.name,
            &new.default_provider.as_str(),
            &countries,
            &ms(new.created_at),
        ];
        self.write_one(&q::INSERT_WORKSPACE, args, rows::workspace, err)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn get_workspace(&self, id: &WorkspaceId) -> StoreResult<Option<Workspace>> {
        self.workspaces.ask(id.clone()).await
    }

    async fn list_workspaces(&self) -> StoreResult<Vec<Workspace>> {
        self.read_all(&q::WORKSPACES, &[], rows::workspace).await
    }

    async fn set_telephony_config(
        &self,
        id: &WorkspaceId,
        enabled_countries: &[CountryIso],
        default_provider: Provider,
    ) -> StoreResult<Workspace> {
        let countries = countries_csv(enabled_countries);
        let args: Args = &[&id.as_str(), &countries, &default_provider.as_str()];
        self.write_one(&q::SET_TELEPHONY_CONFIG, args, rows::workspace, err)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn insert_api_key(&self, key: &NewApiKey) -> StoreResult<()> {
        let args: Args = &[
            &key.id.as_str(),
            &key.workspace_id.as_str(),
            &key.name,
            &key.key_hash,
            &key.key_prefix,
            &ms(key.created_at),
        ];
        self.write_exec(q::INSERT_API_KEY, args).await.map(drop)
    }

    async fn authenticate_key(
        &self,
        key_hash: &str,
    ) -> StoreResult<Option<(WorkspaceId, ApiKeyId)>> {
        self.read_one(q::AUTHENTICATE_KEY, &[&key_hash], |row| {
            Ok((
                WorkspaceId::from_trusted(row.text(1)?),
                ApiKeyId::from_trusted(row.text(0)?),
            ))
        })
        .await
    }

    async fn list_api_keys(&self, workspace: &WorkspaceId) -> StoreResult<Vec<ApiKey>> {
        self.read_all(&q::API_KEYS, &[&workspace.as_str()], rows::api_key)
            .await
    }

    async fn revoke_api_key(
        &self,
        workspace: &WorkspaceId,
        id: &ApiKeyId,
        now: Timestamp,
    ) -> StoreResult<()> {
        let args: Args = &[&id.as_str(), &workspace.as_str(), &ms(now)];
        match self.write_exec(q::REVOKE_API_KEY, args).await? {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    async fn kyc_statuses(&self, workspace: &WorkspaceId) -> StoreResult<Vec<KycRecord>> {
        self.read_all(q::KYC_STATUSES, &[&workspace.as_str()], rows::kyc)
            .await
    }

    async fn kyc_status(
        &self,
        workspace: &WorkspaceId,
        country: CountryIso,
    ) -> StoreResult<KycStatus> {
        let args: Args = &[&workspace.as_str(), &country.as_str()];
        let status = self
            .read_one(q::KYC_STATUS, args, |row| row.text(0))
            .await?;
        status
            .map(|s| parse(&s, "status"))
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
        let args: Args = &[
            &workspace.as_str(),
            &country.as_str(),
            &status.as_str(),
            &ms(now),
        ];
        self.write_exec(q::SET_KYC_STATUS, args).await.map(drop)
    }
}
