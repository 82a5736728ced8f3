//! Operators' conventions against a real `dialnexa serve` child process, one per test (the
//! metrics recorder and the log subscriber belong to a process): Prometheus metrics counted
//! exactly, the log line of every request in both formats, and a purchase's trace received
//! by an OTLP collector the test runs. On SQLite, or on PostgreSQL with
//! `DIALNEXA_TEST_DATABASE=postgres`.

mod logs;
mod metrics;
#[path = "../support/mod.rs"]
mod support;
mod traces;

use serde_json::{Value, json};
use std::time::Duration;
use support::db::TestDatabase;
use support::process::Server;

pub const ADMIN: &str = "ops-test-admin";

/// A test's database and folder, which its servers share.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub db: TestDatabase,
}

impl Site {
    pub async fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let db = TestDatabase::new(dir.path()).await;
        Site { dir, db }
    }

    /// `serve` with the embedded emulator, on this site's database, plus `args` and `env`.
    pub async fn serve(&self, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut all: Vec<String> = ["--no-demo", "--admin-token", ADMIN]
            .map(str::to_owned)
            .to_vec();
        all.extend(self.db.serve_args());
        all.extend([
            "--emulator-state".to_owned(),
            self.dir.path().join("emulator.db").display().to_string(),
        ]);
        all.extend(args.iter().map(|a| (*a).to_owned()));
        Server::start("serve", self.dir.path(), &all, env).await
    }
}

/// A workspace with US enabled (Twilio by default) and its API key, through the operator API.
pub async fn tenant(server: &Server) -> (String, String) {
    let http = client();
    let (status, ws) = send(
        http.post(format!("{}/v1/admin/workspaces", server.url))
            .bearer_auth(ADMIN)
            .json(&json!({"name": "ops", "enabled_countries": ["US"]})),
    )
    .await;
    assert_eq!(status, 201, "{ws}");
    let id = ws["id"].as_str().unwrap().to_owned();
    let (status, key) = send(
        http.post(format!("{}/v1/admin/workspaces/{id}/api-keys", server.url))
            .bearer_auth(ADMIN)
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 201, "{key}");
    (id, key["key"].as_str().unwrap().to_owned())
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// Status and JSON body of a request that must get an answer.
pub async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let r = req.send().await.expect("the server answers");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A purchase of `number` through Twilio.
pub async fn buy(server: &Server, key: &str, number: &str) -> (u16, Value) {
    send(
        client()
            .post(format!(
                "{}/v1/organization-phone-numbers/purchase",
                server.url
            ))
            .bearer_auth(key)
            .json(&json!({"phone_number": number, "provider": "twilio"})),
    )
    .await
}

/// Arms the embedded emulator's faults (`POST /_emulator/faults`).
pub async fn faults(server: &Server, faults: Value) {
    let (status, body) = send(
        client()
            .post(format!("{}/_emulator/faults", server.emulator()))
            .json(&faults),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
