//! Crash tests of the purchase saga: a real `dialnexa serve` child process is made to exit at
//! each step (failpoints) or killed while the carrier hangs after committing, then restarted
//! on the same database and emulator state. After recovery, DESIGN.md's invariants must hold:
//! every number the carrier sold to the platform is an active row, no active row lacks its
//! carrier number, and every rental period is charged exactly once.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN: &str = "crash-test-admin";
const NUMBER: &str = "+14155552671";

struct Server {
    child: Child,
    api: String,
    emulator: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, failpoints: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dialnexa"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-demo",
            "--admin-token",
            ADMIN,
        ])
        .args([
            "--database-url",
            &format!("sqlite://{}", dir.join("dialnexa.db").display()),
        ])
        .args([
            "--emulator-state",
            &dir.join("emulator.db").display().to_string(),
        ])
        .args([
            "--carrier-timeout-ms",
            "1000",
            "--recovery-interval-ms",
            "200",
        ])
        .env("DIALNEXA_FAILPOINTS", failpoints)
        .env("DIALNEXA_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the dialnexa binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut api, mut emulator) = (None, None);
    while api.is_none() || emulator.is_none() {
        let line = lines.next().expect("serve printed its addresses").unwrap();
        if let Some(rest) = line.strip_prefix("DialNexa Numbers listening on ") {
            api = Some(rest.trim().to_owned());
        } else if let Some(idx) = line.find(" on http://") {
            emulator = Some(line[idx + 4..].trim().to_owned());
        }
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        api: api.unwrap(),
        emulator: emulator.unwrap(),
    }
}

async fn json_of(r: reqwest::Response) -> Value {
    r.json().await.unwrap_or(Value::Null)
}

/// A workspace with US enabled and a key, through the operator API.
async fn tenant(http: &reqwest::Client, server: &Server) -> String {
    let ws = json_of(
        http.post(format!("{}/v1/admin/workspaces", server.api))
            .bearer_auth(ADMIN)
            .json(&json!({"name": "crash", "enabled_countries": ["US"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let key = json_of(
        http.post(format!(
            "{}/v1/admin/workspaces/{}/api-keys",
            server.api,
            ws["id"].as_str().unwrap()
        ))
        .bearer_auth(ADMIN)
        .json(&json!({}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    key["key"].as_str().unwrap().to_owned()
}

async fn wait_exit(server: &mut Server) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return status.code();
        }
        assert!(
            Instant::now() < deadline,
            "the server did not exit at the failpoint"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Restart, wait for recovery to settle every pending purchase, then check the invariants.
async fn recover_and_check(dir: &Path, key: &str) -> Vec<Value> {
    let http = reqwest::Client::new();
    let server = start(dir, "");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pending = json_of(
            http.get(format!(
                "{}/v1/organization-phone-numbers?status=pending",
                server.api
            ))
            .bearer_auth(key)
            .send()
            .await
            .unwrap(),
        )
        .await;
        if pending["total"] == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "pending purchases never settled: {pending}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let active = json_of(
        http.get(format!(
            "{}/v1/organization-phone-numbers?status=active&limit=100",
            server.api
        ))
        .bearer_auth(key)
        .send()
        .await
        .unwrap(),
    )
    .await["items"]
        .as_array()
        .unwrap()
        .clone();
    let owned: Vec<Value> = json_of(
        http.get(format!("{}/_emulator/owned", server.emulator))
            .send()
            .await
            .unwrap(),
    )
    .await
    .as_array()
    .cloned()
    .unwrap_or_default()
    .into_iter()
    .filter(|o| {
        o["owner"]
            .as_str()
            .is_some_and(|w| w.starts_with("twilio:") || w.starts_with("plivo:"))
    })
    .collect();
    let charges = json_of(
        http.get(format!("{}/v1/billing/charges?limit=100", server.api))
            .bearer_auth(key)
            .send()
            .await
            .unwrap(),
    )
    .await;

    let active_numbers: Vec<&str> = active
        .iter()
        .map(|a| a["phone_number"].as_str().unwrap())
        .collect();
    let owned_numbers: Vec<&str> = owned
        .iter()
        .map(|o| o["phone_number"].as_str().unwrap())
        .collect();
    for n in &owned_numbers {
        assert!(
            active_numbers.contains(n),
            "sold to the platform but not active here: {n}; active {active_numbers:?}"
        );
    }
    for n in &active_numbers {
        assert!(
            owned_numbers.contains(n),
            "active here but not owned at the carrier: {n}; owned {owned_numbers:?}"
        );
    }
    let charges = charges["items"].as_array().unwrap();
    for a in &active {
        let mine = charges
            .iter()
            .filter(|c| c["phone_number_id"] == a["id"])
            .count();
        assert_eq!(
            mine, 1,
            "period 0 of {} charged {mine} times",
            a["phone_number"]
        );
    }
    assert_eq!(
        charges.len(),
        active.len(),
        "charges for numbers that are not active: {charges:?}"
    );
    active
}

async fn crash_at(failpoint: &str) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let key = {
        let setup = start(dir.path(), "");
        tenant(&http, &setup).await
    };
    let mut server = start(dir.path(), &format!("{failpoint}=exit"));
    let r = http
        .post(format!(
            "{}/v1/organization-phone-numbers/purchase",
            server.api
        ))
        .bearer_auth(&key)
        .json(&json!({"phone_number": NUMBER}))
        .send()
        .await;
    assert!(
        r.is_err() || r.unwrap().status().is_server_error(),
        "the request should die with the server"
    );
    assert_eq!(
        wait_exit(&mut server).await,
        Some(86),
        "exited at the failpoint"
    );
    drop(server);
    let active = recover_and_check(dir.path(), &key).await;
    // A second restart changes nothing: recovery and renewals are idempotent.
    let again = recover_and_check(dir.path(), &key).await;
    assert_eq!(active, again);
    active
}

#[tokio::test]
async fn crash_after_the_claim_unwinds() {
    let active = crash_at("purchase.after_claim").await;
    assert!(
        active.is_empty(),
        "the carrier was never called: {active:?}"
    );
}

#[tokio::test]
async fn crash_after_the_carrier_sold_finishes_the_purchase() {
    let active = crash_at("purchase.after_carrier").await;
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["phone_number"], NUMBER);
}

#[tokio::test]
async fn crash_after_activation_keeps_the_purchase() {
    let active = crash_at("purchase.after_activate").await;
    assert_eq!(active.len(), 1);
}

#[tokio::test]
async fn killed_while_the_carrier_hangs_after_committing() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let mut server = start(dir.path(), "");
    let key = tenant(&http, &server).await;
    // The carrier commits the sale and then hangs; we kill the server while it waits.
    let r = http
        .post(format!("{}/_emulator/faults", server.emulator))
        .json(&json!({"timeout_after_commit_next": 1}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let purchase = {
        let (http, api, key) = (http.clone(), server.api.clone(), key.clone());
        tokio::spawn(async move {
            http.post(format!("{api}/v1/organization-phone-numbers/purchase"))
                .bearer_auth(key)
                .json(&json!({"phone_number": NUMBER}))
                .send()
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let _ = purchase.await;
    drop(server);
    let active = recover_and_check(dir.path(), &key).await;
    assert_eq!(
        active.len(),
        1,
        "the carrier sold it, so it must be ours: {active:?}"
    );
}
