//! Searching a carrier's inventory, priced from our table, with what would stop this workspace
//! from buying each result. Every result shown is remembered as a sighting (see purchase).

use crate::{Caller, ServiceError, ServiceResult, Services};
use dialnexa_carriers::{AvailableNumber, CarrierError, SearchQuery};
use dialnexa_domain::{
    Capabilities, CountryIso, KycStatus, Money, NumberType, Provider, keypad_pattern,
};
use dialnexa_store::Sighting;

/// A search as the caller asked for it; free-text fields are checked here.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub country: CountryIso,
    pub number_type: NumberType,
    pub area_code: Option<String>,
    pub contains: Option<String>,
    pub region: Option<String>,
    pub capabilities: Capabilities,
    pub limit: u32,
    pub provider: Option<Provider>,
}

#[derive(Debug, Clone)]
pub struct SearchResult {
    pub number: AvailableNumber,
    pub provider: Provider,
    pub monthly_cost: Option<Money>,
    /// `None` when this workspace can buy the number now; else the code of what stands in the way.
    pub blocked_by: Option<&'static str>,
}

pub const MAX_SEARCH_LIMIT: u32 = 100;

impl Services {
    pub async fn search(
        &self,
        caller: &Caller,
        req: SearchRequest,
    ) -> ServiceResult<Vec<SearchResult>> {
        let workspace = self.workspace(caller).await?;
        let provider = req.provider.unwrap_or(workspace.default_provider);
        let carrier = self.carriers.get(provider)?;
        let query = SearchQuery {
            country: req.country,
            number_type: req.number_type,
            area_code: req.area_code.map(|a| check_area_code(&a)).transpose()?,
            contains: req
                .contains
                .filter(|c| !c.is_empty())
                .map(|c| {
                    keypad_pattern(&c)
                        .map_err(|e| ServiceError::bad_request("invalid_contains", e.to_string()))
                })
                .transpose()?,
            region: req
                .region
                .filter(|r| !r.trim().is_empty())
                .map(|r| r.trim().to_owned()),
            capabilities: req.capabilities,
            limit: req.limit.clamp(1, MAX_SEARCH_LIMIT),
        };
        let found = carrier
            .search(&query)
            .await
            .map_err(|e| carrier_error(provider, e))?;

        let blocked_by = if !workspace.country_enabled(req.country) {
            Some("country_not_enabled")
        } else if self.requires_kyc(req.country, req.number_type)
            && self
                .store
                .kyc_status(&caller.workspace_id, req.country)
                .await?
                != KycStatus::Approved
        {
            Some("kyc_required")
        } else {
            None
        };
        let price = self
            .store
            .price(provider, req.country, req.number_type)
            .await?;
        let now = self.clock.now();
        let sightings: Vec<Sighting> = found
            .iter()
            .map(|n| Sighting {
                phone_number: n.phone_number.clone(),
                provider,
                capabilities: n.capabilities,
                seen_at: now,
            })
            .collect();
        self.store
            .record_sightings(&caller.workspace_id, &sightings, now)
            .await?;
        Ok(found
            .into_iter()
            .map(|number| SearchResult {
                monthly_cost: price.or(number.carrier_monthly_cost),
                number,
                provider,
                blocked_by,
            })
            .collect())
    }
}

fn check_area_code(a: &str) -> ServiceResult<String> {
    let a = a.trim();
    if a.is_empty() || a.len() > 6 || !a.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ServiceError::bad_request(
            "invalid_area_code",
            format!("`{a}` is not an area code: use 1 to 6 digits, e.g. 415"),
        ));
    }
    Ok(a.to_owned())
}

/// Carrier failures outside the purchase saga: nothing was changed, so they are all retryable
/// or operator problems.
pub(crate) fn carrier_error(provider: Provider, e: CarrierError) -> ServiceError {
    match e {
        CarrierError::Rejected(reason) => ServiceError::bad_request(
            "carrier_rejected",
            format!("{provider} rejected the request: {reason}"),
        ),
        CarrierError::Unauthorized => ServiceError::new(
            crate::ErrorKind::BadGateway,
            "carrier_auth_failed",
            format!(
                "{provider} refused this deployment's credentials; an operator must fix the carrier configuration."
            ),
        ),
        other => ServiceError::new(
            crate::ErrorKind::Unavailable,
            "carrier_unavailable",
            format!("{provider} is not answering right now; retry in a few seconds."),
        )
        .with_internal(other.to_string()),
    }
}
