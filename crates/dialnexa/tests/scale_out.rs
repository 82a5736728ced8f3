//! Scale-out: several `dialnexa serve` processes (the real binary, as child processes) on one
//! PostgreSQL database and one `dialnexa carrier-emulator` process.
//!
//! These tests need PostgreSQL (127.0.0.1:5432, trust auth, or `DIALNEXA_TEST_POSTGRES_URL`);
//! without it they fail with a message saying so. Each test gets its own empty database, which
//! the servers migrate when they start (all at once, so concurrent migrations are exercised too).

mod support;

use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;
use support::eventually;
use support::process::{self, Proc, Server};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

const ADMIN_TOKEN: &str = "scale-out-admin-token";

// ---------------------------------------------------------------------------------------------
// PostgreSQL (fresh databases come from `dialnexa_store::testing`)

/// The `host[:port]` part of a `postgres://user@host:port/db` URL, as a byte range.
fn authority(url: &str) -> std::ops::Range<usize> {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?'])
        .map_or(url.len(), |i| start + i);
    let host_start = url[start..end].rfind('@').map_or(start, |i| start + i + 1);
    host_start..end
}

/// `host:port` of a PostgreSQL URL (port 5432 when it has none).
fn host_port(url: &str) -> String {
    let hp = &url[authority(url)];
    if hp.contains(':') {
        hp.to_owned()
    } else {
        format!("{hp}:5432")
    }
}

/// The same URL with its `host:port` replaced (to route it through the test's proxy).
fn with_host_port(url: &str, new: &str) -> String {
    let range = authority(url);
    format!("{}{new}{}", &url[..range.start], &url[range.end..])
}

async fn db(url: &str) -> PgConnection {
    PgConnection::connect(url)
        .await
        .expect("connect to the test database")
}

async fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql)
        .fetch_one(&mut *conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    n
}

// ---------------------------------------------------------------------------------------------
// Child processes (the harness is `support::process`, shared with the crash tests)

async fn start_emulator(dir: &Path) -> Emulator {
    let (proc, url) = process::start_emulator(dir).await;
    Emulator { _proc: proc, url }
}

struct Emulator {
    _proc: Proc,
    url: String,
}

