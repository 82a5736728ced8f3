//! Throttling, per server. Each API key has a token bucket (governor's GCRA): `rps` tokens a
//! second into a bucket of `2 × rps`; a request takes one, a carrier search several (each costs
//! a carrier call). Every answer to a request with a valid key says where its bucket stands
//! (`X-RateLimit-Limit`, `-Remaining`, `-Reset`); an empty bucket answers 429 with
//! `Retry-After`. Guesses at a secret (the dashboard's sign-in, the admin token) are counted
//! per client address instead: 10 wrong ones within a minute and that address gets 429s.

use crate::AppState;
use crate::error::{too_many, whole_seconds};
use crate::extract::bearer;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use dialnexa_service::Caller;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{Quota, RateLimiter};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Tokens a carrier search takes: it costs a carrier call, where a read costs a database read.
pub const SEARCH_COST: u32 = 10;
/// Wrong secrets one address may send within `FAILURE_WINDOW` before it is refused.
pub const MAX_FAILURES: usize = 10;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Past this many buckets, those that are full again are dropped.
const MAX_BUCKETS: usize = 10_000;

type KeyLimiter = RateLimiter<
    String,
    governor::state::keyed::DefaultKeyedStateStore<String>,
    DefaultClock,
    StateInformationMiddleware,
>;

/// The buckets of one server and its count of wrong secrets.
pub struct RateLimits {
    keys: Option<Buckets>,
    failures: Failures,
}

struct Buckets {
    limiter: KeyLimiter,
    burst: NonZeroU32,
    /// What one token takes to come back.
    interval: Duration,
}

impl RateLimits {
    /// `rps` requests a second per API key, bursts of twice that; 0: no limit per key.
    pub fn new(rps: u32) -> Self {
        let keys = NonZeroU32::new(rps).map(|rps| {
            let burst = rps.saturating_mul(NonZeroU32::MIN.saturating_add(1));
            let quota = Quota::per_second(rps).allow_burst(burst);
            Buckets {
                limiter: RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(),
                burst,
                interval: quota.replenish_interval(),
            }
        });
        RateLimits {
            keys,
            failures: Failures::default(),
        }
    }

    /// Take `cost` tokens from the bucket of the key whose hash is `key`.
    fn take(&self, key: &str, cost: u32) -> Option<Decision> {
        let Buckets {
            limiter,
            burst,
            interval,
        } = self.keys.as_ref()?;
        let interval = *interval;
        if limiter.len() > MAX_BUCKETS {
            limiter.retain_recent();
        }
        let cost = NonZeroU32::new(cost.min(burst.get())).unwrap_or(NonZeroU32::MIN);
        let (allowed, remaining, wait) = match limiter.check_key_n(&key.to_owned(), cost) {
            Ok(Ok(snapshot)) => (true, snapshot.remaining_burst_capacity(), Duration::ZERO),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(limiter.clock().now());
                (false, 0, wait)
            }
            // `cost` never exceeds the bucket, so this cannot happen; refuse rather than panic.
            Err(_) => (false, 0, interval),
        };
        let missing = burst.get().saturating_sub(remaining);
        Some(Decision {
            allowed,
            limit: burst.get(),
            remaining,
            reset: interval * missing,
            retry_after: wait,
        })
    }

    /// `Some(retry after)` when `ip` sent too many wrong secrets lately.
    pub fn guessing(&self, ip: Option<IpAddr>) -> Option<Duration> {
        self.failures.blocked(ip?, Instant::now())
    }

    /// `ip` sent a wrong secret.
    pub fn guessed_wrong(&self, ip: Option<IpAddr>) {
        if let Some(ip) = ip {
            self.failures.add(ip, Instant::now());
        }
    }
}

struct Decision {
    allowed: bool,
    limit: u32,
    remaining: u32,
    reset: Duration,
    retry_after: Duration,
}

