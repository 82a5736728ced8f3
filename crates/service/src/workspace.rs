//! A workspace's telephony config (enabled countries, default provider) and KYC standing.

use crate::{Caller, ServiceError, ServiceResult, Services};
use dialnexa_domain::{CountryIso, KycStatus, Provider, WorkspaceId};
use dialnexa_store::{KycRecord, Workspace};

impl Services {
    pub async fn workspace(&self, caller: &Caller) -> ServiceResult<Workspace> {
        self.store
            .get_workspace(&caller.workspace_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Workspace"))
    }

    pub async fn set_telephony_config(
        &self,
        caller: &Caller,
        enabled_countries: Vec<CountryIso>,
        default_provider: Provider,
    ) -> ServiceResult<Workspace> {
        if !default_provider.is_carrier() {
            return Err(ServiceError::bad_request(
                "invalid_provider",
                "default_provider must be a carrier: twilio, plivo or telnyx.",
            ));
        }
        self.carriers.get(default_provider)?;
        let mut countries = enabled_countries;
        countries.sort();
        countries.dedup();
        Ok(self
            .store
            .set_telephony_config(&caller.workspace_id, &countries, default_provider)
            .await?)
    }

    /// KYC per country: every country with a record, plus every enabled country (as
    /// `not_started` when nothing was filed).
    pub async fn kyc(&self, caller: &Caller) -> ServiceResult<Vec<KycRecord>> {
        let workspace = self.workspace(caller).await?;
        let mut records = self.store.kyc_statuses(&caller.workspace_id).await?;
        for country in &workspace.enabled_countries {
            if !records.iter().any(|r| r.country == *country) {
                records.push(KycRecord {
                    country: *country,
                    status: KycStatus::NotStarted,
                    updated_at: workspace.created_at,
                });
            }
        }
        records.sort_by_key(|r| r.country);
        Ok(records)
    }

    /// Operator decision on a workspace's KYC for one country.
    pub async fn set_kyc(
        &self,
        workspace: &WorkspaceId,
        country: CountryIso,
        status: KycStatus,
    ) -> ServiceResult<()> {
        if self.store.get_workspace(workspace).await?.is_none() {
            return Err(ServiceError::not_found("Workspace"));
        }
        Ok(self
            .store
            .set_kyc_status(workspace, country, status, self.clock.now())
            .await?)
    }

    /// Whether (country, type) needs KYC under the deployment's regulated table.
    pub fn requires_kyc(
        &self,
        country: CountryIso,
        number_type: dialnexa_domain::NumberType,
    ) -> bool {
        self.policy.requires_kyc(country, number_type)
    }
}
