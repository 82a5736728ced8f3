//! Operators' endpoints in-process: `/ready` also asks every configured carrier (the
//! emulator's faults make them fail or go silent), `x-request-id` in and out, and `/metrics` on
//! the public listener when no `--metrics-listen` is given. Exact counts are in
//! `tests/ops/`, where each server is a process of its own.

use crate::helpers::{TestApp, assert_error, decode};
use serde_json::{Value, json};

async fn ready(app: &TestApp) -> (u16, Value) {
    decode(app.client.get(app.url("/ready")).send().await.unwrap()).await
}

async fn faults(app: &TestApp, faults: Value) {
    let r = app
        .client
        .post(format!("{}/_emulator/faults", app.emulator))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}

#[tokio::test]
async fn ready_needs_every_carrier_to_answer_in_time() {
    let app = TestApp::spawn_with(|args| args.ops.ready_timeout_ms = 300).await;
    assert_eq!(ready(&app).await, (200, json!({"status": "ready"})));

    // Each of the three carriers' checks answers 503.
    faults(&app, json!({"fail_next": 3, "fail_status": 503})).await;
    let refused = ready(&app).await;
    assert_error(&refused, 503, "carrier_unavailable");
    let message = refused.1["message"].as_str().unwrap();
    for carrier in ["plivo", "telnyx", "twilio"] {
        assert!(message.contains(carrier), "{message}");
    }
    // Those failures are spent: ready again.
    assert_eq!(ready(&app).await.0, 200);

    // Carriers that answer too late are not ready either; the process is alive all along.
    faults(&app, json!({"latency_ms": 1_000})).await;
    assert_error(&ready(&app).await, 503, "carrier_unavailable");
    let health = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    faults(&app, json!({"reset": true})).await;
    assert_eq!(ready(&app).await.0, 200);
}

#[tokio::test]
async fn ready_names_the_carrier_it_cannot_reach() {
    // Twilio's account points where nothing listens; Plivo and Telnyx are the emulator.
    let nowhere = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let app = TestApp::spawn_with(|args| {
        args.carriers.twilio_base_url = Some(nowhere);
        args.carriers.twilio_account_sid = Some("AC0d1a1ae0a0e0a0e0a0e0a0e0a0e0a0e0".into());
        args.carriers.twilio_auth_token = Some("e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0".into());
    })
    .await;
    let refused = ready(&app).await;
    assert_error(&refused, 503, "carrier_unavailable");
    let message = refused.1["message"].as_str().unwrap();
    assert!(message.contains("twilio"), "{message}");
    assert!(
        !message.contains("plivo") && !message.contains("telnyx"),
        "{message}"
    );
}

#[tokio::test]
async fn a_request_id_is_kept_when_usable_and_made_otherwise() {
    let app = TestApp::spawn().await;
    let id_of = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let kept = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "lb-7f3a:42")
        .send()
        .await
        .unwrap();
    assert_eq!(id_of(&kept), "lb-7f3a:42");
    // An error answer, from no route at all, has one too.
    let made = app.client.get(app.url("/nowhere")).send().await.unwrap();
    assert_eq!(made.status(), 404);
    let first = id_of(&made);
    assert!(
        first.len() == 32 && first.chars().all(|c| c.is_ascii_hexdigit()),
        "{first}"
    );
    let again = app.client.get(app.url("/nowhere")).send().await.unwrap();
    assert_ne!(id_of(&again), first, "each request gets its own");
    let too_long = "x".repeat(200);
    let replaced = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", too_long.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(id_of(&replaced).len(), 32);
}

#[tokio::test]
async fn metrics_are_on_the_public_listener_without_metrics_listen() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    assert_eq!(app.buy(&t, "+14155552671").await.0, 201);
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
    );
    let text = r.text().await.unwrap();
    // Other tests of this process count into the same recorder: at least ours is there.
    let series = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix)?.trim().parse::<f64>().ok())
            .unwrap_or_else(|| panic!("{prefix} in:\n{text}"))
    };
    assert!(
        series(
            "dialnexa_http_requests_total{route=\"/v1/organization-phone-numbers/purchase\",method=\"POST\",status=\"201\"}"
        ) >= 1.0
    );
    assert!(series("dialnexa_purchases_total{outcome=\"active\"}") >= 1.0);
    series("dialnexa_pending_purchases");
    series("dialnexa_db_connections{state=\"idle\"}");
    assert!(text.contains("# HELP dialnexa_purchases_total "), "{text}");
    assert!(
        text.contains("# TYPE dialnexa_http_request_duration_seconds histogram"),
        "{text}"
    );
}
