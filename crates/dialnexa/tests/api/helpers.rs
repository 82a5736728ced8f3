//! The test harness: a fresh application per test, on SQLite by default or on PostgreSQL
//! when `DIALNEXA_TEST_DATABASE=postgres` (each test then gets its own database).

use dialnexa::app::Application;
use dialnexa::config::{CarrierArgs, DatabaseArgs, ServeArgs};
use dialnexa_domain::{CountryIso, KycStatus, Provider, WorkspaceId};
use dialnexa_service::Services;
use dialnexa_service::auth::WorkspaceSpec;
use serde_json::{Value, json};
use std::net::SocketAddr;

pub struct TestApp {
    pub addr: SocketAddr,
    /// The database this app runs on, for CLI commands run against it.
    pub database_url: String,
    /// The embedded emulator's state file.
    pub emulator_state: std::path::PathBuf,
    pub emulator: String,
    pub services: Services,
    /// The store's commit failpoint: armed, every write fails as a failed commit would.
    pub faults: std::sync::Arc<dialnexa_store::StoreFaults>,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
    _server: tokio::task::JoinHandle<()>,
}

/// A workspace and a key for it.
pub struct Tenant {
    pub id: WorkspaceId,
    pub key: String,
    /// Known when the harness made the key.
    pub key_id: Option<dialnexa_domain::ApiKeyId>,
}

impl Tenant {
    /// A key made elsewhere (the CLI, the dashboard), used over HTTP.
    pub fn new(id: WorkspaceId, key: String) -> Self {
        Tenant {
            id,
            key,
            key_id: None,
        }
    }

    /// The workspace as its key calls the service, for tests that call it directly.
    pub fn caller(&self) -> dialnexa_service::Caller {
        let key = self.key_id.clone().expect("a key the harness made");
        dialnexa_service::Caller::with_key(self.id.clone(), key)
    }
}

/// The operator, as the command line acts, for tests that set things up directly.
pub fn operator() -> dialnexa_service::Actor {
    dialnexa_service::Actor::operator("cli")
}

/// The key sealing SIP trunk passwords on PostgreSQL, where one must be given. On SQLite the
/// application generates its own and keeps it beside the database, which the tests exercise.
pub const TEST_ENCRYPTION_KEY: &str = crate::support::db::ENCRYPTION_KEY;

pub fn serve_args(database_url: String, dir: &std::path::Path) -> ServeArgs {
    let encryption_key = (!database_url.starts_with("sqlite:")).then(|| TEST_ENCRYPTION_KEY.into());
    ServeArgs {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: DatabaseArgs {
            database_url,
            db_max_connections: 8,
            db_acquire_timeout_ms: 3000,
        },
        carriers: CarrierArgs {
            emulator: "on".into(),
            emulator_state: Some(dir.join("emulator.db")),
            twilio_base_url: None,
            twilio_account_sid: None,
            twilio_auth_token: None,
            plivo_base_url: None,
            plivo_auth_id: None,
            plivo_auth_token: None,
            telnyx_base_url: None,
            telnyx_api_key: None,
            carrier_timeout_ms: 2_000,
        },
        ops: Default::default(),
        admin_token: Some("test-admin-token".into()),
        encryption_key,
        api_key_cache_ms: 5_000,
        guards: Default::default(),
        no_demo: true,
        no_migrate: false,
        failpoints: Default::default(),
        recovery_interval_ms: 200,
        renewal_interval_ms: 200,
        reconcile_interval_ms: 600_000,
        audit_prune_interval_ms: 3_600_000,
        clock_offset_secs: 0,
    }
}

