//! A webhook receiver on a loopback port for the tests: it keeps every request it got (headers
//! and body) and answers as told: 200, a failure status for the first few requests, or never.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Ok,
    /// This status to the first `n` requests, 200 after.
    FailFirst(usize, u16),
    /// Never answers (the request hangs until the sender gives up).
    Hang,
    /// 200, this many milliseconds after the request came; counted only then.
    Slow(u64),
}

#[derive(Debug, Clone)]
pub struct Received {
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Received {
    pub fn id(&self) -> &str {
        self.headers
            .get("webhook-id")
            .map(String::as_str)
            .unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Clone)]
struct Shared {
    answer: Answer,
    got: Arc<Mutex<Vec<Received>>>,
}

pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    _server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start(answer: Answer) -> Receiver {
        Self::start_on(answer, 0).await
    }

    /// On a given port (0: any), e.g. the port of a receiver that was stopped.
    pub async fn start_on(answer: Answer, port: u16) -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            answer,
            got: got.clone(),
        };
        let app = Router::new().fallback(receive).with_state(shared);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            url,
            got,
            _server: server,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    pub fn distinct_ids(&self) -> HashSet<String> {
        self.received().iter().map(|r| r.id().to_owned()).collect()
    }

    /// What was received with events of `event_type`.
    pub fn of_type(&self, event_type: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.json()["type"] == event_type)
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self._server.abort();
    }
}

async fn receive(State(s): State<Shared>, headers: HeaderMap, body: String) -> StatusCode {
    let headers = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let got = Received { headers, body };
    if let Answer::Slow(ms) = s.answer {
        // Counted once handled: a request cut off before its answer was not received.
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        s.got.lock().unwrap().push(got);
        return StatusCode::OK;
    }
    let n = {
        let mut all = s.got.lock().unwrap();
        all.push(got);
        all.len()
    };
    match s.answer {
        Answer::FailFirst(k, code) if n <= k => StatusCode::from_u16(code).unwrap(),
        Answer::Hang => std::future::pending().await,
        _ => StatusCode::OK,
    }
}

/// Verifies `deliveries` (each with the secret of its webhook) with the reference
/// `standardwebhooks` library from PyPI (`scripts/webhook-verifier.sh` installs it); panics
/// with the library's answer for any it refuses.
pub fn verify_with_standardwebhooks(deliveries: &[(&str, &Received)]) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let install = Command::new("bash")
        .arg(root.join("scripts/webhook-verifier.sh"))
        .arg("python")
        .output()
        .expect("bash runs");
    assert!(
        install.status.success(),
        "installing standardwebhooks failed:\n{}",
        String::from_utf8_lossy(&install.stderr)
    );
    let python = String::from_utf8(install.stdout).unwrap().trim().to_owned();
    let mut child = Command::new(python)
        .arg(root.join("crates/dialnexa/tests/webhooks/verify.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    let mut input = String::new();
    for (secret, r) in deliveries {
        let line = serde_json::json!({ "secret": secret, "headers": r.headers, "body": r.body });
        input.push_str(&line.to_string());
        input.push('\n');
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "standardwebhooks refused a delivery:\n{said}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        said.lines().filter(|l| *l == "ok").count(),
        deliveries.len(),
        "{said}"
    );
}
