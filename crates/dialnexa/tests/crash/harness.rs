//! One crash test's world (a database and an emulator state file that outlive every server
//! process), the servers started on it, and the check of DESIGN.md's invariants after recovery.

use crate::support::db::TestDatabase;
use crate::support::eventually;
use crate::support::process::Server;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

pub const ADMIN: &str = "crash-test-admin";
/// The exit code of a process stopped by a failpoint.
pub const FAILPOINT_EXIT: i32 = 86;
/// Restarts move the clock this far, so recovery finds every interrupted request old enough
/// to settle at once (its minimum age is a few seconds).
pub const A_MINUTE_ON: i64 = 60;
/// Far enough for period 1 of every number bought in the test to have begun, and not period 2.
pub const FORTY_DAYS_ON: i64 = 40 * 86_400;
/// Bounds waits for recovery and renewals; they take a round of a worker each.
const SETTLE_WITHIN: Duration = Duration::from_secs(30);

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

    /// `serve` on this site's database and emulator state, with `failpoints` armed and the
    /// clock `clock_offset_secs` ahead.
    pub async fn serve(&self, failpoints: &str, clock_offset_secs: i64) -> Server {
        self.serve_with(failpoints, clock_offset_secs, 1_000).await
    }

    /// `serve` as above, waiting up to `carrier_timeout_ms` for each carrier call.
    pub async fn serve_with(
        &self,
        failpoints: &str,
        clock_offset_secs: i64,
        carrier_timeout_ms: u64,
    ) -> Server {
        let env = [("DIALNEXA_FAILPOINTS", failpoints)];
        self.serve_env(clock_offset_secs, carrier_timeout_ms, &env)
            .await
    }

    /// `serve` with these environment variables.
    pub async fn serve_env(
        &self,
        clock_offset_secs: i64,
        carrier_timeout_ms: u64,
        env: &[(&str, &str)],
    ) -> Server {
        let mut args: Vec<String> = [
            "--no-demo",
            "--admin-token",
            ADMIN,
            "--recovery-interval-ms",
            "200",
            "--renewal-interval-ms",
            "200",
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend(self.db.serve_args());
        args.extend([
            "--carrier-timeout-ms".to_owned(),
            carrier_timeout_ms.to_string(),
            "--emulator-state".to_owned(),
            self.dir.path().join("emulator.db").display().to_string(),
            "--clock-offset-secs".to_owned(),
            clock_offset_secs.to_string(),
        ]);
        Server::start("serve", self.dir.path(), &args, env).await
    }

    /// A workspace with US enabled and an API key, through the operator API.
    pub async fn tenant(&self, server: &Server) -> String {
        let http = client();
        let (status, ws) = send(
            http.post(format!("{}/v1/admin/workspaces", server.url))
                .bearer_auth(ADMIN)
                .json(&json!({"name": "crash", "enabled_countries": ["US"]})),
        )
        .await;
        assert_eq!(status, 201, "{ws}");
        let (status, key) = send(
            http.post(format!(
                "{}/v1/admin/workspaces/{}/api-keys",
                server.url,
                ws["id"].as_str().unwrap()
            ))
            .bearer_auth(ADMIN)
            .json(&json!({})),
        )
        .await;
        assert_eq!(status, 201, "{key}");
        key["key"].as_str().unwrap().to_owned()
    }
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

pub async fn get(server: &Server, key: &str, path: &str) -> (u16, Value) {
    send(
        client()
            .get(format!("{}{path}", server.url))
            .bearer_auth(key),
    )
    .await
}

/// A request the server is expected to die in the middle of: it must get no answer, or a 5xx.
#[track_caller]
pub fn assert_died(label: &str, r: Result<reqwest::Response, reqwest::Error>) {
    if let Ok(r) = r {
        assert!(
            r.status().is_server_error(),
            "{label}: the request should have died with the server, got {}",
            r.status()
        );
    }
}

/// The numbers of this workspace with `status`.
pub async fn numbers(server: &Server, key: &str, status: &str) -> Vec<Value> {
    let (code, list) = get(
        server,
        key,
        &format!("/v1/organization-phone-numbers?status={status}&limit=100"),
    )
    .await;
    assert_eq!(code, 200, "{list}");
    list["items"].as_array().unwrap().clone()
}

/// The numbers the carrier (the embedded emulator) holds for the platform's accounts, with
/// the handle (Twilio's sid) it knows each by.
pub async fn carrier_owned(server: &Server) -> BTreeMap<String, Option<String>> {
    let (_, owned) = send(client().get(format!("{}/_emulator/owned", server.emulator()))).await;
    owned
        .as_array()
        .expect("a list of owned numbers")
        .iter()
        .filter(|o| {
            o["owner"]
                .as_str()
                .is_some_and(|w| w.starts_with("twilio:") || w.starts_with("plivo:"))
        })
        .map(|o| {
            let number = o["phone_number"].as_str().unwrap().to_owned();
            (number, o["sid"].as_str().map(str::to_owned))
        })
        .collect()
}

/// A site after recovery, as its invariants were checked.
pub struct Settled {
    pub server: Server,
    pub active: Vec<Value>,
    pub released: Vec<Value>,
}

impl Site {
    /// Starts a server `clock_offset_secs` on (no failpoints), waits until it has settled every
    /// interrupted purchase and release, and checks DESIGN.md's invariants:
    /// - every number the carrier sold to the platform is an active row, and no active row lacks
    ///   its carrier number (the carrier's handle for it);
    /// - every rental period is charged exactly once: `periods_due` periods for each active
    ///   number, the first one alone for numbers released in their first month, none for
    ///   purchases that failed;
    /// - each activation and each release wrote exactly one outbox event.
    pub async fn recover(
        &self,
        label: &str,
        key: &str,
        clock_offset_secs: i64,
        periods_due: usize,
    ) -> Settled {
        let server = self.serve("", clock_offset_secs).await;
        eventually(SETTLE_WITHIN, || async {
            let pending = numbers(&server, key, "pending").await;
            let releasing = self
                .db
                .count(
                    "SELECT COUNT(*) FROM phone_numbers WHERE status = 'active' \
                     AND release_requested_at IS NOT NULL",
                    &[],
                )
                .await;
            if pending.is_empty() && releasing == 0 {
                Ok(())
            } else {
                Err(format!(
                    "{label}: {} pending, {releasing} releasing; {}",
                    pending.len(),
                    server.proc.output()
                ))
            }
        })
        .await;
        let active = numbers(&server, key, "active").await;
        let released = numbers(&server, key, "released").await;
        let failed = numbers(&server, key, "failed").await;

        let here: BTreeSet<String> = active
            .iter()
            .map(|a| a["phone_number"].as_str().unwrap().to_owned())
            .collect();
        let there = carrier_owned(&server).await;
        assert_eq!(
            here,
            there.keys().cloned().collect(),
            "{label}: active here (left) and owned at the carrier (right) differ"
        );
        // And each active row holds the carrier's handle for its number.
        for a in &active {
            let sid = there[a["phone_number"].as_str().unwrap()]
                .as_deref()
                .expect("Twilio numbers have a sid");
            let id = a["id"].as_str().unwrap();
            let matching = self
                .db
                .count(
                    "SELECT COUNT(*) FROM phone_numbers WHERE id = $1 AND carrier_ref = $2",
                    &[id, sid],
                )
                .await;
            assert_eq!(
                matching, 1,
                "{label}: {id} does not hold the carrier's {sid}"
            );
        }

        let charges = eventually(SETTLE_WITHIN, || async {
            let (_, charges) = get(&server, key, "/v1/billing/charges?limit=100").await;
            let items = charges["items"].as_array().unwrap().clone();
            let due = active.len() * periods_due + released.len();
            if items.len() >= due {
                Ok(items)
            } else {
                Err(format!("{label}: {} of {due} charges", items.len()))
            }
        })
        .await;
        let indices = |record: &Value| -> Vec<u64> {
            let mut i: Vec<u64> = charges
                .iter()
                .filter(|c| c["phone_number_id"] == record["id"])
                .map(|c| c["period_index"].as_u64().unwrap())
                .collect();
            i.sort_unstable();
            i
        };
        for a in &active {
            let expected: Vec<u64> = (0..periods_due as u64).collect();
            assert_eq!(indices(a), expected, "{label}: periods charged for {a}");
        }
        for r in &released {
            assert_eq!(indices(r), [0], "{label}: periods charged for {r}");
        }
        for f in &failed {
            assert_eq!(
                indices(f),
                [0u64; 0],
                "{label}: a failed purchase was charged: {f}"
            );
        }
        assert_eq!(
            charges.len(),
            active.len() * periods_due + released.len(),
            "{label}: charges for numbers that are not ours: {charges:?}"
        );

        for (records, event, expected) in [
            (&active, "phone_number.purchased", 1),
            (&released, "phone_number.purchased", 1),
            (&released, "phone_number.released", 1),
            (&failed, "phone_number.purchased", 0),
        ] {
            for r in records {
                let id = r["id"].as_str().unwrap();
                let n = self
                    .db
                    .count(
                        "SELECT COUNT(*) FROM outbox WHERE event_type = $1 \
                         AND CAST(payload AS TEXT) LIKE '%' || $2 || '%'",
                        &[event, id],
                    )
                    .await;
                assert_eq!(n, expected, "{label}: {event} events of {id}");
            }
        }
        Settled {
            server,
            active,
            released,
        }
    }
}