async fn start_server(
    name: &str,
    dir: &Path,
    database_url: &str,
    emulator: &str,
    extra: &[&str],
) -> Server {
    use dialnexa_emulator as emu;
    let mut args: Vec<String> = [
        "--database-url",
        database_url,
        "--emulator",
        "off",
        "--twilio-base-url",
        emulator,
        "--twilio-account-sid",
        emu::DEFAULT_TWILIO_ACCOUNT_SID,
        "--twilio-auth-token",
        emu::DEFAULT_TWILIO_AUTH_TOKEN,
        "--plivo-base-url",
        emulator,
        "--plivo-auth-id",
        emu::DEFAULT_PLIVO_AUTH_ID,
        "--plivo-auth-token",
        emu::DEFAULT_PLIVO_AUTH_TOKEN,
        "--admin-token",
        ADMIN_TOKEN,
        "--no-demo",
        // On PostgreSQL every server must be given the same key for stored SIP passwords.
        "--encryption-key",
        support::db::ENCRYPTION_KEY,
        // Three servers and other tests share one PostgreSQL (max_connections 100).
        "--db-max-connections",
        "8",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    Server::start(name, dir, &args, &[]).await
}

/// Several servers started at once (so their migrations race, as in a real rollout).
async fn start_servers(
    n: usize,
    dir: &Path,
    database_url: &str,
    emulator: &str,
    extra: &[&str],
) -> Vec<Server> {
    let names: Vec<String> = (0..n).map(|i| format!("server{i}")).collect();
    futures::future::join_all(
        names
            .iter()
            .map(|name| start_server(name, dir, database_url, emulator, extra)),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// HTTP

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn decode(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

async fn get(http: &reqwest::Client, url: &str, key: &str) -> (u16, Value) {
    decode(http.get(url).bearer_auth(key).send().await.unwrap()).await
}

async fn post(http: &reqwest::Client, url: &str, key: &str, body: Value) -> (u16, Value) {
    decode(
        http.post(url)
            .bearer_auth(key)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A workspace with US enabled and an API key for it, through the operator API.
async fn tenant(http: &reqwest::Client, server: &str, name: &str) -> String {
    let (status, ws) = post(
        http,
        &format!("{server}/v1/admin/workspaces"),
        ADMIN_TOKEN,
        json!({"name": name, "enabled_countries": ["US"]}),
    )
    .await;
    assert_eq!(status, 201, "create workspace: {ws}");
    let id = ws["id"].as_str().expect("workspace id").to_owned();
    let (status, key) = post(
        http,
        &format!("{server}/v1/admin/workspaces/{id}/api-keys"),
        ADMIN_TOKEN,
        json!({"name": "scale-out"}),
    )
    .await;
    assert_eq!(status, 201, "create key: {key}");
    key["key"].as_str().expect("the key").to_owned()
}

/// `n` distinct available US local numbers, as seen by this key.
async fn available(http: &reqwest::Client, server: &str, key: &str, n: usize) -> Vec<String> {
    let (status, body) = get(
        http,
        &format!(
            "{server}/v1/organization-phone-numbers/available?country_iso=US&type=local&limit={n}"
        ),
        key,
    )
    .await;
    assert_eq!(status, 200, "search: {body}");
    let numbers: Vec<String> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["phone_number"].as_str().expect("phone_number").to_owned())
        .collect();
    let distinct: BTreeSet<&String> = numbers.iter().collect();
    assert_eq!(distinct.len(), n, "{n} distinct numbers: {numbers:?}");
    numbers
}

// ---------------------------------------------------------------------------------------------
// Tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_concurrent_purchases_over_three_servers_have_exactly_ten_winners() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = dialnexa_store::testing::empty_postgres_database().await;
    let emulator = start_emulator(dir.path()).await;
    let servers = start_servers(3, dir.path(), &database_url, &emulator.url, &[]).await;
    let http = client();

    let keys = [
        tenant(&http, &servers[0].url, "Workspace A").await,
        tenant(&http, &servers[1].url, "Workspace B").await,
    ];
    let numbers = available(&http, &servers[2].url, &keys[0], 10).await;
    // Workspace B searches too, as a real competitor would (its result is not needed).
    let _ = available(&http, &servers[0].url, &keys[1], 10).await;

    // Attempt k at number j goes to server (j + k) % 3 as workspace k % 2.
    let attempts = (0..100).map(|i| {
        let (j, k) = (i % 10, i / 10);
        let server = &servers[(j + k) % 3].url;
        let key = &keys[k % 2];
        let number = numbers[j].clone();
        let http = &http;
        async move {
            let url = format!("{server}/v1/organization-phone-numbers/purchase");
            let answer = post(http, &url, key, json!({"phone_number": number})).await;
            (number, answer)
        }
    });
    let answers = futures::future::join_all(attempts).await;

    let mut winners: BTreeMap<String, usize> = BTreeMap::new();
    let mut taken = 0;
    let mut other = Vec::new();
    for (number, (status, body)) in &answers {
        match status {
            201 => {
                assert_eq!(body["status"], "active", "{body}");
                assert_eq!(body["phone_number"], number.as_str(), "{body}");
                *winners.entry(number.clone()).or_default() += 1;
            }
            409 if body["code"] == "number_taken" => taken += 1,
            _ => other.push((number, status, body)),
        }
    }
    assert!(other.is_empty(), "unexpected answers: {other:?}");
    assert_eq!(
        winners.len(),
        10,
        "one winner per number: {winners:?}; numbers {numbers:?}"
    );
    assert!(winners.values().all(|&n| n == 1), "{winners:?}");
    assert_eq!(taken, 90);

    let (status, owned) = get(&http, &format!("{}/_emulator/owned", emulator.url), "").await;
    assert_eq!(status, 200, "{owned}");
    let owned: BTreeSet<String> = owned
        .as_array()
        .expect("a list")
        .iter()
        .map(|o| o["phone_number"].as_str().expect("phone_number").to_owned())
        .collect();
    let expected: BTreeSet<String> = numbers.iter().cloned().collect();
    assert_eq!(
        owned, expected,
        "the emulator holds exactly the ten numbers"
    );

    let mut conn = db(&database_url).await;
    assert_eq!(count(&mut conn, "SELECT COUNT(*) FROM charges").await, 10);
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) FROM phone_numbers WHERE status = 'active'"
        )
        .await,
        10
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(DISTINCT phone_number) FROM phone_numbers WHERE status = 'active'"
        )
        .await,
        10
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) FROM phone_numbers WHERE status = 'pending'"
        )
        .await,
        0
    );
    conn.close().await.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewal_workers_in_three_processes_charge_each_period_exactly_once() {
    const NUMBERS: usize = 5;
    let dir = tempfile::tempdir().unwrap();
    let database_url = dialnexa_store::testing::empty_postgres_database().await;
    let emulator = start_emulator(dir.path()).await;
    let http = client();

    {
        let server = start_server("buyer", dir.path(), &database_url, &emulator.url, &[]).await;
        let key = tenant(&http, &server.url, "Renter").await;
        for number in available(&http, &server.url, &key, NUMBERS).await {
            let (status, body) = post(
                &http,
                &format!("{}/v1/organization-phone-numbers/purchase", server.url),
                &key,
                json!({"phone_number": number}),
            )
            .await;
            assert_eq!(status, 201, "{body}");
        }
        // Dropping the server kills it.
    }
    let mut conn = db(&database_url).await;
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) FROM charges").await,
        NUMBERS as i64
    );

    // 93 days on: three monthly periods have begun (three months are at most 92 days) and
    // the fourth has not, so each number owes periods 1, 2 and 3 on top of the first.
    let offset = (93 * 86_400).to_string();
    let servers = start_servers(
        3,
        dir.path(),
        &database_url,
        &emulator.url,
        &[
            "--clock-offset-secs",
            &offset,
            "--renewal-interval-ms",
            "200",
        ],
    )
    .await;

    let expected = (NUMBERS * 4) as i64;
    let logs = || {
        servers
            .iter()
            .map(|s| format!("--- {}:\n{}", s.proc.name, s.proc.log_text()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    eventually(Duration::from_secs(60), || async {
        let n = support::db::count(&database_url, "SELECT COUNT(*) FROM charges", &[]).await;
        if n >= expected {
            Ok(())
        } else {
            Err(format!("{n} of {expected} charges; logs:\n{}", logs()))
        }
    })
    .await;
    // The servers stop before the ledger is read: no renewal round is left half-way.
    drop(servers);

    let per_number: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT phone_number_id, COUNT(*), MIN(period_index), MAX(period_index) \
         FROM charges GROUP BY phone_number_id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(per_number.len(), NUMBERS, "{per_number:?}");
    for (id, n, first, last) in &per_number {
        assert_eq!(
            (*n, *first, *last),
            (4, 0, 3),
            "number {id}: periods 0 to 3 once each"
        );
    }
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) FROM (SELECT phone_number_id, period_start FROM charges \
             GROUP BY phone_number_id, period_start HAVING COUNT(*) > 1) d"
        )
        .await,
        0,
        "no period charged twice"
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) FROM (SELECT phone_number_id, period_index FROM charges \
             GROUP BY phone_number_id, period_index HAVING COUNT(*) > 1) d"
        )
        .await,
        0,
        "no period index charged twice"
    );
    conn.close().await.ok();
}

