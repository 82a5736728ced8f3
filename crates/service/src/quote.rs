//! What buying a (country, type) would mean for a workspace: which provider sells it, at what
//! monthly price, the first billing period, and what stops the workspace from buying (country
//! not enabled, KYC). The search results, the dashboard's confirmation and the purchase all
//! read these rules here, so they cannot drift apart.

use crate::{Caller, ErrorKind, ServiceError, ServiceResult, Services};
use dialnexa_domain::{BillingPeriod, CountryIso, E164, KycStatus, Money, NumberType, Provider};

/// What to quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteRequest {
    pub country: CountryIso,
    pub number_type: NumberType,
    /// `None`: the workspace's default provider.
    pub provider: Option<Provider>,
}

impl QuoteRequest {
    pub fn for_number(number: &E164, provider: Option<Provider>) -> Self {
        QuoteRequest {
            country: *number.country(),
            number_type: number.number_type(),
            provider,
        }
    }
}

/// Why a workspace cannot buy a number now, and where that is fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ineligible {
    /// The country is not enabled in the workspace's telephony config.
    CountryNotEnabled,
    /// The (country, type) is regulated and the workspace's KYC there is not approved.
    KycRequired(KycStatus),
    /// Another workspace holds the number in a reservation (per number, not per search).
    Reserved,
}

impl Ineligible {
    /// The stable code, as search results and errors carry it.
    pub fn code(self) -> &'static str {
        match self {
            Ineligible::CountryNotEnabled => "country_not_enabled",
            Ineligible::KycRequired(_) => "kyc_required",
            Ineligible::Reserved => "reserved",
        }
    }

    /// The refusal a purchase answers with.
    pub fn error(self, country: CountryIso, number_type: NumberType) -> ServiceError {
        match self {
            Ineligible::CountryNotEnabled => ServiceError::bad_request(
                "country_not_enabled",
                format!(
                    "{country} is not enabled for this workspace. Enable it in Workspace Settings → \
                     Telephony Config (PUT /v1/workspace/telephony-config) and retry."
                ),
            ),
            Ineligible::KycRequired(kyc) => ServiceError::new(
                ErrorKind::Forbidden,
                "kyc_required",
                format!(
                    "{country} {} numbers require approved KYC; this workspace's KYC for {country} \
                     is {kyc}. Complete KYC and verification (GET /v1/workspace/kyc), then retry.",
                    type_words(number_type)
                ),
            ),
            Ineligible::Reserved => ServiceError::conflict(
                "number_reserved",
                "Another workspace holds this number in a reservation. Search again for another \
                 number, or try again once the reservation ends.",
            ),
        }
    }
}

/// The terms of buying one (country, type) through one provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    pub country: CountryIso,
    pub number_type: NumberType,
    /// The provider asked for, or the workspace's default.
    pub provider: Provider,
    /// The monthly rental; `None` when this deployment does not sell (country, type) through
    /// `provider`.
    pub monthly_cost: Option<Money>,
    /// The first rental period if the number were bought now: billing starts at purchase.
    pub first_period: BillingPeriod,
    /// `None` when the workspace may buy now.
    pub blocked_by: Option<Ineligible>,
}

impl Services {
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn quote(&self, caller: &Caller, req: QuoteRequest) -> ServiceResult<Quote> {
        let QuoteRequest {
            country,
            number_type,
            ..
        } = req;
        // The regulated table is in memory, so the KYC standing, when it matters, is read
        // beside the workspace rather than after it.
        let regulated = self.requires_kyc(country, number_type);
        let kyc = async {
            match regulated {
                true => self
                    .store
                    .kyc_status(&caller.workspace_id, country)
                    .await
                    .map(Some),
                false => Ok(None),
            }
        };
        let (workspace, kyc) = tokio::try_join!(self.workspace(caller), async {
            kyc.await.map_err(ServiceError::from)
        })?;
        let provider = req.provider.unwrap_or(workspace.default_provider);
        let blocked_by = if !workspace.country_enabled(country) {
            Some(Ineligible::CountryNotEnabled)
        } else {
            match kyc {
                None | Some(KycStatus::Approved) => None,
                Some(other) => Some(Ineligible::KycRequired(other)),
            }
        };
        let monthly_cost = if self.carriers.get(provider).is_ok() {
            self.prices.get(&(provider, country, number_type)).copied()
        } else {
            None
        };
        Ok(Quote {
            country,
            number_type,
            provider,
            monthly_cost,
            first_period: BillingPeriod::nth(self.clock.now(), 0),
            blocked_by,
        })
    }
}

pub(crate) fn type_words(t: NumberType) -> &'static str {
    match t {
        NumberType::Local => "local",
        NumberType::Mobile => "mobile",
        NumberType::TollFree => "toll-free",
    }
}
