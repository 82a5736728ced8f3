//! Configuration of `serve`: one typed struct built from defaults, environment variables and
//! flags (clap handles all three), with secrets in a redacting wrapper. Nothing else reads the
//! environment.

use clap::Args;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// A secret: shown as `<redacted>` in Debug output and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://FILE` (created if missing) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://dialnexa.db")]
    pub database_url: String,
    /// Largest number of database connections per process.
    #[arg(long, env = "DIALNEXA_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
    /// How long a request may wait in line for a PostgreSQL connection while every one is busy
    /// (a burst waits its turn; a database that cannot be reached answers 503 at once), in ms.
    #[arg(long, env = "DIALNEXA_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 30_000)]
    pub db_acquire_timeout_ms: u64,
}

impl DatabaseArgs {
    pub fn store_options(&self) -> dialnexa_store::StoreOptions {
        dialnexa_store::StoreOptions {
            url: self.database_url.clone(),
            max_connections: self.db_max_connections,
            acquire_timeout: Duration::from_millis(self.db_acquire_timeout_ms),
            ..dialnexa_store::StoreOptions::new(&self.database_url)
        }
    }

    /// The folder beside the SQLite file (or the working folder for PostgreSQL), where the
    /// embedded emulator's state and the demo key file live.
    pub fn data_dir(&self) -> PathBuf {
        let path = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|p| p.split('?').next().unwrap_or(p));
        match path
            .map(PathBuf::from)
            .and_then(|p| p.parent().map(PathBuf::from))
        {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => PathBuf::from("."),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct CarrierArgs {
    /// Start the carrier emulator in-process and point every carrier without a base URL at it.
    #[arg(long, env = "DIALNEXA_EMULATOR", default_value = "on", value_parser = ["on", "off"])]
    pub emulator: String,
    /// Where the embedded emulator keeps its state; default: dialnexa-emulator.db beside the
    /// SQLite file (or in the working folder for PostgreSQL).
    #[arg(long, env = "DIALNEXA_EMULATOR_STATE")]
    pub emulator_state: Option<PathBuf>,
    /// Twilio API base URL, e.g. https://api.twilio.com or a separate `dialnexa carrier-emulator`.
    #[arg(long, env = "DIALNEXA_TWILIO_BASE_URL")]
    pub twilio_base_url: Option<String>,
    #[arg(long, env = "DIALNEXA_TWILIO_ACCOUNT_SID")]
    pub twilio_account_sid: Option<String>,
    #[arg(long, env = "DIALNEXA_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    pub twilio_auth_token: Option<Secret>,
    /// Plivo API base URL, e.g. https://api.plivo.com.
    #[arg(long, env = "DIALNEXA_PLIVO_BASE_URL")]
    pub plivo_base_url: Option<String>,
    #[arg(long, env = "DIALNEXA_PLIVO_AUTH_ID")]
    pub plivo_auth_id: Option<String>,
    #[arg(long, env = "DIALNEXA_PLIVO_AUTH_TOKEN", hide_env_values = true)]
    pub plivo_auth_token: Option<Secret>,
    /// Telnyx API base URL, e.g. https://api.telnyx.com (the adapter adds /v2).
    #[arg(long, env = "DIALNEXA_TELNYX_BASE_URL")]
    pub telnyx_base_url: Option<String>,
    #[arg(long, env = "DIALNEXA_TELNYX_API_KEY", hide_env_values = true)]
    pub telnyx_api_key: Option<Secret>,
    /// Bound on every carrier call, in ms; a purchase whose answer does not come in time is
    /// left pending for recovery.
    #[arg(long, env = "DIALNEXA_CARRIER_TIMEOUT_MS", default_value_t = 10_000)]
    pub carrier_timeout_ms: u64,
}

impl CarrierArgs {
    pub fn emulator_enabled(&self) -> bool {
        self.emulator == "on"
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "DIALNEXA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub carriers: CarrierArgs,
    #[command(flatten)]
    pub ops: OpsArgs,
    /// Token for the operator API (`/v1/admin/…`); the operator API is off without one.
    #[arg(long, env = "DIALNEXA_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<Secret>,
    /// Key sealing stored SIP trunk passwords: 32 random bytes in base64
    /// (`openssl rand -base64 32`). Required on PostgreSQL, the same on every server; on SQLite
    /// a key is generated once and kept in dialnexa-secret.key beside the database.
    #[arg(long, env = "DIALNEXA_ENCRYPTION_KEY", hide_env_values = true)]
    pub encryption_key: Option<Secret>,
    /// How long, in ms, a verified API key is trusted without reading the database again (a
    /// revocation through any server sharing the database still stops it at once: each request
    /// checks the database's revocation counter). 0 reads the key on every request.
    #[arg(long, env = "DIALNEXA_API_KEY_CACHE_MS", default_value_t = 5_000)]
    pub api_key_cache_ms: u64,
    #[command(flatten)]
    pub guards: GuardArgs,
    /// Do not create the demo workspace on first start.
    #[arg(long, env = "DIALNEXA_NO_DEMO")]
    pub no_demo: bool,
    /// Do not apply migrations on start (run `dialnexa migrate` as a deploy step instead).
    #[arg(long, env = "DIALNEXA_NO_MIGRATE")]
    pub no_migrate: bool,
    /// Test-only crash points, e.g. `purchase.after_carrier=exit`.
    #[arg(long, env = "DIALNEXA_FAILPOINTS", hide = true, default_value = "")]
    pub failpoints: dialnexa_service::failpoints::Failpoints,
    /// How often the recovery worker settles pending purchases, in ms.
    #[arg(long, env = "DIALNEXA_RECOVERY_INTERVAL_MS", default_value_t = 5_000)]
    pub recovery_interval_ms: u64,
    /// How often the reconciliation worker compares our numbers with the carriers', in ms.
    #[arg(
        long,
        env = "DIALNEXA_RECONCILE_INTERVAL_MS",
        default_value_t = 600_000
    )]
    pub reconcile_interval_ms: u64,
    /// How often the retention worker deletes audit rows older than 400 days, in ms.
    #[arg(
        long,
        env = "DIALNEXA_AUDIT_PRUNE_INTERVAL_MS",
        default_value_t = 3_600_000,
        hide = true
    )]
    pub audit_prune_interval_ms: u64,
    /// How often the renewal worker charges rental periods that have begun, in ms.
    #[arg(long, env = "DIALNEXA_RENEWAL_INTERVAL_MS", default_value_t = 60_000)]
    pub renewal_interval_ms: u64,
    /// Testing only: run with the clock moved this many seconds from the system time.
    #[arg(
        long,
        env = "DIALNEXA_CLOCK_OFFSET_SECS",
        default_value_t = 0,
        hide = true,
        allow_negative_numbers = true
    )]
    pub clock_offset_secs: i64,
}

