//! Persistence for DialNexa Numbers. The service sees only the traits here; `SqlStore`
//! implements them once over sqlx's `Any` driver, so SQLite (the embedded default) and
//! PostgreSQL (scale-out) run the very same SQL, each with its own migrations.

mod records;
mod sql;

pub use records::*;
pub use sql::{SqlStore, StoreOptions};

use async_trait::async_trait;
use dialnexa_domain::{
    ApiKeyId, CountryIso, E164, KycStatus, Money, NumberType, PhoneNumberId, Provider,
    RegulatoryPolicy, WorkspaceId,
};
use jiff::Timestamp;

/// Why a store call failed, in terms the service can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another non-released row already holds this phone number.
    #[error("the number is already held")]
    NumberAlreadyHeld,
    #[error("not found")]
    NotFound,
    /// The row is not in the state the change expects (e.g. activating a non-pending row).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached or timed out: the request may be retried later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Other(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait WorkspaceStore: Send + Sync {
    async fn create_workspace(&self, new: &NewWorkspace) -> StoreResult<Workspace>;
    async fn get_workspace(&self, id: &WorkspaceId) -> StoreResult<Option<Workspace>>;
    async fn list_workspaces(&self) -> StoreResult<Vec<Workspace>>;
    async fn set_telephony_config(
        &self,
        id: &WorkspaceId,
        enabled_countries: &[CountryIso],
        default_provider: Provider,
    ) -> StoreResult<Workspace>;

    async fn insert_api_key(&self, key: &NewApiKey) -> StoreResult<()>;
    /// The workspace a non-revoked key (by its hash) belongs to.
    async fn authenticate_key(
        &self,
        key_hash: &str,
    ) -> StoreResult<Option<(WorkspaceId, ApiKeyId)>>;
    async fn list_api_keys(&self, workspace: &WorkspaceId) -> StoreResult<Vec<ApiKey>>;
    async fn revoke_api_key(
        &self,
        workspace: &WorkspaceId,
        id: &ApiKeyId,
        now: Timestamp,
    ) -> StoreResult<()>;

    async fn kyc_statuses(&self, workspace: &WorkspaceId) -> StoreResult<Vec<KycRecord>>;
    async fn kyc_status(
        &self,
        workspace: &WorkspaceId,
        country: CountryIso,
    ) -> StoreResult<KycStatus>;
    async fn set_kyc_status(
        &self,
        workspace: &WorkspaceId,
        country: CountryIso,
        status: KycStatus,
        now: Timestamp,
    ) -> StoreResult<()>;
}

#[async_trait]
pub trait CatalogStore: Send + Sync {
    async fn regulatory_policy(&self) -> StoreResult<RegulatoryPolicy>;
    async fn price(
        &self,
        provider: Provider,
        country: CountryIso,
        number_type: NumberType,
    ) -> StoreResult<Option<Money>>;
    async fn list_prices(&self) -> StoreResult<Vec<PriceRow>>;

    /// Remember that a search showed these numbers to a workspace.
    async fn record_sightings(
        &self,
        workspace: &WorkspaceId,
        sightings: &[Sighting],
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn sighting(
        &self,
        workspace: &WorkspaceId,
        number: &E164,
    ) -> StoreResult<Option<Sighting>>;
}

#[async_trait]
pub trait NumberStore: Send + Sync {
    /// Step one of a purchase: claim the number with a `pending` row.
    /// `Err(NumberAlreadyHeld)` when any workspace holds it.
    async fn insert_pending(&self, new: &NewNumber) -> StoreResult<PhoneNumberRecord>;

    /// Step three: the carrier sold us the number. Marks the row active, writes the first
    /// rental charge and the outbox event in one transaction. Idempotent: activating a row that
    /// is already active returns it unchanged.
    async fn activate_purchase(
        &self,
        id: &PhoneNumberId,
        carrier_ref: &str,
        now: Timestamp,
        first_charge: &NewCharge,
        event: &NewEvent,
    ) -> StoreResult<PhoneNumberRecord>;

    /// The carrier refused: mark the pending row failed, which frees the claim.
    async fn fail_pending(
        &self,
        id: &PhoneNumberId,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<()>;

    async fn get_number(
        &self,
        workspace: &WorkspaceId,
        id: &PhoneNumberId,
    ) -> StoreResult<Option<PhoneNumberRecord>>;

    async fn list_numbers(
        &self,
        workspace: &WorkspaceId,
        filter: &NumberFilter,
        page: Page,
    ) -> StoreResult<(Vec<PhoneNumberRecord>, u64)>;

    /// Pending purchases created before `before`, oldest first (for the recovery worker).
    async fn pending_before(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<PhoneNumberRecord>>;
}

#[async_trait]
pub trait BillingStore: Send + Sync {
    /// Numbers whose next rental period has begun by `now` (and before their release).
    async fn due_renewals(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<RenewalDue>>;

    /// Charge the period `charge.period_index` of a number and move its cursor to the next
    /// period (starting `next_start`), in one transaction. Compare-and-set on the cursor: when
    /// another worker charged this period first, nothing is written and the answer is `false`.
    async fn charge_renewal(
        &self,
        number: &PhoneNumberId,
        charge: &NewCharge,
        next_start: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool>;

    async fn list_charges(
        &self,
        workspace: &WorkspaceId,
        filter: &ChargeFilter,
        page: Page,
    ) -> StoreResult<(Vec<Charge>, u64)>;
}

/// Everything the service needs from persistence.
#[async_trait]
pub trait Store: WorkspaceStore + CatalogStore + NumberStore + BillingStore {
    /// Cheap liveness check for /health.
    async fn ping(&self) -> StoreResult<()>;
}
