//! The load driver for scenarios where every request differs: purchases of distinct numbers.
//! A closed loop (`purchases`: N connections, each sending its next purchase when the last one
//! answered) and an open burst (`burst`: every request sent at once on its own connection).
//! Latencies go into HDR histograms (microseconds, 3 significant digits).

use crate::client::Conn;
use crate::numbers::NumberSource;
use hdrhistogram::Histogram;
use hyper::{Method, StatusCode};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub const PURCHASE_PATH: &str = "/v1/organization-phone-numbers/purchase";

/// When a closed loop stops.
#[derive(Debug, Clone, Copy)]
pub enum Stop {
    After(u64),
    For(Duration),
}

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub fn of(h: &Histogram<u64>) -> Latency {
        let ms = |us: u64| us as f64 / 1000.0;
        Latency {
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
        }
    }
}

#[derive(Debug)]
pub struct Outcome {
    pub answered: u64,
    /// Answers by HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no answer (connection errors).
    pub io_errors: u64,
    pub first_error: Option<String>,
    pub elapsed: Duration,
    pub histogram: Histogram<u64>,
    /// The id of one number bought, for scenarios that read it back.
    pub some_id: Option<String>,
}

impl Outcome {
    fn new() -> Outcome {
        Outcome {
            answered: 0,
            statuses: BTreeMap::new(),
            io_errors: 0,
            first_error: None,
            elapsed: Duration::ZERO,
            histogram: new_histogram(),
            some_id: None,
        }
    }

    /// Every request that did not answer `201 Created`.
    pub fn errors(&self) -> u64 {
        self.io_errors
            + self
                .statuses
                .iter()
                .filter(|(s, _)| **s != 201)
                .map(|(_, n)| n)
                .sum::<u64>()
    }

    fn record(&mut self, result: anyhow::Result<(StatusCode, hyper::body::Bytes)>, took: Duration) {
        match result {
            Ok((status, body)) => {
                self.answered += 1;
                *self.statuses.entry(status.as_u16()).or_default() += 1;
                let _ = self
                    .histogram
                    .record((took.as_micros() as u64).clamp(1, MAX_US));
                if status == StatusCode::CREATED && self.some_id.is_none() {
                    self.some_id = serde_json::from_slice::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v["id"].as_str().map(str::to_owned));
                } else if status != StatusCode::CREATED && self.first_error.is_none() {
                    self.first_error =
                        Some(format!("{status}: {}", String::from_utf8_lossy(&body)));
                }
            }
            Err(e) => {
                self.io_errors += 1;
                self.first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }

    fn merge(&mut self, other: Outcome) {
        self.answered += other.answered;
        for (s, n) in other.statuses {
            *self.statuses.entry(s).or_default() += n;
        }
        self.io_errors += other.io_errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        if self.some_id.is_none() {
            self.some_id = other.some_id;
        }
        let _ = self.histogram.add(&other.histogram);
    }
}

const MAX_US: u64 = 120_000_000;

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_US, 3).expect("static histogram bounds")
}

fn purchase_body(number: &str) -> String {
    format!(r#"{{"phone_number":"{number}"}}"#)
}

/// Closed loop: `concurrency` connections buying distinct numbers until `stop`.
pub async fn purchases(
    addr: SocketAddr,
    key: Arc<str>,
    numbers: Arc<NumberSource>,
    concurrency: usize,
    stop: Stop,
) -> anyhow::Result<Outcome> {
    let issued = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (key, numbers, issued) = (key.clone(), numbers.clone(), issued.clone());
        workers.spawn(async move {
            let mut out = Outcome::new();
            let mut conn = None;
            loop {
                let more = match stop {
                    Stop::After(n) => issued.fetch_add(1, Ordering::Relaxed) < n,
                    Stop::For(d) => started.elapsed() < d,
                };
                if !more {
                    break;
                }
                if conn.is_none() {
                    match Conn::connect(addr).await {
                        Ok(c) => conn = Some(c),
                        Err(e) => {
                            out.record(Err(e), Duration::ZERO);
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    }
                }
                let body = purchase_body(&numbers.next());
                let c = conn.as_mut().expect("connected above");
                let t0 = Instant::now();
                let result = c
                    .send(Method::POST, PURCHASE_PATH, Some(&key), Some(body))
                    .await;
                if result.is_err() {
                    conn = None;
                }
                out.record(result, t0.elapsed());
            }
            out
        });
    }
    let mut total = Outcome::new();
    while let Some(worker) = workers.join_next().await {
        total.merge(worker?);
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

#[derive(Debug)]
pub struct BurstOutcome {
    /// Time to open every connection, before the clock of the burst starts.
    pub connect_time: Duration,
    /// From the first request sent to the last answer received.
    pub wall: Duration,
    pub outcome: Outcome,
}

/// Open burst: `n` connections are opened first, then each sends one purchase at once.
pub async fn burst(
    addr: SocketAddr,
    key: Arc<str>,
    numbers: Arc<NumberSource>,
    n: usize,
) -> anyhow::Result<BurstOutcome> {
    // Opening connections a hundred at a time stays within the listener's backlog (128 by
    // default, as std and tokio bind).
    let connect_started = Instant::now();
    let mut conns = Vec::with_capacity(n);
    while conns.len() < n {
        let batch = (n - conns.len()).min(100);
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..batch {
            set.spawn(Conn::connect(addr));
        }
        while let Some(c) = set.join_next().await {
            conns.push(c??);
        }
    }
    let connect_time = connect_started.elapsed();

    let bodies: Vec<String> = (0..n).map(|_| purchase_body(&numbers.next())).collect();
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for (mut conn, body) in conns.into_iter().zip(bodies) {
        let key = key.clone();
        set.spawn(async move {
            let result = conn
                .send(Method::POST, PURCHASE_PATH, Some(&key), Some(body))
                .await;
            (result, started.elapsed())
        });
    }
    let mut outcome = Outcome::new();
    let mut last = Duration::ZERO;
    while let Some(done) = set.join_next().await {
        let (result, at) = done?;
        last = last.max(at);
        outcome.record(result, at);
    }
    outcome.elapsed = last;
    Ok(BurstOutcome {
        connect_time,
        wall: last,
        outcome,
    })
}
