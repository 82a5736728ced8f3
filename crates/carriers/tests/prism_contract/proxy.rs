//! A recording proxy between an adapter and Prism: Prism reports spec violations only in
//! response headers, which the adapters (rightly) never expose, so the test reads them here.

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// One request that went through, as Prism judged it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    pub path_and_query: String,
    pub status: u16,
    /// The parsed `sl-violations` header; each entry has a `location` array whose first item
    /// is "request" or "response".
    pub violations: Vec<Value>,
    /// The body of an error answer: Prism's 422 lists the violations there.
    pub error_body: Option<String>,
}

impl Exchange {
    /// Violations of the request: these mean the adapter sent something the spec forbids.
    /// (Response violations are Twilio's own examples breaking Twilio's schema.)
    pub fn request_violations(&self) -> Vec<&Value> {
        self.violations
            .iter()
            .filter(|v| v.pointer("/location/0").and_then(Value::as_str) != Some("response"))
            .collect()
    }
}

#[derive(Clone)]
struct Shared {
    upstream: String,
    client: reqwest::Client,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

pub struct Recorder {
    pub base_url: String,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

impl Recorder {
    pub async fn start(upstream: &str) -> Recorder {
        let shared = Shared {
            upstream: upstream.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            exchanges: Arc::default(),
        };
        let exchanges = shared.exchanges.clone();
        let app = Router::new().fallback(forward).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Recorder {
            base_url,
            exchanges,
        }
    }

    /// The most recent exchange, without consuming it.
    pub fn last(&self) -> Option<Exchange> {
        self.exchanges.lock().unwrap().last().cloned()
    }

    /// The statuses of the exchanges recorded since the last `take`, without consuming them.
    pub fn last_statuses(&self) -> Vec<u16> {
        self.exchanges
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.status)
            .collect()
    }

    /// Everything recorded since the last call.
    pub fn take(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.exchanges.lock().unwrap())
    }
}

/// Headers that describe one hop's connection, not the message.
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "host" | "connection" | "keep-alive" | "transfer-encoding" | "content-length"
    )
}

async fn forward(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let body = to_bytes(body, usize::MAX).await.unwrap();
    let mut upstream = shared
        .client
        .request(
            parts.method.clone(),
            format!("{}{path_and_query}", shared.upstream),
        )
        .body(body);
    for (name, value) in parts.headers.iter().filter(|(name, _)| !hop_by_hop(name)) {
        upstream = upstream.header(name, value);
    }
    let answer = match upstream.send().await {
        Ok(answer) => answer,
        Err(err) => return (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    };
    let status = answer.status();
    let headers = answer.headers().clone();
    let body = answer.bytes().await.unwrap_or_default();

    let violations = headers
        .get_all("sl-violations")
        .iter()
        .flat_map(
            |raw| match serde_json::from_slice::<Value>(raw.as_bytes()) {
                Ok(Value::Array(list)) => list,
                // Unreadable: keep it whole so the test fails and shows it.
                _ => vec![Value::String(
                    String::from_utf8_lossy(raw.as_bytes()).into_owned(),
                )],
            },
        )
        .collect();
    shared.exchanges.lock().unwrap().push(Exchange {
        method: parts.method.to_string(),
        path_and_query,
        status: status.as_u16(),
        violations,
        error_body: (status.as_u16() >= 400).then(|| String::from_utf8_lossy(&body).into_owned()),
    });

    let mut response = Response::builder().status(status);
    for (name, value) in headers.iter().filter(|(name, _)| !hop_by_hop(name)) {
        response = response.header(name, value);
    }
    response.body(Body::from(body)).unwrap()
}
