//! Where the process's logs and traces go: log lines on stderr as text (for a person at a
//! terminal) or one JSON object per line (for a log collector), filtered by `DIALNEXA_LOG`, and,
//! with `--otlp-endpoint`, the spans of our own crates as OpenTelemetry traces. Each output has
//! its own filter, so the debug-level store spans cost nothing unless traces are exported.

use clap::ValueEnum;
use std::io::IsTerminal;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::{FilterExt, Targets, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Without `DIALNEXA_LOG`: our information, the libraries' warnings (the trace exporter's
/// included: a collector that cannot be reached says so).
const DEFAULT_FILTER: &str =
    "info,sqlx=warn,opentelemetry=warn,opentelemetry_sdk=warn,opentelemetry_otlp=warn";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, the event's fields at the top level.
    Json,
}

impl LogFormat {
    /// Text on a terminal, JSON when stderr goes to a file, a pipe or a collector.
    pub fn for_stderr() -> LogFormat {
        if std::io::stderr().is_terminal() {
            LogFormat::Text
        } else {
            LogFormat::Json
        }
    }
}

/// Holds the trace exporter, so spans still queued are sent before the process ends.
#[must_use = "call shutdown() before exiting, or queued spans are lost"]
pub struct Telemetry {
    traces: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
    /// The log writer's thread: dropping it writes out the lines still waiting.
    _logs: crate::log_writer::FlushGuard<std::io::Stderr>,
}

impl Telemetry {
    /// Sends the spans still queued (waiting a few seconds at most for the collector).
    pub async fn shutdown(self) {
        if let Some(provider) = self.traces {
            // The exporter's thread sends through this runtime: wait for it off the runtime.
            let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
            if let Ok(Err(e)) = flushed {
                eprintln!("warning: traces not all sent: {e}");
            }
        }
    }
}

/// Installs the process's subscriber. Call once, from within the Tokio runtime.
pub fn init(format: LogFormat, otlp_endpoint: Option<&str>) -> anyhow::Result<Telemetry> {
    let filter =
        EnvFilter::try_from_env("DIALNEXA_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // Lines are gathered in memory and written in batches (`log_writer`): a request appends its
    // line and goes on, with no write and no thread woken per line.
    let (writer, guard) = crate::log_writer::batched(std::io::stderr());
    let logs = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(writer)
            .with_filter(filter.and(filter_fn(events_and_log_context)))
            .boxed(),
        // The JSON format's objects, written by our own event format (`json_lines`), which
        // reads the request's log context from `observe::log_context`: no span is made for it.
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .fmt_fields(crate::json_lines::JsonSpanFields)
            .event_format(crate::json_lines::JsonLines)
            .with_writer(writer)
            .with_filter(filter.and(filter_fn(|meta| meta.is_event())))
            .boxed(),
    };

    let traces = otlp_endpoint
        .map(crate::otlp::tracer_provider)
        .transpose()?;
    // A second init (tests that run the CLI in-process) keeps the first subscriber. Without
    // an exporter no traces layer is added at all: an absent one (`None` as a layer) would
    // still have the request's spans made for nobody.
    let logs = tracing_subscriber::registry().with(logs);
    let _ = match &traces {
        Some(provider) => {
            use opentelemetry::trace::TracerProvider as _;
            let spans = tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("dialnexa"))
                .with_filter(our_spans().and(filter_fn(|meta| {
                    meta.target() != dialnexa_http::observe::LOG_CONTEXT
                })));
            logs.with(spans).try_init()
        }
        None => logs.try_init(),
    };
    Ok(Telemetry {
        traces,
        _logs: guard,
    })
}

/// What the text lines need: the events, and each request's log context (a span with its
/// request id alone, `observe::LOG_CONTEXT`), which every line written while the request ran
/// carries. The request's own span and those below it (use cases, saga steps, store calls) are
/// for traces: formatting their fields (and merging each field recorded later) for the logs on
/// every request cost a third of `get`'s throughput, for lines that rarely come.
fn events_and_log_context(meta: &tracing::Metadata<'_>) -> bool {
    meta.is_event() || meta.target() == dialnexa_http::observe::LOG_CONTEXT
}

/// The spans traces are made of: requests, use cases, saga steps and carrier calls (info), and
/// store calls (debug), from our crates only (the HTTP client's own spans would be noise, and
/// the exporter's would trace itself).
fn our_spans() -> Targets {
    Targets::new()
        .with_target("dialnexa", LevelFilter::INFO)
        .with_target("dialnexa_http", LevelFilter::INFO)
        .with_target("dialnexa_service", LevelFilter::INFO)
        .with_target("dialnexa_store", LevelFilter::DEBUG)
}
