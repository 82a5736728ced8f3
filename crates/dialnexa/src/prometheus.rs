//! `GET /metrics` in Prometheus' text format. The `metrics` facade's recorder is process-wide,
//! so it is installed once (every `Application` in a process shares it, as the API tests do),
//! with histogram buckets for every `*_duration_seconds` metric and an upkeep thread that keeps
//! unscraped histograms from growing. The gauges that are read rather than counted (pending
//! purchases, database connections) are read when a scrape asks for them.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use dialnexa_service::Services;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

/// From a fast read (1 ms) to a carrier call that waits for its timeout (10 s).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's recorder, installed on first use.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(install).clone()
}

fn install() -> PrometheusHandle {
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_duration_seconds".into()), LATENCY_BUCKETS)
        .expect("the latency buckets are not empty");
    let handle = match builder.install_recorder() {
        Ok(handle) => handle,
        Err(e) => {
            // Another recorder owns the process (an embedding program's): /metrics stays empty
            // rather than the server failing to start.
            tracing::warn!(error = %e, "cannot install the metrics recorder; /metrics will be empty");
            PrometheusBuilder::new().build_recorder().handle()
        }
    };
    dialnexa_http::observe::describe();
    dialnexa_service::telemetry::describe();
    let upkeep = handle.clone();
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the metrics upkeep thread");
    }
    handle
}

#[derive(Clone)]
struct Scrape {
    services: Services,
    handle: PrometheusHandle,
}

/// `GET /metrics`, for the public listener or a listener of its own.
pub fn router(services: Services) -> Router {
    let scrape = Scrape {
        services,
        handle: handle(),
    };
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(scrape)
}

async fn metrics(State(scrape): State<Scrape>) -> impl IntoResponse {
    scrape.services.observe_gauges().await;
    scrape.handle.run_upkeep();
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            // Like every other answer: no browser may read the scrape as another type.
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        scrape.handle.render(),
    )
}