/// What protects the service from its callers: rate limits, slow clients, private targets.
#[derive(Debug, Clone, Args)]
pub struct GuardArgs {
    /// Requests per second each API key may make to this server (a token bucket holding twice
    /// as many, so a burst passes); a carrier search costs several. 0 turns the limit off.
    #[arg(long, env = "DIALNEXA_RATE_LIMIT_RPS", default_value_t = 100)]
    pub rate_limit_rps: u32,
    /// A connection that has not sent a whole request header this long after it opened (or
    /// after the first byte of its next request) is closed, in ms.
    #[arg(
        long,
        env = "DIALNEXA_HEADER_READ_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub header_read_timeout_ms: u64,
    /// A kept-alive connection with no request for this long is closed, in ms.
    #[arg(long, env = "DIALNEXA_IDLE_TIMEOUT_MS", default_value_t = 60_000)]
    pub idle_timeout_ms: u64,
    /// Accept SIP trunks whose terminationUri is a loopback, private or link-local address
    /// (refused by default: the platform would place calls into its own network).
    #[arg(long, env = "DIALNEXA_SIP_ALLOW_PRIVATE")]
    pub sip_allow_private: bool,
    /// Accept `http://` webhook URLs and ones on loopback, private or link-local addresses
    /// (refused by default, also when a name resolves there at delivery time).
    #[arg(long, env = "DIALNEXA_WEBHOOKS_ALLOW_PRIVATE")]
    pub webhooks_allow_private: bool,
}

impl Default for GuardArgs {
    fn default() -> Self {
        GuardArgs {
            rate_limit_rps: 100,
            header_read_timeout_ms: 10_000,
            idle_timeout_ms: 60_000,
            sip_allow_private: false,
            webhooks_allow_private: false,
        }
    }
}

/// What operators plug into: metrics, traces and the readiness check.
#[derive(Debug, Clone, Args)]
pub struct OpsArgs {
    /// Serve `GET /metrics` (Prometheus text format) on this address instead of the public
    /// listener, e.g. 127.0.0.1:9090; port 0 picks a free port.
    #[arg(long, env = "DIALNEXA_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Send traces over OTLP/HTTP (protobuf) to this collector, e.g. http://127.0.0.1:4318
    /// (`/v1/traces` is added unless the URL ends with it). No traces without it.
    #[arg(long, env = "DIALNEXA_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// How long `GET /ready` waits for each carrier's answer, in ms.
    #[arg(long, env = "DIALNEXA_READY_TIMEOUT_MS", default_value_t = 2_000)]
    pub ready_timeout_ms: u64,
}

impl Default for OpsArgs {
    fn default() -> Self {
        OpsArgs {
            metrics_listen: None,
            otlp_endpoint: None,
            ready_timeout_ms: 2_000,
        }
    }
}
