//! `Idempotency-Key` on POST and DELETE: retries replay the first answer (status and body, with
//! `Idempotent-Replayed: true`) for 24 hours on the service's clock; a reused key with another
//! body is 422; a retry while the first runs is 409 with `Retry-After`; 5xx and 429 are not kept.
//! Across restarts and the 90 s takeover: tests/crash/restart.rs.

use crate::helpers::{Tenant, TestApp, assert_error, decode};
use crate::lifecycle_helpers::number_path;
use crate::support::eventually;
use dialnexa_service::ManualClock;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const PURCHASE: &str = "/v1/organization-phone-numbers/purchase";

/// An answer with the headers idempotency adds.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: Value,
    /// The `Idempotent-Replayed` header's value.
    replayed: Option<String>,
    retry_after: Option<String>,
}

impl Answer {
    fn error(&self) -> (u16, Value) {
        (self.status, self.body.clone())
    }
}

async fn with_key(
    app: &TestApp,
    tenant: &Tenant,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> Answer {
    let mut req = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&tenant.key)
        .header("Idempotency-Key", key);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (replayed, retry_after) = (header("idempotent-replayed"), header("retry-after"));
    let (status, body) = decode(r).await;
    Answer {
        status,
        body,
        replayed,
        retry_after,
    }
}

async fn buy_with_key(app: &TestApp, key: &str, tenant: &Tenant, body: Value) -> Answer {
    with_key(app, tenant, Method::POST, PURCHASE, key, Some(body)).await
}

#[tokio::test]
async fn a_retry_replays_the_first_answer() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let body = json!({"phone_number": "+14155552671"});
    let first = buy_with_key(&app, "order-1", &t, body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.replayed, None, "a first answer is not a replay");
    // Same key, same request (formatted differently): the same answer, not a 409.
    let again = buy_with_key(
        &app,
        "order-1",
        &t,
        json!({ "phone_number" : "+14155552671" }),
    )
    .await;
    assert_eq!((again.status, &again.body), (201, &first.body));
    assert_eq!(again.replayed.as_deref(), Some("true"));
    // Same key, another body: 422.
    let other = buy_with_key(&app, "order-1", &t, json!({"phone_number": "+14155552672"})).await;
    assert_error(&other.error(), 422, "idempotency_key_reused");
    // Keys are per workspace: another workspace's "order-1" is its own request (409 here,
    // because the number is held).
    let stranger = app.tenant(&["US"], &[]).await;
    let theirs = buy_with_key(&app, "order-1", &stranger, body).await;
    assert_eq!(theirs.replayed, None);
    assert_error(&theirs.error(), 409, "number_taken");
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
        .filter(|r| r.status == 201)
        .map(|r| &r.body)
        .collect();
    assert!(!winners.is_empty(), "{results:?}");
    for w in &winners {
        assert_eq!(*w, winners[0], "every 201 is the same answer");
    }
    for r in results.iter().filter(|r| r.status != 201) {
        assert_error(&r.error(), 409, "idempotency_in_progress");
        assert_eq!(r.retry_after.as_deref(), Some("1"), "{r:?}");
    }
    // After the first finished, every retry is the identical replay.
    let again = buy_with_key(&app, "same-key", &t, body).await;
    assert_eq!((again.status, &again.body), (201, winners[0]));
    assert_eq!(again.replayed.as_deref(), Some("true"));
    let owned = app.carrier_owned().await;
    assert_eq!(owned.len(), 1, "{owned:?}");
    let (_, charges) = app.get(&t, "/v1/billing/charges").await;
    assert_eq!(charges["total"], 1);
}

#[tokio::test]
async fn a_retry_while_the_first_request_runs_is_told_when_to_come_back() {
    // The carrier takes an hour to sell and the server waits as long: the first request stays
    // in flight for the whole test.
    let app = TestApp::spawn_with(|args| args.carriers.carrier_timeout_ms = 3_600_000).await;
    let t = app.tenant(&["US"], &[]).await;
    app.set_faults(json!({"buy_latency_ms": 3_600_000})).await;
    let body = json!({"phone_number": "+14155552671"});
    let first = {
        let url = app.url(PURCHASE);
        let req = app
            .client
            .post(url)
            .bearer_auth(&t.key)
            .header("Idempotency-Key", "slow")
            .json(&body);
        tokio::spawn(req.send())
    };
    // The key is claimed before the purchase's own claim, so a pending row means it is taken.
    eventually(Duration::from_secs(20), || async {
        let (_, pending) = app
            .get(&t, "/v1/organization-phone-numbers?status=pending")
            .await;
        if pending["total"] == 1 {
            Ok(())
        } else {
            Err(pending)
        }
    })
    .await;
    let retry = buy_with_key(&app, "slow", &t, body).await;
    assert_error(&retry.error(), 409, "idempotency_in_progress");
    let seconds: u64 = retry
        .retry_after
        .as_deref()
        .and_then(|s| s.parse().ok())
        .expect("Retry-After in seconds");
    assert!(seconds >= 1);
    assert!(!first.is_finished(), "the first request is still running");
}

