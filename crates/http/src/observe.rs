//! The one place that sees every request whole: it gives the request an id (`x-request-id`:
//! the caller's when it sent a usable one, else a new one, answered either way), runs it in a
//! span that traces hang from, counts it by route template, method and status with its
//! latency, and logs it once, with the workspace that made it when an API key or session said.

use axum::extract::{MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use dialnexa_domain::WorkspaceId;
use metrics::{Counter, Histogram, Unit, counter, describe_counter, describe_histogram, histogram};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tracing::Instrument;
use tracing::field::Empty;

/// Counter, labels `route` (the template, e.g. `/v1/organization-phone-numbers/{id}`, or
/// `unmatched`), `method` and `status`.
pub const HTTP_REQUESTS: &str = "dialnexa_http_requests_total";
/// Histogram of the same requests' latency in seconds, same labels.
pub const HTTP_REQUEST_DURATION: &str = "dialnexa_http_request_duration_seconds";
/// The target of the one line logged per request: `DIALNEXA_LOG=info,dialnexa_http::access=off`
/// silences it.
pub const ACCESS_LOG: &str = "dialnexa_http::access";

/// The target of each request's log context: a span with the request's id alone, which the
/// log lines written while the request runs carry (the request's own span, with its route,
/// status and workspace, is for traces, and costs more to format than a log line needs). The
/// text format shows it as a span; the JSON format reads the same id from [`log_context`],
/// and with no layer taking the span it is never made.
pub const LOG_CONTEXT: &str = "dialnexa_log_context";

tokio::task_local! {
    /// The id of the request whose future is being polled, for the log lines it writes.
    static CONTEXT_REQUEST_ID: String;
}

/// The id of the request running on this task, if any: what its log context span shows. A
/// task-local costs a request two thread-local writes per poll where a span costs a slab
/// entry, its fields formatted, and the registry's bookkeeping on every poll and at its close.
pub fn log_context() -> Option<String> {
    CONTEXT_REQUEST_ID.try_with(String::clone).ok()
}

/// Runs `work` with `request_id` as its [`log_context`].
pub async fn in_log_context<F: std::future::Future>(request_id: String, work: F) -> F::Output {
    CONTEXT_REQUEST_ID.scope(request_id, work).await
}

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest caller-chosen request id we keep; a longer one is replaced by ours.
const MAX_REQUEST_ID: usize = 128;

/// Gives each metric its help text; call once the recorder is installed.
pub fn describe() {
    describe_counter!(HTTP_REQUESTS, "HTTP requests answered.");
    describe_histogram!(
        HTTP_REQUEST_DURATION,
        Unit::Seconds,
        "HTTP request latency, from routing to the answer's headers."
    );
}

/// Whose request this is, learnt once an extractor has authenticated it.
#[derive(Clone, Default)]
pub(crate) struct Attribution(Arc<OnceLock<WorkspaceId>>);

/// Notes the workspace a request turned out to come from, for its log line and span.
pub(crate) fn attribute(parts: &Parts, workspace: &WorkspaceId) {
    if let Some(attribution) = parts.extensions.get::<Attribution>() {
        let _ = attribution.0.set(workspace.clone());
    }
}

/// The middleware, layered outside every other one so the latency is the whole request's.
pub async fn layer(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = req.method().as_str().to_owned();
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .filter(|v| usable_request_id(v.as_bytes()))
        .cloned()
        .unwrap_or_else(new_request_id);
    let id = request_id.to_str().unwrap_or_default().to_owned();
    // Written into the request too, so the extractors record the same id in the audit log.
    req.headers_mut()
        .insert(REQUEST_ID.clone(), request_id.clone());
    let attribution = Attribution::default();
    req.extensions_mut().insert(attribution.clone());

    let span = tracing::info_span!(
        "http.request",
        otel.name = format!("{method} {route}"),
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = method.as_str(),
        http.route = route.as_str(),
        http.response.status_code = Empty,
        request_id = id.as_str(),
        workspace_id = Empty,
    );
    let context = tracing::info_span!(target: LOG_CONTEXT, "request", request_id = id.as_str());
    let work = next.run(req).instrument(span.clone()).instrument(context);
    let mut response = in_log_context(id.clone(), work).await;
    let latency = started.elapsed();
    let status = response.status();
    let workspace = attribution.0.get().map(WorkspaceId::as_str);
    // As a signed integer: OpenTelemetry has no unsigned one, and u64 fields become strings.
    span.record("http.response.status_code", i64::from(status.as_u16()));
    if let Some(workspace) = workspace {
        span.record("workspace_id", workspace);
    }
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    response
        .headers_mut()
        .insert(REQUEST_ID.clone(), request_id);

    count(&route, &method, status.as_u16(), latency);
    // Displayed (`%`), not as `&str`: text lines show them unquoted.
    tracing::info!(
        target: ACCESS_LOG,
        route = %route,
        method = %method,
        status = status.as_u16(),
        latency_ms = latency.as_micros() as f64 / 1000.0,
        workspace_id = workspace.map(tracing::field::display),
        request_id = %id,
        "request"
    );
    response
}

/// The request metrics of each route, method and status, registered with the recorder once:
/// building the three owned labels into the recorder's key and finding it there cost a
/// request 6 % of its instructions. The recorder is installed before any request is served,
/// and keeps every metric it was given (no idle timeout), so a kept handle stays the one it
/// exports.
type RequestMetrics = HashMap<String, Vec<Answered>>;

/// A route's handles for one method and status (a route sees a few: a short list).
struct Answered {
    method: String,
    status: u16,
    requests: Counter,
    latencies: Histogram,
}

static REQUEST_METRICS: LazyLock<Mutex<RequestMetrics>> = LazyLock::new(Mutex::default);

fn count(route: &str, method: &str, status: u16, latency: Duration) {
    let mut routes = REQUEST_METRICS.lock().unwrap_or_else(|p| p.into_inner());
    let answers = match routes.get_mut(route) {
        Some(answers) => answers,
        None => routes.entry(route.to_owned()).or_default(),
    };
    let at = match answers
        .iter()
        .position(|a| a.status == status && a.method == method)
    {
        Some(at) => at,
        None => {
            let labels = [
                ("route", route.to_owned()),
                ("method", method.to_owned()),
                ("status", status.to_string()),
            ];
            answers.push(Answered {
                method: method.to_owned(),
                status,
                requests: counter!(HTTP_REQUESTS, &labels),
                latencies: histogram!(HTTP_REQUEST_DURATION, &labels),
            });
            answers.len() - 1
        }
    };
    answers[at].requests.increment(1);
    answers[at].latencies.record(latency.as_secs_f64());
}

/// Visible ASCII of a sane length: anything else could break a log line or a header.
fn usable_request_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID).contains(&id.len()) && id.iter().all(u8::is_ascii_graphic)
}

/// 128 random bits in hex, the shape of a W3C trace id.
fn new_request_id() -> HeaderValue {
    let mut id = [0u8; 32];
    hex::encode_to_slice(rand::random::<[u8; 16]>(), &mut id).expect("32 hex digits for 16 bytes");
    HeaderValue::from_bytes(&id).expect("hex digits are a valid header value")
}

#[cfg(test)]
mod tests {
    use super::usable_request_id;

    #[test]
    fn a_callers_request_id_is_kept_only_when_it_is_short_visible_ascii() {
        assert!(usable_request_id(b"req-42"));
        assert!(usable_request_id(b"0af7651916cd43dd8448eb211c80319c"));
        assert!(!usable_request_id(b""));
        assert!(!usable_request_id(b"two words"));
        assert!(!usable_request_id("caf\u{e9}".as_bytes()));
        assert!(!usable_request_id(&[b'a'; 129]));
    }
}
