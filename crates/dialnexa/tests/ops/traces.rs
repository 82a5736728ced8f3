//! `--otlp-endpoint`: a purchase's spans reach an OTLP/HTTP collector (a small one this test
//! runs, decoding the protobuf with `opentelemetry-proto`), all in one trace, each under the
//! right parent: the request, the use case, its saga steps, the carrier and store calls.

use crate::support::eventually;
use crate::{Site, client, tenant};
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Attr;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Received = Arc<Mutex<Vec<Span>>>;

/// An OTLP/HTTP collector on port 0 that keeps every span it is sent.
async fn collector() -> (String, Received) {
    let received = Received::default();
    let app = axum::Router::new()
        .route("/v1/traces", post(export))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

async fn export(State(received): State<Received>, body: Bytes) -> Vec<u8> {
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf export");
    let spans = request
        .resource_spans
        .into_iter()
        .flat_map(|r| r.scope_spans)
        .flat_map(|s| s.spans);
    received.lock().unwrap().extend(spans);
    // An empty ExportTraceServiceResponse: everything accepted.
    Vec::new()
}

fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a Attr> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

fn string_attribute(span: &Span, key: &str) -> Option<String> {
    match attribute(span, key)? {
        Attr::StringValue(s) => Some(s.clone()),
        _ => None,
    }
}

#[tokio::test]
async fn a_purchases_spans_reach_the_collector_under_the_right_parents() {
    let (endpoint, received) = collector().await;
    let site = Site::new().await;
    // Batches leave every 100 ms instead of every 5 s.
    let server = site
        .serve(
            &["--otlp-endpoint", &endpoint],
            &[("OTEL_BSP_SCHEDULE_DELAY", "100")],
        )
        .await;
    let (_, key) = tenant(&server).await;
    let r = client()
        .post(format!(
            "{}/v1/organization-phone-numbers/purchase",
            server.url
        ))
        .bearer_auth(&key)
        .header("x-request-id", "ops-trace-1")
        .json(&json!({"phone_number": "+14155552671", "provider": "twilio"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // The request's span, once the whole purchase below it has arrived too.
    let spans = eventually(Duration::from_secs(60), || async {
        let spans = received.lock().unwrap().clone();
        let root = spans
            .iter()
            .find(|s| string_attribute(s, "request_id").as_deref() == Some("ops-trace-1"));
        let activated = spans.iter().any(|s| s.name == "purchase.activate");
        match root {
            Some(_) if activated => Ok(spans),
            _ => Err(format!("{} spans so far", spans.len())),
        }
    })
    .await;
    let named = |name: &str| -> &Span {
        spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no span {name} among {:?}", names(&spans)))
    };
    let parent_of = |span: &Span| -> &Span {
        spans
            .iter()
            .find(|s| s.span_id == span.parent_span_id)
            .unwrap_or_else(|| panic!("the parent of {} was not received", span.name))
    };

    let request = named("POST /v1/organization-phone-numbers/purchase");
    assert!(
        request.parent_span_id.is_empty(),
        "the request starts the trace"
    );
    assert_eq!(request.kind, SpanKind::Server as i32);
    assert_eq!(
        attribute(request, "http.response.status_code"),
        Some(&Attr::IntValue(201))
    );
    assert_eq!(
        string_attribute(request, "http.route").as_deref(),
        Some("/v1/organization-phone-numbers/purchase")
    );
    assert!(string_attribute(request, "workspace_id").is_some_and(|w| w.starts_with("ws_")));

    // The steps hang from the service's use case, which hangs from the request.
    let claim = named("purchase.claim");
    let use_case = parent_of(claim);
    assert_eq!(use_case.name, "purchase");
    assert_eq!(
        parent_of(named("purchase.carrier")).span_id,
        use_case.span_id
    );
    assert_eq!(
        parent_of(named("purchase.activate")).span_id,
        use_case.span_id
    );
    let mut up = use_case;
    while !up.parent_span_id.is_empty() {
        up = parent_of(up);
    }
    assert_eq!(
        up.span_id, request.span_id,
        "the use case is part of the request"
    );

    // The carrier call under its step, the store's calls under theirs.
    let buy = named("carrier.buy");
    assert_eq!(parent_of(buy).name, "purchase.carrier");
    assert_eq!(buy.kind, SpanKind::Client as i32);
    assert_eq!(string_attribute(buy, "carrier").as_deref(), Some("twilio"));
    assert_eq!(string_attribute(buy, "outcome").as_deref(), Some("ok"));
    for step in ["purchase.claim", "purchase.activate"] {
        let step = named(step);
        assert!(
            spans
                .iter()
                .any(|s| s.name.starts_with("store.") && s.parent_span_id == step.span_id),
            "no store call under {}: {:?}",
            step.name,
            names(&spans)
        );
    }
    for span in [claim, use_case, buy] {
        assert_eq!(
            span.trace_id, request.trace_id,
            "{} in the trace",
            span.name
        );
    }
}

fn names(spans: &[Span]) -> Vec<&str> {
    spans.iter().map(|s| s.name.as_str()).collect()
}
