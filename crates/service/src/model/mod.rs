//! What the use cases hand to their callers: the service's own records, filters, pages and
//! enums, so the front-ends never see a store row (and the store may change its rows freely).

mod agent;
mod hold;
mod number;
mod webhook;

pub use agent::{Agent, AgentVersion};
pub use hold::{Order, OrderItem, OrderMode, Reservation};
pub use number::{AvailableNumber, PhoneNumber, SipAuthMode, SipTrunk};
pub use webhook::{DeliveryAttempt, Webhook, WebhookDelivery};

use crate::{ServiceError, ServiceResult};
use dialnexa_domain::{
    ApiKeyId, ChargeId, CountryIso, KycStatus, Money, NumberType, PhoneNumberId, Provider,
    WorkspaceId,
};
use jiff::Timestamp;

pub const MAX_PAGE_LIMIT: u32 = 100;
pub const DEFAULT_PAGE_LIMIT: u32 = 20;

/// A page of a list: `page` from 1, `limit` from 1 to [`MAX_PAGE_LIMIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Page {
    pub page: u32,
    pub limit: u32,
}

impl Page {
    /// Checks `page` and `limit` as a caller gave them (`None`: the default).
    pub fn parse(page: Option<i64>, limit: Option<i64>) -> ServiceResult<Page> {
        let page = page.unwrap_or(1);
        let limit = limit.unwrap_or(i64::from(DEFAULT_PAGE_LIMIT));
        if page < 1 || page > i64::from(u32::MAX) {
            return Err(ServiceError::bad_request(
                "invalid_page",
                "page must be a whole number of at least 1.",
            )
            .on("page"));
        }
        if !(1..=i64::from(MAX_PAGE_LIMIT)).contains(&limit) {
            return Err(ServiceError::bad_request(
                "invalid_limit",
                format!("limit must be a whole number from 1 to {MAX_PAGE_LIMIT}."),
            )
            .on("limit"));
        }
        Ok(Page {
            page: page as u32,
            limit: limit as u32,
        })
    }
}

impl From<Page> for dialnexa_store::Page {
    fn from(p: Page) -> Self {
        dialnexa_store::Page {
            page: p.page,
            limit: p.limit,
        }
    }
}

/// A workspace: who it is, what it may buy, and its default number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub default_provider: Provider,
    pub enabled_countries: Vec<CountryIso>,
    pub default_phone_number_id: Option<PhoneNumberId>,
    pub created_at: Timestamp,
}

impl Workspace {
    pub fn country_enabled(&self, country: CountryIso) -> bool {
        self.enabled_countries.contains(&country)
    }

    pub fn is_default(&self, number: &PhoneNumberId) -> bool {
        self.default_phone_number_id.as_ref() == Some(number)
    }
}

impl From<dialnexa_store::Workspace> for Workspace {
    fn from(w: dialnexa_store::Workspace) -> Self {
        Workspace {
            id: w.id,
            name: w.name,
            default_provider: w.default_provider,
            enabled_countries: w.enabled_countries,
            default_phone_number_id: w.default_phone_number_id,
            created_at: w.created_at,
        }
    }
}

/// An API key as its workspace sees it: never the secret, which exists only at creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    /// The first characters of the secret, to tell keys apart.
    pub key_prefix: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

impl From<dialnexa_store::ApiKey> for ApiKey {
    fn from(k: dialnexa_store::ApiKey) -> Self {
        ApiKey {
            id: k.id,
            workspace_id: k.workspace_id,
            name: k.name,
            key_prefix: k.key_prefix,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A workspace's KYC standing in one country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KycStanding {
    pub country: CountryIso,
    pub status: KycStatus,
    pub updated_at: Timestamp,
}

/// The monthly rental of one provider, country and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub provider: Provider,
    pub country: CountryIso,
    pub number_type: NumberType,
    pub monthly_cost: Money,
}

/// One rental period charged for one number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub id: ChargeId,
    pub phone_number_id: PhoneNumberId,
    pub period_index: u32,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    pub amount: Money,
    pub created_at: Timestamp,
}

impl From<dialnexa_store::Charge> for Charge {
    fn from(c: dialnexa_store::Charge) -> Self {
        Charge {
            id: c.id,
            phone_number_id: c.phone_number_id,
            period_index: c.period_index,
            period_start: c.period_start,
            period_end: c.period_end,
            amount: c.amount,
            created_at: c.created_at,
        }
    }
}

/// Which charges to list; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct ChargeFilter {
    /// Periods starting at or after this instant.
    pub period_from: Option<Timestamp>,
    /// Periods starting before this instant.
    pub period_to: Option<Timestamp>,
}
