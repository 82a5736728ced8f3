//! Webhook retries on a clock the test moves: the schedule, the same `webhook-id` on every
//! attempt, a message that fails for good, the endpoint turned off after 5 days of failures,
//! and the retry and test endpoints.

use crate::helpers::{Tenant, TestApp};
use crate::support::eventually;
use crate::support::receiver::{Answer, Receiver};
use crate::webhooks::create;
use dialnexa_service::{Clock, ManualClock};
use jiff::SignedDuration;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

async fn app_with_clock() -> (TestApp, ManualClock) {
    let clock = ManualClock::new(jiff::Timestamp::now());
    let app = TestApp::spawn_configured(Arc::new(clock.clone()), |a| {
        a.guards.webhooks_allow_private = true;
    })
    .await;
    (app, clock)
}

/// The webhook's only delivery once it has `attempts` attempts recorded.
async fn delivery_after(app: &TestApp, t: &Tenant, id: &str, attempts: usize) -> Value {
    eventually(WAIT, || async {
        let (_, body) = app
            .get(t, &format!("/v1/user-webhooks/{id}/deliveries"))
            .await;
        let d = body["items"][0].clone();
        match d["attempts"].as_array() {
            Some(a) if a.len() == attempts => Ok(d),
            _ => Err(format!("{body}")),
        }
    })
    .await
}

async fn send_test(app: &TestApp, t: &Tenant, id: &str) -> Value {
    let (status, body) = app
        .post(t, &format!("/v1/user-webhooks/{id}/test"), json!({}))
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["event"], "webhook.test");
    body
}

#[tokio::test]
async fn a_failed_attempt_is_retried_on_schedule_with_the_same_webhook_id() {
    let (app, clock) = app_with_clock().await;
    let t = app.tenant(&["US"], &[]).await;
    let rx = Receiver::start(Answer::FailFirst(2, 503)).await;
    let id = create(&app, &t, &rx.url, json!(["*"]), "s3cret").await;
    send_test(&app, &t, &id).await;

    let first = delivery_after(&app, &t, &id, 1).await;
    assert_eq!(first["status"], "pending", "{first}");
    assert_eq!(first["attempts"][0]["status_code"], 503);
    // About 5 s later (with jitter), not before.
    let next: jiff::Timestamp = first["next_retry_at"].as_str().unwrap().parse().unwrap();
    let wait = next.duration_since(clock.now());
    assert!(
        wait >= SignedDuration::from_secs(4) && wait <= SignedDuration::from_secs(6),
        "{wait:?}"
    );
    assert_eq!(rx.received().len(), 1);

    clock.advance(SignedDuration::from_secs(7));
    let second = delivery_after(&app, &t, &id, 2).await;
    let next: jiff::Timestamp = second["next_retry_at"].as_str().unwrap().parse().unwrap();
    let wait = next.duration_since(clock.now());
    assert!(
        wait >= SignedDuration::from_mins(4) && wait <= SignedDuration::from_mins(6),
        "{wait:?}"
    );
    clock.advance(SignedDuration::from_mins(6));
    let third = delivery_after(&app, &t, &id, 3).await;
    assert_eq!(third["status"], "delivered", "{third}");
    assert_eq!(third["next_retry_at"], Value::Null);
    let codes: Vec<_> = third["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].clone())
        .collect();
    assert_eq!(codes, [json!(503), json!(503), json!(200)]);

    // Counted by outcome in /metrics (at least these: other tests count into the same recorder).
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for outcome in ["failed", "delivered"] {
        let prefix = format!("dialnexa_webhook_deliveries_total{{outcome=\"{outcome}\"}}");
        let n: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix(&prefix)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{prefix} in:\n{text}"));
        assert!(n >= 1.0, "{prefix} {n}");
    }

    let got = rx.received();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|r| r.id() == got[0].id()), "one webhook-id");
    assert_eq!(got[0].id(), third["id"].as_str().unwrap());
}

#[tokio::test]
async fn a_message_fails_after_the_last_retry_and_the_endpoint_is_disabled_after_5_days() {
    let (app, clock) = app_with_clock().await;
    let t = app.tenant(&["US"], &[]).await;
    let rx = Receiver::start(Answer::FailFirst(usize::MAX, 500)).await;
    let id = create(&app, &t, &rx.url, json!(["*"]), "s3cret").await;
    send_test(&app, &t, &id).await;
    // 1 attempt and 7 retries: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (each ±10%).
    let waits = [5, 300, 1800, 7200, 18000, 36000, 36000];
    for (n, wait) in waits.iter().enumerate() {
        delivery_after(&app, &t, &id, n + 1).await;
        clock.advance(SignedDuration::from_secs(wait + wait / 5 + 1));
    }
    delivery_after(&app, &t, &id, 8).await;
    let last = eventually(WAIT, || async {
        let (_, body) = app
            .get(&t, &format!("/v1/user-webhooks/{id}/deliveries"))
            .await;
        let d = body["items"][0].clone();
        if d["status"] == "failed" {
            Ok(d)
        } else {
            Err(format!("{d}"))
        }
    })
    .await;
    assert_eq!(last["attempts"].as_array().unwrap().len(), 8);
    assert_eq!(last["status"], "failed", "{last}");
    assert_eq!(last["next_retry_at"], Value::Null);
    assert_eq!(rx.received().len(), 8);
    let (_, w) = app.get(&t, &format!("/v1/user-webhooks/{id}")).await;
    assert_eq!(w["webhook"]["is_active"], true, "not yet 5 days: {w}");

    // A retry asked for by hand is one more attempt.
    let message = last["id"].as_str().unwrap();
    let (status, body) = app
        .post(
            &t,
            &format!("/v1/user-webhooks/{id}/deliveries/{message}/retry"),
            json!({}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    delivery_after(&app, &t, &id, 9).await;
    assert_eq!(rx.received().len(), 9);

    // Still failing 5 days after the first failure: the endpoint is turned off, with a note.
    clock.advance(SignedDuration::from_hours(5 * 24));
    send_test(&app, &t, &id).await;
    let w = eventually(WAIT, || async {
        let (_, w) = app.get(&t, &format!("/v1/user-webhooks/{id}")).await;
        if w["webhook"]["is_active"] == false {
            Ok(w)
        } else {
            Err(format!("{w}"))
        }
    })
    .await;
    let note = w["webhook"]["disabled_reason"].as_str().unwrap();
    assert!(note.starts_with("webhook.disabled"), "{note}");

    // Turned on again by its owner, the note is gone.
    let (status, body) = app
        .request(
            reqwest::Method::PATCH,
            &t,
            &format!("/v1/user-webhooks/{id}"),
            Some(json!({ "is_active": true })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["webhook"]["disabled_reason"], Value::Null);
}

#[tokio::test]
async fn another_workspaces_delivery_cannot_be_retried_or_read() {
    let (app, _clock) = app_with_clock().await;
    let t = app.tenant(&["US"], &[]).await;
    let other = app.tenant(&["US"], &[]).await;
    let rx = Receiver::start(Answer::Ok).await;
    let id = create(&app, &t, &rx.url, json!(["*"]), "s3cret").await;
    let sent = send_test(&app, &t, &id).await;
    let message = sent["id"].as_str().unwrap();
    let path = format!("/v1/user-webhooks/{id}/deliveries/{message}/retry");
    let answer = app.post(&other, &path, json!({})).await;
    crate::helpers::assert_error(&answer, 404, "not_found");
    let answer = app
        .get(&other, &format!("/v1/user-webhooks/{id}/deliveries"))
        .await;
    crate::helpers::assert_error(&answer, 404, "not_found");
}