/// Where each test's database lives: a file in its temp dir, or a fresh PostgreSQL database.
pub async fn test_database_url(dir: &std::path::Path) -> String {
    if crate::support::db::on_postgres() {
        dialnexa_store::testing::migrated_postgres_database().await
    } else {
        format!("sqlite://{}", dir.join("dialnexa.db").display())
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with_clock(std::sync::Arc::new(dialnexa_service::SystemClock)).await
    }

    /// The application reading time from `clock` (e.g. a `ManualClock` the test moves).
    pub async fn spawn_with_clock(clock: std::sync::Arc<dyn dialnexa_service::Clock>) -> TestApp {
        Self::spawn_configured(clock, |_| {}).await
    }

    /// The application with some of its `serve` flags changed.
    pub async fn spawn_with(configure: impl FnOnce(&mut ServeArgs)) -> TestApp {
        Self::spawn_configured(
            std::sync::Arc::new(dialnexa_service::SystemClock),
            configure,
        )
        .await
    }

    /// The application reading time from `clock`, with some of its `serve` flags changed.
    pub async fn spawn_configured(
        clock: std::sync::Arc<dyn dialnexa_service::Clock>,
        configure: impl FnOnce(&mut ServeArgs),
    ) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = test_database_url(dir.path()).await;
        Self::start(dir, url, clock, configure).await
    }

    /// A second server on this one's database (as several `serve` processes share one), with
    /// its own emulator and some of its flags changed.
    pub async fn beside(&self, configure: impl FnOnce(&mut ServeArgs)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let clock = std::sync::Arc::new(dialnexa_service::SystemClock);
        Self::start(dir, self.database_url.clone(), clock, configure).await
    }

    async fn start(
        dir: tempfile::TempDir,
        url: String,
        clock: std::sync::Arc<dyn dialnexa_service::Clock>,
        configure: impl FnOnce(&mut ServeArgs),
    ) -> TestApp {
        let mut args = serve_args(url.clone(), dir.path());
        configure(&mut args);
        let app = Application::build_with_clock(args, clock)
            .await
            .expect("the application starts");
        let addr = app.local_addr();
        let emulator = app.emulator_url().expect("the embedded emulator runs");
        let services = app.services().clone();
        let faults = app.store_faults();
        let server = tokio::spawn(async move {
            app.run_until_stopped(std::future::pending()).await.unwrap();
        });
        TestApp {
            addr,
            database_url: url,
            emulator_state: dir.path().join("emulator.db"),
            emulator,
            services,
            faults,
            client: reqwest::Client::new(),
            _dir: dir,
            _server: server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A workspace with these countries enabled, KYC approved for `kyc`, and an API key.
    pub async fn tenant(&self, countries: &[&str], kyc: &[&str]) -> Tenant {
        let parse = |list: &[&str]| {
            list.iter()
                .map(|c| CountryIso::parse(c).unwrap())
                .collect::<Vec<_>>()
        };
        let workspace = self
            .services
            .create_workspace(WorkspaceSpec {
                name: "Test workspace".into(),
                enabled_countries: parse(countries),
                default_provider: Provider::Twilio,
                approved_kyc: parse(kyc),
            })
            .await
            .unwrap();
        let key = self
            .services
            .create_api_key(&operator(), &workspace.id, "test")
            .await
            .unwrap();
        Tenant {
            id: workspace.id,
            key_id: Some(key.key.id),
            key: key.secret,
        }
    }

    pub async fn set_kyc(&self, tenant: &Tenant, country: &str, status: KycStatus) {
        self.services
            .set_kyc(
                &operator(),
                &tenant.id,
                CountryIso::parse(country).unwrap(),
                status,
            )
            .await
            .unwrap();
    }

    /// One authenticated request as `tenant`, with an optional JSON body.
    pub async fn request(
        &self,
        method: reqwest::Method,
        tenant: &Tenant,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(&tenant.key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        decode(req.send().await.unwrap()).await
    }

    pub async fn get(&self, tenant: &Tenant, path: &str) -> (u16, Value) {
        self.request(reqwest::Method::GET, tenant, path, None).await
    }

    pub async fn post(&self, tenant: &Tenant, path: &str, body: Value) -> (u16, Value) {
        self.request(reqwest::Method::POST, tenant, path, Some(body))
            .await
    }

    pub async fn put(&self, tenant: &Tenant, path: &str, body: Value) -> (u16, Value) {
        self.request(reqwest::Method::PUT, tenant, path, Some(body))
            .await
    }

    pub async fn buy(&self, tenant: &Tenant, number: &str) -> (u16, Value) {
        self.post(
            tenant,
            "/v1/organization-phone-numbers/purchase",
            json!({ "phone_number": number }),
        )
        .await
    }

    /// The emulator's view of a number: `{"phone_number","available","owner","sid"}`.
    pub async fn carrier_number(&self, number: &str) -> Value {
        let url = format!("{}/_emulator/numbers/{}", self.emulator, urlencode(number));
        self.client
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Every number the emulator's accounts own.
    pub async fn carrier_owned(&self) -> Vec<Value> {
        let url = format!("{}/_emulator/owned", self.emulator);
        let v: Value = self
            .client
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        match v {
            Value::Array(items) => items,
            Value::Object(mut o) => o
                .remove("items")
                .and_then(|i| i.as_array().cloned())
                .unwrap_or_default(),
            _ => vec![],
        }
    }

    /// Another buyer takes the number at the carrier.
    pub async fn carrier_take(&self, number: &str) {
        let url = format!(
            "{}/_emulator/numbers/{}/take",
            self.emulator,
            urlencode(number)
        );
        let r = self.client.post(url).send().await.unwrap();
        assert!(
            r.status().is_success(),
            "emulator take failed: {}",
            r.status()
        );
    }
}

pub fn urlencode(number: &str) -> String {
    number.replace('+', "%2B")
}

pub async fn decode(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// Asserts the DialNexa error envelope with its machine code.
#[track_caller]
pub fn assert_error(resp: &(u16, Value), status: u16, code: &str) {
    let (got, body) = resp;
    assert_eq!(*got, status, "status; body: {body}");
    assert_eq!(body["statusCode"], status, "statusCode in {body}");
    assert_eq!(body["code"], code, "code in {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message in {body}"
    );
    assert!(
        body["error"].as_str().is_some_and(|m| !m.is_empty()),
        "error in {body}"
    );
}
