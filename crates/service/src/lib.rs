//! Use cases of DialNexa Numbers. Handlers call exactly one function here; this layer decides
//! who may do what, orchestrates the store and the carriers, and never sees HTTP types.

pub mod actor;
pub mod agent_input;
mod agent_plan;
pub mod agents;
pub mod audit;
pub mod auth;
pub mod billing;
mod carrier_calls;
pub mod carriers;
pub mod catalog;
pub mod cipher;
pub mod clock;
pub mod error;
pub mod failpoints;
pub mod idempotency;
pub mod input;
pub mod lifecycle;
pub mod model;
pub mod numbers;
pub mod orders;
pub mod quote;
mod readiness;
pub mod reconcile;
pub mod reservations;
pub mod saga;
pub mod search;
pub mod sessions;
pub mod sip_trunk;
pub mod telemetry;
pub mod webhooks;
pub mod workspace;

pub use actor::{Actor, ActorKind, Caller};
pub use carriers::Carriers;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ErrorKind, ServiceError, ServiceResult};
pub use model::{
    Agent, ApiKey, AvailableNumber, Charge, ChargeFilter, KycStanding, Order, OrderItem, OrderMode,
    Page, PhoneNumber, Price, Reservation, SipAuthMode, SipTrunk, Workspace,
};

use dialnexa_domain::{CountryIso, Money, NumberType, Provider, RegulatoryPolicy};
use dialnexa_store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Tunables of the use cases.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// A search sighting older than this no longer turns a carrier's "not available" into a
    /// 409: the number is simply "no longer available" (400).
    pub sighting_ttl: Duration,
    /// Test-only crash points in the saga; empty in production.
    pub failpoints: failpoints::Failpoints,
    /// Seals SIP trunk passwords; linking a trunk with credentials needs it.
    pub encryption_key: Option<cipher::EncryptionKey>,
    /// How long a verified API key is trusted without reading the database again; a
    /// revocation through any process still stops it at once (see `auth::KeyCache`). Zero:
    /// read every time.
    pub api_key_cache_ttl: Duration,
    /// Accept SIP trunks on loopback, private and link-local addresses (an operator whose
    /// trunks live on its own network); refused otherwise.
    pub sip_allow_private: bool,
    /// How long `/ready` waits for each carrier's answer.
    pub ready_timeout: Duration,
    /// Accept `http://` webhook URLs and ones on loopback, private and link-local addresses
    /// (receivers on the operator's own network, tests); refused otherwise.
    pub webhooks_allow_private: bool,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            sighting_ttl: Duration::from_secs(60 * 60),
            api_key_cache_ttl: Duration::from_secs(5),
            failpoints: Default::default(),
            encryption_key: None,
            sip_allow_private: false,
            ready_timeout: Duration::from_secs(2),
            webhooks_allow_private: false,
        }
    }
}

/// Everything the use cases need, cheap to clone: a handful of `Arc`s (axum clones it for
/// every request).
#[derive(Clone)]
pub struct Services {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) carriers: Arc<Carriers>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) policy: Arc<RegulatoryPolicy>,
    /// The monthly rental of every (provider, country, type) sold: reference data, seeded by
    /// migrations and never changed while serving, so read once instead of on every quote.
    pub(crate) prices: Arc<HashMap<(Provider, CountryIso, NumberType), Money>>,
    pub(crate) config: Arc<ServiceConfig>,
    pub(crate) keys: Arc<auth::KeyCache>,
    /// Signs the dashboard's sign-in forms (`sessions`).
    pub(crate) sign_in_key: Arc<[u8; 32]>,
    /// The webhook worker's wake-up, client and bound on attempts in flight.
    pub(crate) webhooks: Arc<webhooks::deliver::Dispatch>,
}

impl Services {
    /// Loads the reference data it caches (the regulated table, the prices) from the store.
    pub async fn new(
        store: Arc<dyn Store>,
        carriers: Carriers,
        clock: Arc<dyn Clock>,
        config: ServiceConfig,
    ) -> ServiceResult<Self> {
        let policy = Arc::new(store.regulatory_policy().await?);
        let prices = store
            .list_prices()
            .await?
            .into_iter()
            .map(|p| ((p.provider, p.country, p.number_type), p.monthly_cost))
            .collect();
        Ok(Services {
            store,
            carriers: Arc::new(carriers),
            clock,
            policy,
            prices: Arc::new(prices),
            keys: Arc::new(auth::KeyCache::new(config.api_key_cache_ttl)),
            sign_in_key: Arc::new(sessions::sign_in_key(config.encryption_key.as_ref())),
            webhooks: Arc::new(webhooks::deliver::Dispatch::new(
                config.webhooks_allow_private,
            )),
            config: Arc::new(config),
        })
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The store itself, for operator tools and tests that inspect rows; front-ends never need it.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Ready to serve: the database answers and commits (a full or read-only disk fails this
    /// while reads still work), and every configured carrier answers.
    pub async fn ready(&self) -> ServiceResult<()> {
        self.store.ready().await?;
        self.carriers_ready().await
    }
}
