//! What the test targets share, so that none keeps its own copy: waiting for a condition with
//! one helper (`eventually`), `dialnexa` child processes whose output is read with a deadline
//! and whose stderr ends up in the failure message (`process`), and the databases child
//! servers run on (`db`).

// Each test target (api, crash, scale_out) uses its own part of the harness.
#![allow(dead_code)]

pub mod db;
pub mod process;
pub mod receiver;

use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};

/// How often `eventually` looks again.
const POLL: Duration = Duration::from_millis(100);

/// Runs `probe` until it answers `Ok`, and returns that value. `within` only bounds a hang:
/// when it has passed, the test fails with the last `Err` the probe gave (what it saw
/// instead), never with a claim about how fast anything should be.
pub async fn eventually<T, E, F, Fut>(within: Duration, mut probe: F) -> T
where
    E: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + within;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => {
                panic!("still not so after {within:?}; last seen: {last}")
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}
