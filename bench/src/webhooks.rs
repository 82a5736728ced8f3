//! The `webhooks` scenario: events delivered to a receiver on this machine. Idle latency first
//! (one event at a time, commit to receipt), then a burst of events sent as fast as the API
//! takes them, and how fast the deliveries drain. Events are `webhook.test` messages, each
//! committed by `POST /v1/user-webhooks/{id}/test`; their `timestamp` is the commit's time.

use crate::client::{self, Conn};
use crate::drive::Latency;
use crate::report::{Scenario, rate};
use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use hdrhistogram::Histogram;
use hyper::{Method, StatusCode};
use serde_json::json;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Seen {
    ids: HashSet<String>,
    /// Commit to receipt, in microseconds.
    latency: Option<Histogram<u64>>,
}

type Shared = Arc<Mutex<Seen>>;

async fn receive(State(seen): State<Shared>, headers: HeaderMap, body: String) -> AxumStatus {
    let now = jiff::Timestamp::now();
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let event: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let committed: Option<jiff::Timestamp> =
        event["timestamp"].as_str().and_then(|t| t.parse().ok());
    let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
    if seen.ids.insert(id)
        && let (Some(at), Some(h)) = (committed, seen.latency.as_mut())
    {
        let us = now.duration_since(at).as_micros().max(0) as u64;
        let _ = h.record(us);
    }
    AxumStatus::OK
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds")
}

async fn wait_for(seen: &Shared, n: usize, within: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    while seen.lock().unwrap_or_else(|p| p.into_inner()).ids.len() < n {
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {} of {n} deliveries after {within:?}",
            seen.lock().unwrap_or_else(|p| p.into_inner()).ids.len()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// `events` in the burst, `concurrency` connections sending them.
pub async fn scenario(
    addr: SocketAddr,
    key: &str,
    events: usize,
    concurrency: usize,
) -> anyhow::Result<Scenario> {
    let seen: Shared = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hooks", listener.local_addr()?);
    let app = Router::new().fallback(receive).with_state(seen.clone());
    let receiver = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let created = client::expect_json(
        addr,
        Method::POST,
        "/v1/user-webhooks",
        Some(key),
        Some(json!({ "url": url, "events": ["*"], "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }).to_string()),
        StatusCode::CREATED,
    )
    .await
    .context("creating the webhook (is DIALNEXA_WEBHOOKS_ALLOW_PRIVATE set?)")?;
    let id = created["webhook"]["id"].as_str().context("no webhook id")?;
    let test_path = format!("/v1/user-webhooks/{id}/test");

    // Idle: one event at a time, each waited for.
    let idle_events = 200;
    seen.lock().unwrap().latency = Some(histogram());
    let mut conn = Conn::connect(addr).await?;
    for n in 1..=idle_events {
        let (status, _) = conn
            .send(Method::POST, &test_path, Some(key), Some("{}".into()))
            .await?;
        anyhow::ensure!(
            status == StatusCode::ACCEPTED,
            "test event answered {status}"
        );
        wait_for(&seen, n, Duration::from_secs(10)).await?;
    }
    let idle = Latency::of(seen.lock().unwrap().latency.as_ref().unwrap());
    seen.lock().unwrap().latency = Some(histogram());

    // Burst: `events` committed as fast as the API takes them.
    let started = Instant::now();
    let per = events.div_ceil(concurrency);
    let mut senders = Vec::new();
    for c in 0..concurrency {
        let (key, path) = (key.to_owned(), test_path.clone());
        let count = per.min(events.saturating_sub(c * per));
        senders.push(tokio::spawn(async move {
            let mut conn = Conn::connect(addr).await?;
            for _ in 0..count {
                let (status, _) = conn
                    .send(Method::POST, &path, Some(&key), Some("{}".into()))
                    .await?;
                anyhow::ensure!(
                    status == StatusCode::ACCEPTED,
                    "test event answered {status}"
                );
            }
            anyhow::Ok(())
        }));
    }
    for s in senders {
        s.await??;
    }
    let committed = started.elapsed();
    wait_for(&seen, idle_events + events, Duration::from_secs(300)).await?;
    let drained = started.elapsed();
    let burst = Latency::of(seen.lock().unwrap().latency.as_ref().unwrap());
    receiver.abort();

    let per_s = events as f64 / drained.as_secs_f64();
    let mut details = std::collections::BTreeMap::new();
    details.insert("idle_p99_ms".into(), json!(idle.p99_ms));
    details.insert("idle_p50_ms".into(), json!(idle.p50_ms));
    details.insert("burst_p99_ms".into(), json!(burst.p99_ms));
    details.insert("committed_s".into(), json!(committed.as_secs_f64()));
    details.insert("drained_s".into(), json!(drained.as_secs_f64()));
    details.insert("deliveries_per_s".into(), json!(per_s));
    Ok(Scenario {
        name: "webhooks".into(),
        load: format!(
            "{idle_events} events one at a time, then {} events from {concurrency} connections, \
             to a local receiver",
            rate(events as f64)
        ),
        result: format!(
            "{} deliveries/s; commit to receipt p99 {:.1} ms idle, {:.1} ms in the burst",
            rate(per_s),
            idle.p99_ms,
            burst.p99_ms
        ),
        throughput_per_s: Some(per_s),
        requests: Some(events as u64),
        latency: Some(idle),
        errors: Some(0),
        details,
        ..Scenario::default()
    })
}
