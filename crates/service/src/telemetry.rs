//! The service's metrics, by name, so the recorder, the README and the dashboards built on them
//! agree: purchases and releases by outcome, carrier calls by carrier, operation and outcome,
//! renewals charged, webhook deliveries, and the gauges read when `/metrics` is scraped
//! (pending purchases, database connections). With no recorder installed, recording is a no-op.

use crate::Services;
use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge};
use std::time::Duration;

/// Counter, label `outcome`: `active`, `pending` (the carrier's answer was lost), or the error
/// code the buyer got (`number_taken`, `kyc_required`, `carrier_unavailable`, …).
pub const PURCHASES: &str = "dialnexa_purchases_total";
/// Counter, label `outcome`: `released`, or the error code the caller got.
pub const RELEASES: &str = "dialnexa_releases_total";
/// Counter, label `outcome`: what recovery did with a pending purchase (`activated`, `failed`,
/// `undecided`).
pub const RECOVERIES: &str = "dialnexa_recovered_purchases_total";
/// Counter, labels `carrier`, `operation` and `outcome` (`ok`, or the kind of failure:
/// `not_available`, `not_found`, `rejected`, `unauthorized`, `transient`, `unknown_outcome`,
/// `timeout`).
pub const CARRIER_CALLS: &str = "dialnexa_carrier_calls_total";
/// Histogram of the same calls' latency, same labels.
pub const CARRIER_CALL_DURATION: &str = "dialnexa_carrier_call_duration_seconds";
/// Counter: rental periods charged by the renewal worker (first periods are purchases).
pub const RENEWALS_CHARGED: &str = "dialnexa_renewals_charged_total";
/// Counter, label `outcome`: webhook delivery attempts, recorded by [`webhook_delivery`].
pub const WEBHOOK_DELIVERIES: &str = "dialnexa_webhook_deliveries_total";
/// Gauge: purchases claimed and not yet settled, across workspaces and processes.
pub const PENDING_PURCHASES: &str = "dialnexa_pending_purchases";
/// Gauge, label `state`: `in_use` or `idle` database connections of this process.
pub const DB_CONNECTIONS: &str = "dialnexa_db_connections";
/// Gauge: the pool's bound (PostgreSQL) or the idle read connections kept (SQLite).
pub const DB_CONNECTIONS_MAX: &str = "dialnexa_db_connections_max";
/// Gauge: calls waiting in line for a database connection.
pub const DB_WAITING: &str = "dialnexa_db_waiting";

/// Gives each metric its help text; call once the recorder is installed.
pub fn describe() {
    describe_counter!(PURCHASES, "Purchases answered, by outcome.");
    describe_counter!(RELEASES, "Releases answered, by outcome.");
    describe_counter!(RECOVERIES, "Pending purchases settled by recovery.");
    describe_counter!(CARRIER_CALLS, "Carrier API calls, by outcome.");
    describe_histogram!(
        CARRIER_CALL_DURATION,
        Unit::Seconds,
        "Carrier API call latency."
    );
    describe_counter!(RENEWALS_CHARGED, "Rental periods charged by renewals.");
    describe_counter!(WEBHOOK_DELIVERIES, "Webhook delivery attempts, by outcome.");
    describe_gauge!(PENDING_PURCHASES, "Purchases waiting for their outcome.");
    describe_gauge!(DB_CONNECTIONS, "Database connections, in use or idle.");
    describe_gauge!(
        DB_CONNECTIONS_MAX,
        "Database connections this process may hold."
    );
    describe_gauge!(DB_WAITING, "Calls waiting for a database connection.");
}

pub(crate) fn purchase(outcome: &'static str) {
    counter!(PURCHASES, "outcome" => outcome).increment(1);
}

pub(crate) fn release(outcome: &'static str) {
    counter!(RELEASES, "outcome" => outcome).increment(1);
}

pub(crate) fn recovery(outcome: &'static str) {
    counter!(RECOVERIES, "outcome" => outcome).increment(1);
}

pub(crate) fn carrier_call(
    carrier: &'static str,
    operation: &'static str,
    outcome: &'static str,
    took: Duration,
) {
    let labels = [
        ("carrier", carrier),
        ("operation", operation),
        ("outcome", outcome),
    ];
    counter!(CARRIER_CALLS, &labels).increment(1);
    metrics::histogram!(CARRIER_CALL_DURATION, &labels).record(took.as_secs_f64());
}

pub(crate) fn renewals_charged(n: u32) {
    counter!(RENEWALS_CHARGED).increment(u64::from(n));
}

/// One webhook delivery attempt: `delivered` (2xx), `failed` (to be retried) or `gave_up`
/// (no retry left).
pub fn webhook_delivery(outcome: &'static str) {
    counter!(WEBHOOK_DELIVERIES, "outcome" => outcome).increment(1);
}

impl Services {
    /// Sets the gauges that are read rather than counted, just before a scrape renders them.
    /// A database that does not answer leaves the pending count at its last value.
    pub async fn observe_gauges(&self) {
        let pool = self.store.pool_status();
        gauge!(DB_CONNECTIONS, "state" => "in_use").set(pool.in_use as f64);
        gauge!(DB_CONNECTIONS, "state" => "idle").set(pool.idle as f64);
        gauge!(DB_CONNECTIONS_MAX).set(pool.max as f64);
        gauge!(DB_WAITING).set(pool.waiting as f64);
        match self.store.pending_purchases().await {
            Ok(n) => gauge!(PENDING_PURCHASES).set(n as f64),
            Err(e) => tracing::debug!(error = %e, "cannot count pending purchases for /metrics"),
        }
    }
}