/// A TCP proxy to PostgreSQL: "stopping the database" cuts every connection through it and
/// turns new ones away, "starting" it forwards again. It keeps its port all along, so nothing
/// else can take the port the server's URL names in between.
struct DbProxy {
    addr: String,
    up: tokio::sync::watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl DbProxy {
    async fn start(target: String) -> DbProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (up, mut watch) = tokio::sync::watch::channel(true);
        let task = tokio::spawn(async move {
            // Connections live in this set: emptying it drops them all.
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((mut inbound, _)) = accepted else { continue };
                        if !*watch.borrow() {
                            continue; // dropped: the client sees the connection close
                        }
                        let target = target.clone();
                        connections.spawn(async move {
                            if let Ok(mut outbound) = TcpStream::connect(&target).await {
                                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                            }
                        });
                    }
                    Ok(()) = watch.changed() => {
                        if !*watch.borrow() {
                            connections.abort_all();
                        }
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        DbProxy { addr, up, task }
    }

    fn stop(&self) {
        self.up.send_replace(false);
    }

    fn restart(&self) {
        self.up.send_replace(true);
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_gone_answers_503_and_the_same_process_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let direct_url = dialnexa_store::testing::empty_postgres_database().await;
    let proxy = DbProxy::start(host_port(&direct_url)).await;
    let database_url = with_host_port(&direct_url, &proxy.addr);
    let emulator = start_emulator(dir.path()).await;
    let server = start_server(
        "server",
        dir.path(),
        &database_url,
        &emulator.url,
        &["--db-acquire-timeout-ms", "1000"],
    )
    .await;
    let http = client();
    let key = tenant(&http, &server.url, "Steady").await;
    let list = format!("{}/v1/organization-phone-numbers", server.url);
    let (health, ready) = (
        format!("{}/health", server.url),
        format!("{}/ready", server.url),
    );
    assert_eq!(get(&http, &list, &key).await.0, 200);
    assert_eq!(
        get(&http, &ready, "").await,
        (200, json!({"status": "ready"}))
    );

    proxy.stop();
    // Answered, not left hanging (the client gives up after 30 s), and said plainly.
    for attempt in 0..3 {
        let (status, body) = get(&http, &list, &key).await;
        assert_eq!(
            status,
            503,
            "attempt {attempt} while the database is gone: {body}; log:\n{}",
            server.proc.log_text()
        );
        assert_eq!(body["statusCode"], 503, "{body}");
        assert_eq!(body["code"], "service_unavailable", "{body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
    // Not ready, but alive: an orchestrator must not restart a process for the database's sake.
    let (status, body) = get(&http, &ready, "").await;
    assert_eq!(
        (status, &body["code"]),
        (503, &json!("service_unavailable")),
        "{body}"
    );
    assert_eq!(
        get(&http, &health, "").await,
        (200, json!({"status": "ok"}))
    );

    proxy.restart();
    eventually(Duration::from_secs(30), || async {
        match get(&http, &list, &key).await {
            (200, _) => Ok(()),
            (status, body) => Err(format!(
                "the server did not recover after the database came back: {status} {body}; log:\n{}",
                server.proc.log_text()
            )),
        }
    })
    .await;
    assert_eq!(get(&http, &ready, "").await.0, 200);
    drop(server);
}