impl Decision {
    fn write(&self, headers: &mut HeaderMap) {
        let mut set = |name: &'static str, value: u64| {
            headers.insert(name, HeaderValue::from(value));
        };
        set("x-ratelimit-limit", u64::from(self.limit));
        set("x-ratelimit-remaining", u64::from(self.remaining));
        set("x-ratelimit-reset", whole_seconds(self.reset));
    }
}

fn is_carrier_search(method: &Method, path: &str) -> bool {
    method == Method::GET
        && matches!(
            path,
            "/v1/organization-phone-numbers/available"
                | "/v1/organization-phone-numbers/plivo-numbers"
        )
}

/// The middleware: authenticates a request's API key once (handlers find the `Caller` in its
/// extensions), takes from its bucket, and writes where the bucket stands on the answer.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.limits.keys.is_none() {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let Some(token) = bearer(&parts).map(str::to_owned) else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let caller: Caller = match state.services.authenticate(&token).await {
        Ok(caller) => caller,
        // Not a key of ours (or the admin token): the handler answers as it would.
        Err(_) => return next.run(Request::from_parts(parts, body)).await,
    };
    parts.extensions.insert(caller);
    let cost = if is_carrier_search(&parts.method, parts.uri.path()) {
        SEARCH_COST
    } else {
        1
    };
    let hash = dialnexa_service::auth::hash_key(&token);
    let Some(decision) = state.limits.take(&hash, cost) else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let mut response = if decision.allowed {
        next.run(Request::from_parts(parts, body)).await
    } else {
        too_many(
            "Too many requests for this API key: slow down and retry after the time in \
             Retry-After. Carrier searches count as several requests.",
            decision.retry_after,
        )
    };
    decision.write(response.headers_mut());
    response
}

/// Wrong secrets per client address, in a sliding window. governor's buckets cannot be
/// looked at without taking from them, and only failures may count here (an operator's script
/// may use the right admin token as often as it likes), so this keeps the failures' times.
#[derive(Default)]
struct Failures(Mutex<HashMap<IpAddr, VecDeque<Instant>>>);

impl Failures {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, VecDeque<Instant>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn blocked(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let mut all = self.lock();
        let times = all.get_mut(&ip)?;
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= FAILURE_WINDOW)
        {
            times.pop_front();
        }
        (times.len() >= MAX_FAILURES).then(|| {
            let oldest = *times.front().expect("at least MAX_FAILURES times");
            FAILURE_WINDOW.saturating_sub(now.duration_since(oldest))
        })
    }

    fn add(&self, ip: IpAddr, now: Instant) {
        let mut all = self.lock();
        if all.len() >= MAX_BUCKETS {
            all.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < FAILURE_WINDOW)
            });
        }
        let times = all.entry(ip).or_default();
        times.push_back(now);
        while times.len() > MAX_FAILURES {
            times.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_failures_within_a_minute_block_an_address_until_the_first_ages_out() {
        let failures = Failures::default();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        let start = Instant::now();
        for i in 0..9 {
            failures.add(ip, start + Duration::from_secs(i));
        }
        assert_eq!(failures.blocked(ip, start + Duration::from_secs(9)), None);
        failures.add(ip, start + Duration::from_secs(9));
        assert_eq!(
            failures.blocked(ip, start + Duration::from_secs(10)),
            Some(Duration::from_secs(50))
        );
        assert_eq!(failures.blocked(other, start), None);
        // A minute after the first failure, nine remain in the window.
        assert_eq!(failures.blocked(ip, start + Duration::from_secs(60)), None);
    }

    #[test]
    fn a_key_gets_twice_its_rate_at_once_then_429() {
        let limits = RateLimits::new(5);
        for left in (0..10).rev() {
            let d = limits.take("k", 1).unwrap();
            assert!(d.allowed);
            assert_eq!((d.limit, d.remaining), (10, left));
        }
        let refused = limits.take("k", 1).unwrap();
        assert!(!refused.allowed && refused.retry_after > Duration::ZERO);
        assert!(limits.take("another key", SEARCH_COST).unwrap().allowed);
        assert!(!limits.take("another key", 1).unwrap().allowed);
        assert!(RateLimits::new(0).take("k", 1).is_none());
    }
}
