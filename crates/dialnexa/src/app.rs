//! Wiring: config in, a running application out. `Application::build` opens the store,
//! migrates, starts the embedded carrier emulator when asked, builds the carrier adapters and
//! the service layer, and binds the listener; `run_until_stopped` serves until shutdown.

use crate::config::{CarrierArgs, ServeArgs};
use anyhow::Context;
use dialnexa_carriers::plivo::{PlivoCarrier, PlivoConfig};
use dialnexa_carriers::telnyx::{TelnyxCarrier, TelnyxConfig};
use dialnexa_carriers::twilio::{TwilioCarrier, TwilioConfig};
use dialnexa_emulator::{EmulatorConfig, RunningEmulator};
use dialnexa_http::AppState;
use dialnexa_service::clock::OffsetClock;
use dialnexa_service::{Carriers, Clock, ServiceConfig, Services, SystemClock};
use dialnexa_store::{SqlStore, StoreFaults};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

pub struct Application {
    listener: TcpListener,
    deadlines: crate::slow_clients::Deadlines,
    /// `--metrics-listen`: `/metrics` on a listener of its own instead of the public one.
    metrics_listener: Option<TcpListener>,
    workers: crate::workers::WorkerConfig,
    state: AppState,
    store: SqlStore,
    /// The store's commit failpoint, for tests of a database that cannot commit.
    faults: Arc<StoreFaults>,
    emulator: Option<RunningEmulator>,
    demo: Option<crate::demo::DemoKey>,
}

impl Application {
    pub async fn build(args: ServeArgs) -> anyhow::Result<Self> {
        let clock: Arc<dyn Clock> = match args.clock_offset_secs {
            0 => Arc::new(SystemClock),
            secs => Arc::new(OffsetClock::new(jiff::SignedDuration::from_secs(secs))),
        };
        Self::build_with_clock(args, clock).await
    }