#[tokio::test]
async fn answers_are_kept_24_hours_on_the_services_clock() {
    let clock = ManualClock::new("2027-03-01T12:00:00Z".parse().unwrap());
    let app = TestApp::spawn_with_clock(Arc::new(clock.clone())).await;
    let t = app.tenant(&["US"], &[]).await;
    let body = json!({"phone_number": "+14155552671"});
    let first = buy_with_key(&app, "daily", &t, body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.body);

    clock.set("2027-03-02T11:59:00Z".parse().unwrap());
    let within = buy_with_key(&app, "daily", &t, body.clone()).await;
    assert_eq!(within.replayed.as_deref(), Some("true"));
    assert_eq!((within.status, &within.body), (201, &first.body));

    // A day later the key is forgotten: the request runs again, and the number is held (ours).
    clock.set("2027-03-02T12:01:00Z".parse().unwrap());
    let after = buy_with_key(&app, "daily", &t, body).await;
    assert_eq!(after.replayed, None);
    assert_error(&after.error(), 409, "number_taken");
}

#[tokio::test]
async fn refusals_are_kept_too_so_a_retry_does_not_change_the_answer() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US", "IN"], &[]).await;
    let body = json!({"phone_number": "+912234567890"});
    let refused = buy_with_key(&app, "kyc", &t, body.clone()).await;
    assert_error(&refused.error(), 403, "kyc_required");
    // KYC approved meanwhile: the same key still answers what it answered (a new key buys).
    app.set_kyc(&t, "IN", dialnexa_domain::KycStatus::Approved)
        .await;
    let again = buy_with_key(&app, "kyc", &t, body.clone()).await;
    assert_eq!(again.replayed.as_deref(), Some("true"));
    assert_eq!((again.status, &again.body), (403, &refused.body));
    assert!(app.carrier_owned().await.is_empty());
    assert_eq!(buy_with_key(&app, "kyc-2", &t, body).await.status, 201);
}

#[tokio::test]
async fn keys_work_on_delete_and_on_other_posts() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;

    // POST /v1/agents twice with one key: one agent.
    let create = || {
        with_key(
            &app,
            &t,
            Method::POST,
            "/v1/agents",
            "agent-1",
            Some(json!({"name": "Desk"})),
        )
    };
    let first = create().await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = create().await;
    assert_eq!(again.replayed.as_deref(), Some("true"));
    assert_eq!((again.status, &again.body), (201, &first.body));
    let (_, agents) = app.get(&t, "/v1/agents").await;
    assert_eq!(agents["total"], 1, "{agents}");

    // DELETE twice with one key: the second answers like the first, not 404.
    let (status, record) = app.buy(&t, "+14155552671").await;
    assert_eq!(status, 201, "{record}");
    let path = number_path(&record);
    let release = || with_key(&app, &t, Method::DELETE, &path, "release-1", None);
    let released = release().await;
    assert_eq!(released.status, 200, "{}", released.body);
    assert_eq!(released.body["status"], "released");
    let again = release().await;
    assert_eq!(again.replayed.as_deref(), Some("true"));
    assert_eq!((again.status, &again.body), (200, &released.body));
    // Without the key the second release is the documented 404.
    assert_error(&app.delete(&t, &path).await, 404, "not_found");
}

#[tokio::test]
async fn a_transient_failure_is_not_kept() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    // The carrier refuses the call before doing anything (429 is retryable and certainly not
    // applied): the key is released, and the retry buys.
    app.set_faults(json!({"fail_next": 1, "fail_status": 429}))
        .await;
    let first = buy_with_key(&app, "k", &t, json!({"phone_number": "+14155552671"})).await;
    assert_error(&first.error(), 503, "carrier_unavailable");
    let retry = buy_with_key(&app, "k", &t, json!({"phone_number": "+14155552671"})).await;
    assert_eq!(retry.status, 201, "{}", retry.body);
    assert_eq!(retry.replayed, None);
}

#[tokio::test]
async fn bad_keys_are_400() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let long = "x".repeat(256);
    let r = buy_with_key(&app, &long, &t, json!({"phone_number": "+14155552671"})).await;
    assert_error(&r.error(), 400, "invalid_idempotency_key");
}
