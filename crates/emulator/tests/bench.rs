//! Micro-benchmarks of what `bench/run` makes the in-process emulator do: buy 10,000 US local
//! numbers, then search with four random digits. Requests go through the whole router (auth
//! gate, extractors, JSON), as `dialnexa serve` answers them, without a socket. Ignored by
//! default; run them in release mode:
//!
//! ```text
//! cargo test -p dialnexa-emulator --release --test bench -- --ignored --nocapture
//! ```
//!
//! `BENCH_LOG=info` logs as `dialnexa serve` does by default (its filter, to a file), to
//! count what the emulator's spans and events cost there.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use dialnexa_emulator::{EmulatorConfig, EmulatorState, router};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tower::ServiceExt;

const OWNED: u64 = 10_000;
/// `BENCH_SEARCHES` overrides it, e.g. to profile searches rather than buys.
fn searches() -> usize {
    std::env::var("BENCH_SEARCHES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000)
}

/// The `i`-th number `bench/run` buys (its `numbers::number`, first area code only).
fn bench_number(i: u64) -> String {
    let line = i % 10_000;
    let rest = i / 10_000;
    let third = rest % 10;
    let rest = rest / 10;
    let middle = [3, 5, 7, 9][(rest % 4) as usize];
    let first = 2 + rest / 4;
    format!("+1201{first}{middle}{third}{line:04}")
}

struct Market {
    app: Router,
    auth: String,
    root: String,
    _dir: tempfile::TempDir,
}

impl Market {
    /// An emulator with its state in a WAL file, as `dialnexa serve` keeps it.
    fn open() -> Market {
        let dir = tempfile::tempdir().unwrap();
        if let Ok(filter) = std::env::var("BENCH_LOG") {
            let log = std::fs::File::create(dir.path().join("bench.log")).unwrap();
            tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_writer(std::sync::Mutex::new(log))
                .init();
        }
        let config = EmulatorConfig {
            state_path: Some(dir.path().join("emulator.db")),
            ..EmulatorConfig::default()
        };
        let account = config.twilio.clone();
        let state = EmulatorState::open(config).unwrap();
        let credentials = format!("{}:{}", account.account_sid, account.auth_token);
        Market {
            app: router(state),
            auth: format!("Basic {}", STANDARD.encode(credentials)),
            root: format!("/2010-04-01/Accounts/{}", account.account_sid),
            _dir: dir,
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        form: Option<String>,
    ) -> (StatusCode, Vec<u8>) {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.root))
            .header(header::AUTHORIZATION, &self.auth);
        let body = match form {
            Some(form) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form)
            }
            None => Body::empty(),
        };
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, bytes.to_vec())
    }

    async fn buy(&self, e164: &str) {
        let form = format!("PhoneNumber={}", e164.replace('+', "%2B"));
        let (status, body) = self
            .call(Method::POST, "/IncomingPhoneNumbers.json", Some(form))
            .await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&body)
        );
    }

    async fn search(&self, contains: &str) -> Vec<u8> {
        let path = format!("/AvailablePhoneNumbers/US/Local.json?Contains={contains}&PageSize=20");
        let (status, body) = self.call(Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        body
    }
}

fn per(elapsed: Duration, n: usize) -> String {
    format!("{:.1} µs", elapsed.as_secs_f64() * 1e6 / n as f64)
}

/// CPU time of the whole process so far (user and system, every thread), from
/// `/proc/self/stat` in clock ticks: wall time alone also counts other processes' turns.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which ends with the last `)`.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// Times `n` runs of what `run` does, in wall and CPU time.
struct Timer {
    wall: Instant,
    cpu: Duration,
}

impl Timer {
    fn start() -> Timer {
        Timer {
            wall: Instant::now(),
            cpu: cpu_time(),
        }
    }

    fn report(&self, n: usize) -> String {
        let wall = self.wall.elapsed();
        let cpu = cpu_time().saturating_sub(self.cpu);
        format!(
            "{wall:.2?} wall, {} per call; {cpu:.2?} CPU, {} per call",
            per(wall, n),
            per(cpu, n)
        )
    }
}

#[tokio::test]
#[ignore = "a benchmark: run in release mode with --ignored --nocapture"]
async fn buys_then_searches_with_four_random_digits() {
    let market = Market::open();
    let timer = Timer::start();
    let mut slow = Vec::new();
    for i in 0..OWNED {
        let started = Instant::now();
        market.buy(&bench_number(i)).await;
        let took = started.elapsed();
        if took > Duration::from_millis(1) {
            slow.push(took);
        }
    }
    slow.sort();
    println!(
        "{OWNED} buys (SQLite WAL commits included): {}; {} over 1 ms, slowest {:.2?}",
        timer.report(OWNED as usize),
        slow.len(),
        slow.last().copied().unwrap_or_default()
    );
    let wal = std::fs::metadata(market._dir.path().join("emulator.db-wal")).map_or(0, |m| m.len());
    println!("WAL after the buys: {} KiB", wal / 1024);

    let mut rng = StdRng::seed_from_u64(42);
    let searches = searches();
    let patterns: Vec<String> = (0..searches)
        .map(|_| format!("{:04}", rng.random_range(0..10_000)))
        .collect();
    // Warm up (and check that searches find numbers at all).
    for contains in patterns.iter().take(50) {
        let body = market.search(contains).await;
        let text = String::from_utf8(body).unwrap();
        assert_eq!(text.matches("\"phone_number\"").count(), 20, "{text}");
    }
    let timer = Timer::start();
    let mut bytes = 0;
    for contains in &patterns {
        bytes += market.search(contains).await.len();
    }
    println!(
        "{searches} searches (Contains=NNNN, PageSize=20, {OWNED} owned, {} bytes per answer): {}",
        bytes / searches,
        timer.report(searches)
    );
}
