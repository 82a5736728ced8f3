//! Traces over OTLP/HTTP (protobuf), batched by the OpenTelemetry SDK on a thread of its own and
//! sent with the reqwest client the rest of the binary uses: the exporter's own clients would
//! bring a second major version of reqwest, and its thread has no Tokio runtime, so each batch
//! is handed to ours.

use anyhow::Context;
use async_trait::async_trait;
use axum::http::{Request, Response};
use bytes::Bytes;
use opentelemetry_http::{HttpClient, HttpError};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::time::Duration;

/// How long one batch may take to reach the collector.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The provider whose tracer the subscriber's OpenTelemetry layer uses.
pub fn tracer_provider(endpoint: &str) -> anyhow::Result<SdkTracerProvider> {
    let client = RuntimeClient {
        http: reqwest::Client::builder()
            .timeout(EXPORT_TIMEOUT)
            .build()
            .context("cannot build the trace exporter's HTTP client")?,
        runtime: tokio::runtime::Handle::try_current()
            .context("the trace exporter needs the Tokio runtime")?,
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(traces_url(endpoint))
        .with_timeout(EXPORT_TIMEOUT)
        .with_http_client(client)
        .build()
        .with_context(|| format!("cannot export traces to {endpoint}"))?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name("dialnexa").build())
        .build())
}

/// A collector's base URL gets the traces path, as `OTEL_EXPORTER_OTLP_ENDPOINT` does; a URL
/// that already names it is kept.
fn traces_url(endpoint: &str) -> String {
    let endpoint = endpoint.trim_end_matches('/');
    if endpoint.ends_with("/v1/traces") {
        endpoint.to_owned()
    } else {
        format!("{endpoint}/v1/traces")
    }
}

/// Sends each batch on the Tokio runtime (reqwest needs it) and waits for the answer from the
/// exporter's thread.
#[derive(Debug)]
struct RuntimeClient {
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait]
impl HttpClient for RuntimeClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let http = self.http.clone();
        let sent = self.runtime.spawn(async move {
            let (parts, body) = request.into_parts();
            let answer = http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await?;
            let mut response = Response::builder().status(answer.status());
            if let Some(headers) = response.headers_mut() {
                *headers = answer.headers().clone();
            }
            let body = answer.bytes().await?;
            Ok::<_, HttpError>(response.body(body)?)
        });
        sent.await?
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_traces_path_is_added_to_a_collectors_base_url_once() {
        let url = super::traces_url;
        assert_eq!(url("http://otel:4318"), "http://otel:4318/v1/traces");
        assert_eq!(url("http://otel:4318/"), "http://otel:4318/v1/traces");
        assert_eq!(
            url("http://otel:4318/v1/traces"),
            "http://otel:4318/v1/traces"
        );
    }
}
