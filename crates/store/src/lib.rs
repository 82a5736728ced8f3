//! Persistence for DialNexa Numbers. The service sees only the traits here. Two modules
//! implement them, each written for its database: `sqlite` (rusqlite: reads on the caller's
//! thread, writes group-committed by one writer thread) and `postgres` (tokio-postgres with a
//! deadpool pool and prepared statements). `SqlStore::connect` picks one by the URL; the
//! contract tests (`tests/contract.rs`) run the same bodies on both.

mod agent_records;
mod audit_records;
mod connect;
mod faults;
mod hold_rows;
mod holds;
mod monitor;
mod postgres;
mod queries;
mod records;
mod rows;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;
mod webhook_records;

pub use agent_records::*;
pub use audit_records::*;
pub use connect::{Backend, SqlStore, StoreOptions};
pub use faults::StoreFaults;
pub use holds::*;
pub use monitor::{MonitorStore, PoolStatus};
pub use records::*;
pub use webhook_records::*;

use async_trait::async_trait;
use dialnexa_domain::{
    AgentId, ApiKeyId, CountryIso, E164, KycStatus, Money, NumberType, PhoneNumberId, Provider,
    RegulatoryPolicy, WorkspaceId,
};
use jiff::Timestamp;

/// Why a store call failed, in terms the service can act on.
#[derive(Debug, Clone, thiserror::Error)]
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
    /// is already active returns it unchanged. `audit`, the request's audit row, is written in
    /// the same transaction (also when the row was already active), so a purchase costs one
    /// commit less than an activation and an audit row written apart.
    async fn activate_purchase(
        &self,
        id: &PhoneNumberId,
        carrier_ref: &str,
        now: Timestamp,
        first_charge: &NewCharge,
        event: &NewEvent,
        audit: Option<&NewAuditEvent>,
    ) -> StoreResult<PhoneNumberRecord>;

    /// The carrier refused: mark the pending row failed, which frees the claim, and write the
    /// outbox event, in one transaction. A row that is no longer pending is left alone, and no
    /// event is written.
    async fn fail_pending(
        &self,
        id: &PhoneNumberId,
        reason: &str,
        now: Timestamp,
        event: &NewEvent,
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
    /// period (starting `next_start`), with the outbox event, in one transaction. Compare-and-set
    /// on the cursor: when another worker charged this period first, nothing is written (the
    /// event neither) and the answer is `false`.
    async fn charge_renewal(
        &self,
        number: &PhoneNumberId,
        charge: &NewCharge,
        next_start: Timestamp,
        now: Timestamp,
        event: &NewEvent,
    ) -> StoreResult<bool>;

    async fn list_charges(
        &self,
        workspace: &WorkspaceId,
        filter: &ChargeFilter,
        page: Page,
    ) -> StoreResult<(Vec<Charge>, u64)>;
}

/// What `idempotency_begin` found for a (workspace, key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// This request owns the key now. `resumed_from` is set when it took over a key whose
    /// first request died mid-flight: the work may already be (partly) done since then.
    Started { resumed_from: Option<Timestamp> },
    /// Another request with this key is running.
    InFlight,
    /// The key was used with a different request.
    Mismatch,
    /// The first answer, to replay.
    Completed { status: u16, body: String },
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claim `key` for a request, or report what holds it. Keys created before `expired_before`
    /// are forgotten; in-flight keys locked before `stale_before` may be taken over.
    async fn idempotency_begin(
        &self,
        workspace: &WorkspaceId,
        key: &str,
        request_hash: &str,
        now: Timestamp,
        expired_before: Timestamp,
        stale_before: Timestamp,
    ) -> StoreResult<IdempotencyBegin>;

    async fn idempotency_complete(
        &self,
        workspace: &WorkspaceId,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()>;

    /// Forget a key whose request failed transiently, so a retry runs afresh.
    async fn idempotency_abandon(&self, workspace: &WorkspaceId, key: &str) -> StoreResult<()>;

    /// The workspace's live (pending or active) row for a number, if any.
    async fn live_number(
        &self,
        workspace: &WorkspaceId,
        number: &E164,
    ) -> StoreResult<Option<PhoneNumberRecord>>;
}

#[async_trait]
pub trait AgentStore: Send + Sync {
    /// The agent, its first version, its live bindings when that version is published at
    /// once, and the audit row, in one transaction.
    async fn insert_agent(
        &self,
        new: &NewAgent,
        live: &[(Direction, PhoneNumberId)],
        audit: &NewAuditEvent,
    ) -> StoreResult<Result<Agent, AgentRefused>>;
    async fn get_agent(&self, workspace: &WorkspaceId, id: &AgentId) -> StoreResult<Option<Agent>>;
    /// Newest first.
    async fn list_agents(
        &self,
        workspace: &WorkspaceId,
        page: Page,
    ) -> StoreResult<(Vec<Agent>, u64)>;
    /// Apply a decided change (see [`AgentWrite`]) and its audit row in one transaction,
    /// if the agent is still at the revision it was computed from.
    async fn write_agent(&self, change: &AgentWrite) -> StoreResult<Result<Agent, AgentRefused>>;
    /// Delete the agent and its versions; with `detach`, live numbers pointing at it stop
    /// doing so in the same transaction, without it they make the deletion refuse. The audit
    /// row is written with the deletion, and only then.
    async fn delete_agent(
        &self,
        workspace: &WorkspaceId,
        id: &AgentId,
        detach: bool,
        now: Timestamp,
        audit: &NewAuditEvent,
    ) -> StoreResult<AgentDeletion>;
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn insert_audit_event(&self, event: &NewAuditEvent) -> StoreResult<()>;
    /// Newest first.
    async fn list_audit_events(
        &self,
        workspace: &WorkspaceId,
        filter: &AuditFilter,
        page: Page,
    ) -> StoreResult<(Vec<AuditEvent>, u64)>;
    /// Forget up to `limit` rows older than `before`; how many went.
    async fn delete_audit_events_before(&self, before: Timestamp, limit: u32) -> StoreResult<u64>;
}

