//! A workspace's telephony config (enabled countries, default provider) and KYC standing.

use crate::audit::{AuditEntry, actions};
use crate::input;
use crate::model::{KycStanding, Workspace};
use crate::{Actor, Caller, ServiceError, ServiceResult, Services};
use dialnexa_domain::{CountryIso, KycStatus, NumberType, WorkspaceId};

/// A change of the telephony config as sent; a field left out keeps its current value.
#[derive(Debug, Clone, Default)]
pub struct TelephonyConfigInput {
    pub enabled_countries: Option<Vec<String>>,
    pub default_provider: Option<String>,
}

impl Services {
    pub async fn workspace(&self, caller: &Caller) -> ServiceResult<Workspace> {
        self.store
            .get_workspace(&caller.workspace_id)
            .await?
            .map(Into::into)
            .ok_or_else(|| ServiceError::not_found("Workspace"))
    }

    pub async fn set_telephony_config(
        &self,
        caller: &Caller,
        change: TelephonyConfigInput,
    ) -> ServiceResult<Workspace> {
        let entry = AuditEntry::new(actions::TELEPHONY_CONFIG_UPDATE, "workspace")
            .on(caller.workspace_id.as_str())
            .with(serde_json::json!({
                "enabled_countries": change.enabled_countries,
                "default_provider": change.default_provider,
            }));
        let changed = self.set_telephony_config_unaudited(caller, change).await;
        self.audited(caller, entry, changed, |_| None).await
    }

    async fn set_telephony_config_unaudited(
        &self,
        caller: &Caller,
        change: TelephonyConfigInput,
    ) -> ServiceResult<Workspace> {
        let countries = change
            .enabled_countries
            .as_deref()
            .map(|list| input::countries("enabled_countries", list))
            .transpose()?;
        let provider = change
            .default_provider
            .as_deref()
            .map(|p| input::provider("default_provider", p))
            .transpose()?;
        let current = self.workspace(caller).await?;
        let mut countries = countries.unwrap_or(current.enabled_countries);
        let default_provider = provider.unwrap_or(current.default_provider);
        if !default_provider.is_carrier() {
            return Err(ServiceError::bad_request(
                "invalid_provider",
                "default_provider must be a carrier: twilio, plivo or telnyx.",
            )
            .on("default_provider"));
        }
        self.carriers
            .get(default_provider)
            .map_err(|e| e.on("default_provider"))?;
        countries.sort();
        countries.dedup();
        Ok(self
            .store
            .set_telephony_config(&caller.workspace_id, &countries, default_provider)
            .await?
            .into())
    }

    /// KYC per country: every country with a record, plus every enabled country (as
    /// `not_started` when nothing was filed).
    pub async fn kyc(&self, caller: &Caller) -> ServiceResult<Vec<KycStanding>> {
        let workspace = self.workspace(caller).await?;
        let mut standings: Vec<KycStanding> = self
            .store
            .kyc_statuses(&caller.workspace_id)
            .await?
            .into_iter()
            .map(|r| KycStanding {
                country: r.country,
                status: r.status,
                updated_at: r.updated_at,
            })
            .collect();
        for country in &workspace.enabled_countries {
            if !standings.iter().any(|r| r.country == *country) {
                standings.push(KycStanding {
                    country: *country,
                    status: KycStatus::NotStarted,
                    updated_at: workspace.created_at,
                });
            }
        }
        standings.sort_by_key(|r| r.country);
        Ok(standings)
    }

    /// Operator decision on a workspace's KYC for one country; audited in that workspace.
    pub async fn set_kyc(
        &self,
        actor: &Actor,
        workspace: &WorkspaceId,
        country: CountryIso,
        status: KycStatus,
    ) -> ServiceResult<()> {
        if self.store.get_workspace(workspace).await?.is_none() {
            return Err(ServiceError::not_found("Workspace"));
        }
        let entry = AuditEntry::new(actions::KYC_DECIDE, "kyc")
            .on(country.as_str())
            .with(serde_json::json!({ "country": country.as_str(), "status": status.as_str() }));
        let decided = self
            .store
            .set_kyc_status(workspace, country, status, self.clock.now())
            .await
            .map_err(Into::into);
        self.audited_as(actor, workspace, entry, decided, |_| None)
            .await
    }

    /// Whether (country, type) needs KYC under the deployment's regulated table.
    pub fn requires_kyc(&self, country: CountryIso, number_type: NumberType) -> bool {
        self.policy.requires_kyc(country, number_type)
    }
}
