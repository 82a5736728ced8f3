//! `Idempotency-Key`: retries replay the first answer; a reused key with another body is 422.

use crate::helpers::{TestApp, assert_error, decode};
use serde_json::{Value, json};

async fn buy_with_key(
    app: &TestApp,
    key: &str,
    tenant: &crate::helpers::Tenant,
    body: Value,
) -> (u16, Value, bool) {
    let r = app
        .client
        .post(app.url("/v1/organization-phone-numbers/purchase"))
        .bearer_auth(&tenant.key)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let replayed = r.headers().get("idempotent-replayed").is_some();
    let (status, body) = decode(r).await;
    (status, body, replayed)
}

#[tokio::test]
async fn a_retry_replays_the_first_answer() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let body = json!({"phone_number": "+14155552671"});
    let (s1, b1, replayed1) = buy_with_key(&app, "order-1", &t, body.clone()).await;
    assert_eq!(s1, 201, "{b1}");
    assert!(!replayed1);
    // Same key, same request (formatted differently): the same answer, not a 409.
    let (s2, b2, replayed2) = buy_with_key(
        &app,
        "order-1",
        &t,
        json!({ "phone_number" : "+14155552671" }),
    )
    .await;
    assert_eq!((s2, &b2), (201, &b1));
    assert!(replayed2);
    // Same key, another body: 422.
    let (s3, b3, _) =
        buy_with_key(&app, "order-1", &t, json!({"phone_number": "+14155552672"})).await;
    assert_error(&(s3, b3), 422, "idempotency_key_reused");
    // Keys are per workspace: another workspace's "order-1" is its own request (409 here,
    // because the number is held).
    let other = app.tenant(&["US"], &[]).await;
    let (s4, b4, replayed4) = buy_with_key(&app, "order-1", &other, body).await;
    assert!(!replayed4);
    assert_error(&(s4, b4), 409, "number_taken");
    let (_, charges) = app.get(&t, "/v1/billing/charges").await;
    assert_eq!(charges["total"], 1);
}

#[tokio::test]
async fn fifty_concurrent_identical_requests_buy_once() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let body = json!({"phone_number": "+14155552671"});
    let attempts = (0..50).map(|_| buy_with_key(&app, "same-key", &t, body.clone()));
    let results = futures::future::join_all(attempts).await;
    let winners: Vec<&Value> = results
        .iter()
        .filter(|r| r.0 == 201)
        .map(|r| &r.1)
        .collect();
    assert!(!winners.is_empty(), "{results:?}");
    for w in &winners {
        assert_eq!(*w, winners[0], "every 201 is the same answer");
    }
    for r in results.iter().filter(|r| r.0 != 201) {
        assert_error(&(r.0, r.1.clone()), 409, "idempotency_in_progress");
    }
    // After the first finished, every retry is the identical replay.
    let (status, again, replayed) = buy_with_key(&app, "same-key", &t, body).await;
    assert_eq!((status, &again), (201, winners[0]));
    assert!(replayed);
    let owned = app.carrier_owned().await;
    assert_eq!(owned.len(), 1, "{owned:?}");
    let (_, charges) = app.get(&t, "/v1/billing/charges").await;
    assert_eq!(charges["total"], 1);
}

#[tokio::test]
async fn a_transient_failure_is_not_kept() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    // The carrier refuses the call before doing anything (429 is retryable and certainly not
    // applied): the key is released, and the retry buys.
    app.set_faults(json!({"fail_next": 1, "fail_status": 429}))
        .await;
    let (s1, b1, _) = buy_with_key(&app, "k", &t, json!({"phone_number": "+14155552671"})).await;
    assert_error(&(s1, b1), 503, "carrier_unavailable");
    let (s2, b2, replayed) =
        buy_with_key(&app, "k", &t, json!({"phone_number": "+14155552671"})).await;
    assert_eq!(s2, 201, "{b2}");
    assert!(!replayed);
}

#[tokio::test]
async fn bad_keys_are_400() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let long = "x".repeat(256);
    let (s, b, _) = buy_with_key(&app, &long, &t, json!({"phone_number": "+14155552671"})).await;
    assert_error(&(s, b), 400, "invalid_idempotency_key");
}