#[async_trait]
pub trait LifecycleStore: Send + Sync {
    /// Apply a partial update to a live (pending or active) number, and write the outbox event
    /// made from the updated row, in one transaction. An agent named in the change must belong
    /// to the workspace at the moment of the write. A refused update writes no event.
    async fn update_number(
        &self,
        workspace: &WorkspaceId,
        id: &PhoneNumberId,
        changes: &NumberChanges,
        now: Timestamp,
        event: &NumberEvent,
    ) -> StoreResult<Result<PhoneNumberRecord, UpdateRefused>>;

    /// Set (or clear, with `None`) the workspace default; it must be an active number of the
    /// workspace that is not being released.
    async fn set_default_number(
        &self,
        workspace: &WorkspaceId,
        number: Option<&PhoneNumberId>,
    ) -> StoreResult<Result<Workspace, DefaultRefused>>;

    /// Step one of a release: save the intent on an active number that is not the workspace
    /// default. Compare-and-set, so two releases never both proceed.
    async fn claim_release(
        &self,
        workspace: &WorkspaceId,
        id: &PhoneNumberId,
        now: Timestamp,
    ) -> StoreResult<ReleaseClaim>;

    /// The carrier let go of it: mark it released, drop its routing and any SIP trunk
    /// credentials, and write the outbox event, in one transaction. Idempotent.
    async fn finish_release(
        &self,
        id: &PhoneNumberId,
        now: Timestamp,
        event: &NewEvent,
    ) -> StoreResult<Option<PhoneNumberRecord>>;

    /// The carrier still has it: forget the intent, the number stays active.
    async fn abandon_release(&self, id: &PhoneNumberId) -> StoreResult<()>;

    /// Release intents saved before `before` and never finished (their request died).
    async fn stale_releases(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<PhoneNumberRecord>>;
}

#[async_trait]
pub trait SipTrunkStore: Send + Sync {
    /// Register a bring-your-own number: an active `sip_trunk` row (claimed by the same unique
    /// index as a purchase) and its trunk, in one transaction. `Err(NumberAlreadyHeld)` when
    /// any workspace holds the number.
    async fn insert_sip_trunk(
        &self,
        number: &NewNumber,
        nickname: Option<&str>,
        trunk: &SipTrunkRecord,
        event: &NewEvent,
    ) -> StoreResult<PhoneNumberRecord>;

    async fn get_sip_trunk(
        &self,
        workspace: &WorkspaceId,
        number: &PhoneNumberId,
    ) -> StoreResult<Option<SipTrunkRecord>>;
}

/// Operator-scoped reads and repairs for reconciliation with the carriers.
#[async_trait]
pub trait ReconcileStore: Send + Sync {
    /// Every pending or active row bought from `provider`, across workspaces.
    async fn live_numbers_by_provider(
        &self,
        provider: Provider,
    ) -> StoreResult<Vec<PhoneNumberRecord>>;
    /// An active row whose number the carrier no longer has: released here (routing and
    /// renewals stop).
    async fn release_ghost(&self, id: &PhoneNumberId, now: Timestamp) -> StoreResult<()>;
    /// Adopt the carrier's handle for a number we hold.
    async fn set_carrier_ref(&self, id: &PhoneNumberId, carrier_ref: &str) -> StoreResult<()>;
}

/// Dashboard sessions kept on the server, and the revocation counter every server checks.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_session(&self, new: &NewSession) -> StoreResult<()>;
    /// The session whose id hashes to `id_hash`, if it is live at `now` and its key is not
    /// revoked.
    async fn session(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<SessionRecord>>;
    /// Sign-out: the session ends whether or not it was live.
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Forget sessions expired by `now`; answers how many.
    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64>;
    /// How many API keys were ever revoked, by any server: a key verified while this number
    /// was the same is still valid unless it changed since.
    async fn key_revocations(&self) -> StoreResult<u64>;
}

/// Everything the service needs from persistence.
#[async_trait]
pub trait Store:
    WorkspaceStore
    + CatalogStore
    + NumberStore
    + BillingStore
    + IdempotencyStore
    + AgentStore
    + LifecycleStore
    + SipTrunkStore
    + ReconcileStore
    + SessionStore
    + AuditStore
    + HoldStore
    + OrderStore
    + MonitorStore
    + WebhookStore
{
    /// A read round trip: the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// The database answers *and commits*: a write to the heartbeat row is durable. A disk
    /// that is full or read-only fails this while reads still work.
    async fn ready(&self) -> StoreResult<()>;

    /// A number that differs from every earlier answer once anything that a number of
    /// `workspace` shows (the number rows and their SIP trunks) has been committed since, by
    /// this process or any other: read it *before* a read, and an answer computed from that
    /// read stays true for as long as the token stays the same. `None` where the backend
    /// cannot tell, and the caller must not cache.
    async fn change_token(&self, workspace: &WorkspaceId) -> StoreResult<Option<u64>>;

    /// [`SessionStore::key_revocations`] and [`Store::change_token`] of `workspace`, read
    /// together: an authenticated request needs both, and each backend answers them with one
    /// look at the database (one batched query on PostgreSQL, one `data_version` on SQLite).
    async fn revocations_and_token(
        &self,
        workspace: &WorkspaceId,
    ) -> StoreResult<(u64, Option<u64>)>;

    /// Apply pending migrations. Safe to run from several processes at once.
    async fn migrate(&self) -> StoreResult<()>;

    /// Close every connection; later calls fail.
    async fn close(&self);
}