    pub async fn build_with_clock(args: ServeArgs, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        // Before anything else: a server that could not read its stored secrets must not start.
        let encryption_key = crate::secret_key::resolve(&args)?;
        // Counted from the start: recovery at start-up calls the carriers.
        crate::prometheus::handle();
        let options = args.database.store_options();
        let faults = options.faults.clone();
        let store = SqlStore::connect(&options).await.with_context(|| {
            format!(
                "cannot open the database at {}",
                redact_url(&args.database.database_url)
            )
        })?;
        if !args.no_migrate {
            store
                .migrate()
                .await
                .context("cannot migrate the database")?;
        }

        let (carriers, emulator) = carriers_for(&args.carriers, &args.database).await?;
        let services = Services::new(
            store.shared(),
            carriers,
            clock,
            ServiceConfig {
                failpoints: args.failpoints.clone(),
                encryption_key: Some(encryption_key),
                api_key_cache_ttl: Duration::from_millis(args.api_key_cache_ms),
                sip_allow_private: args.guards.sip_allow_private,
                webhooks_allow_private: args.guards.webhooks_allow_private,
                ready_timeout: Duration::from_millis(args.ops.ready_timeout_ms),
                ..ServiceConfig::default()
            },
        )
        .await
        .with_context(|| {
            if args.no_migrate {
                "cannot read the database's reference data: with --no-migrate the schema is \
                 left to `dialnexa migrate`; run it against this database first"
            } else {
                "cannot read the database's reference data"
            }
        })?;

        let demo = if args.no_demo {
            None
        } else {
            crate::demo::ensure_demo_workspace(&services, &args.database.data_dir()).await?
        };

        let listener =
            listen(args.listen).with_context(|| format!("cannot listen on {}", args.listen))?;
        let metrics_listener = match args.ops.metrics_listen {
            Some(addr) => {
                Some(listen(addr).with_context(|| format!("cannot listen for metrics on {addr}"))?)
            }
            None => None,
        };
        let state = AppState::with_rate_limit(
            services,
            args.admin_token.as_ref().map(|t| Arc::from(t.expose())),
            args.guards.rate_limit_rps,
        );
        // Twice the carrier timeout: a purchase still waiting on its carrier is never judged.
        let carrier_timeout = Duration::from_millis(args.carriers.carrier_timeout_ms);
        let workers = crate::workers::WorkerConfig {
            recovery_min_age: (carrier_timeout * 2).max(Duration::from_secs(2)),
            recovery_interval: Duration::from_millis(args.recovery_interval_ms),
            renewal_interval: Duration::from_millis(args.renewal_interval_ms),
            reconcile_interval: Duration::from_millis(args.reconcile_interval_ms),
            audit_prune_interval: Duration::from_millis(args.audit_prune_interval_ms),
        };
        let deadlines = crate::slow_clients::Deadlines {
            header: Duration::from_millis(args.guards.header_read_timeout_ms),
            idle: Duration::from_millis(args.guards.idle_timeout_ms),
        };
        Ok(Application {
            listener,
            deadlines,
            metrics_listener,
            workers,
            state,
            store,
            faults,
            emulator,
            demo,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn services(&self) -> &dialnexa_service::Services {
        &self.state.services
    }

    /// The store's commit failpoint: armed, every write fails as a failed commit would.
    pub fn store_faults(&self) -> Arc<StoreFaults> {
        self.faults.clone()
    }

    /// Where `/metrics` is served apart from the API, with `--metrics-listen`.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .map(|l| l.local_addr().expect("a bound listener has an address"))
    }

    /// The embedded emulator's base URL, when it runs.
    pub fn emulator_url(&self) -> Option<String> {
        self.emulator.as_ref().map(|e| e.base_url())
    }

    /// The demo workspace's key, when this start created it.
    pub fn demo_key(&self) -> Option<&crate::demo::DemoKey> {
        self.demo.as_ref()
    }

    /// Serve until `shutdown` resolves, then finish in-flight requests and stop.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let mut router = dialnexa_http::router(self.state.clone());
        let metrics = crate::prometheus::router(self.state.services.clone());
        let stop = tokio_util::sync::CancellationToken::new();
        let metrics_server = match self.metrics_listener {
            Some(listener) => Some(tokio::spawn(crate::serve::serve(
                listener,
                metrics,
                self.deadlines,
                stop.clone().cancelled_owned(),
            ))),
            None => {
                router = router.merge(metrics);
                None
            }
        };
        let workers =
            crate::workers::spawn(self.state.services.clone(), self.workers, stop.clone());
        crate::serve::serve(self.listener, router, self.deadlines, shutdown).await;
        stop.cancel();
        if let Some(server) = metrics_server {
            let _ = server.await;
        }
        for w in workers {
            let _ = w.await;
        }
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
        self.store.close().await;
        Ok(())
    }
}

/// A listener whose accept queue holds 4096 connections (the kernel caps it at
/// `net.core.somaxconn`) rather than std's 128, so a burst of new connections waits in the queue
/// instead of losing SYNs and retrying a second later.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

/// The carrier adapters `serve` would use; with the emulator on, also the emulator itself,
/// running on the same state file `serve` uses.
pub async fn carriers_for(
    args: &CarrierArgs,
    database: &crate::config::DatabaseArgs,
) -> anyhow::Result<(Carriers, Option<RunningEmulator>)> {
    let emulator = if args.emulator_enabled() {
        let state_path = args
            .emulator_state
            .clone()
            .unwrap_or_else(|| database.data_dir().join("dialnexa-emulator.db"));
        let config = EmulatorConfig {
            state_path: Some(state_path),
            ..EmulatorConfig::default()
        };
        Some(
            dialnexa_emulator::start(config)
                .await
                .context("cannot start the carrier emulator")?,
        )
    } else {
        None
    };
    let carriers = build_carriers(args, emulator.as_ref().map(|e| e.base_url()))?;
    Ok((carriers, emulator))
}

/// The carriers from the flags, or the in-process emulator's at `emulator_url`; the emulator
/// is spoken to over one HTTP/2 connection (h2c), which carries every call in flight instead of
/// a connection per call.
fn build_carriers(args: &CarrierArgs, emulator_url: Option<String>) -> anyhow::Result<Carriers> {
    use dialnexa_emulator as emu;
    let timeout = Duration::from_millis(args.carrier_timeout_ms);
    let mut carriers = Carriers::new();

    let twilio_base = args
        .twilio_base_url
        .clone()
        .or_else(|| emulator_url.clone());
    let twilio = match (
        twilio_base,
        &args.twilio_account_sid,
        &args.twilio_auth_token,
    ) {
        (Some(base), Some(sid), Some(token)) => {
            Some((base, sid.clone(), token.expose().to_owned()))
        }
        (Some(base), None, None) if emulator_url.is_some() => Some((
            base,
            emu::DEFAULT_TWILIO_ACCOUNT_SID.to_owned(),
            emu::DEFAULT_TWILIO_AUTH_TOKEN.to_owned(),
        )),
        (None, Some(sid), Some(token)) => Some((
            TwilioConfig::DEFAULT_BASE_URL.to_owned(),
            sid.clone(),
            token.expose().to_owned(),
        )),
        _ => None,
    };
    if let Some((base_url, account_sid, auth_token)) = twilio {
        let config = TwilioConfig {
            http2_prior_knowledge: emulator_url.as_ref() == Some(&base_url),
            base_url,
            account_sid,
            auth_token,
            timeout,
            extra_headers: Vec::new(),
        };
        carriers = carriers.with(Arc::new(
            TwilioCarrier::new(config).context("bad Twilio configuration")?,
        ));
    }

    let plivo_base = args.plivo_base_url.clone().or_else(|| emulator_url.clone());
    let plivo = match (plivo_base, &args.plivo_auth_id, &args.plivo_auth_token) {
        (Some(base), Some(id), Some(token)) => Some((base, id.clone(), token.expose().to_owned())),
        (Some(base), None, None) if emulator_url.is_some() => Some((
            base,
            emu::DEFAULT_PLIVO_AUTH_ID.to_owned(),
            emu::DEFAULT_PLIVO_AUTH_TOKEN.to_owned(),
        )),
        (None, Some(id), Some(token)) => Some((
            PlivoConfig::DEFAULT_BASE_URL.to_owned(),
            id.clone(),
            token.expose().to_owned(),
        )),
        _ => None,
    };
    if let Some((base_url, auth_id, auth_token)) = plivo {
        let config = PlivoConfig {
            http2_prior_knowledge: emulator_url.as_ref() == Some(&base_url),
            base_url,
            auth_id,
            auth_token,
            timeout,
            app_id: None,
            extra_headers: Vec::new(),
        };
        carriers = carriers.with(Arc::new(
            PlivoCarrier::new(config).context("bad Plivo configuration")?,
        ));
    }

    let telnyx_base = args
        .telnyx_base_url
        .clone()
        .or_else(|| emulator_url.clone());
    let telnyx = match (telnyx_base, &args.telnyx_api_key) {
        (Some(base), Some(key)) => Some((base, key.expose().to_owned())),
        (Some(base), None) if emulator_url.is_some() => {
            Some((base, emu::DEFAULT_TELNYX_API_KEY.to_owned()))
        }
        (None, Some(key)) => Some((
            TelnyxConfig::DEFAULT_BASE_URL.to_owned(),
            key.expose().to_owned(),
        )),
        _ => None,
    };
    if let Some((base_url, api_key)) = telnyx {
        let config = TelnyxConfig {
            http2_prior_knowledge: emulator_url.as_ref() == Some(&base_url),
            base_url,
            timeout,
            // A purchase waits for its order as long as for any carrier call.
            order_wait: timeout,
            ..TelnyxConfig::new(api_key)
        };
        carriers = carriers.with(Arc::new(
            TelnyxCarrier::new(config).context("bad Telnyx configuration")?,
        ));
    }
    Ok(carriers)
}

/// A database URL without its password, for error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}
