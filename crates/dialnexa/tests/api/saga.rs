//! The purchase saga when the carrier misbehaves: lost answers, refusals, outages.

use crate::helpers::{TestApp, assert_error};
use crate::support::eventually;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_lost_carrier_answer_is_202_pending_and_recovery_finishes_it() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    // The carrier commits the sale, then never answers: our 2 s carrier timeout fires.
    app.set_faults(json!({"timeout_after_commit_next": 1}))
        .await;
    let (status, body) = app.buy(&t, "+14155552671").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "pending");
    let path = format!(
        "/v1/organization-phone-numbers/{}",
        body["id"].as_str().unwrap()
    );

    // The recovery worker asks the carrier, finds the number on our account, and activates it.
    let settled = eventually(Duration::from_secs(20), || async {
        let (_, now) = app.get(&t, &path).await;
        if now["status"] == "pending" {
            Err(now)
        } else {
            Ok(now)
        }
    })
    .await;
    assert_eq!(settled["status"], "active", "{settled}");
    assert!(
        app.carrier_number("+14155552671").await["owner"]
            .as_str()
            .unwrap()
            .starts_with("twilio:")
    );
    let (_, charges) = app.get(&t, "/v1/billing/charges").await;
    assert_eq!(charges["total"], 1, "{charges}");
    assert_eq!(charges["items"][0]["phone_number_id"], body["id"]);
    assert_eq!(charges["items"][0]["amount_usd"], "1.15");
    assert_eq!(charges["items"][0]["period_index"], 0);
    // Recovery's activation wrote the outbox event, once.
    assert_eq!(
        purchased_events(&app, body["id"].as_str().unwrap()).await,
        1
    );
}

/// `phone_number.purchased` events in the outbox for the number `id`.
async fn purchased_events(app: &TestApp, id: &str) -> usize {
    app.raw_texts(&format!(
        "SELECT payload FROM outbox WHERE event_type = 'phone_number.purchased' \
         AND CAST(payload AS TEXT) LIKE '%{id}%'"
    ))
    .await
    .len()
}

#[tokio::test]
async fn an_activation_writes_its_outbox_event_and_a_refusal_only_its_failure() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (status, bought) = app.buy(&t, "+14155552671").await;
    assert_eq!(status, 201, "{bought}");
    let id = bought["id"].as_str().unwrap();
    let events = app
        .raw_texts(&format!(
            "SELECT workspace_id, payload FROM outbox WHERE event_type = 'phone_number.purchased' \
             AND CAST(payload AS TEXT) LIKE '%{id}%'"
        ))
        .await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0][0].as_deref(), Some(t.id.as_str()));
    let payload: serde_json::Value =
        serde_json::from_str(events[0][1].as_deref().unwrap()).unwrap();
    assert_eq!(payload["id"], bought["id"]);
    assert_eq!(payload["phone_number"], "+14155552671");
    assert_eq!(payload["monthly_cost_usd"], "1.15");

    // A purchase the carrier refuses activates nothing and announces nothing.
    app.carrier_take("+14155550123").await;
    let (status, _) = app.buy(&t, "+14155550123").await;
    assert_eq!(status, 400);
    let all = app
        .raw_texts("SELECT id FROM outbox WHERE event_type = 'phone_number.purchased'")
        .await;
    assert_eq!(all.len(), 1, "{all:?}");
    // Its unwinding wrote `phone_number.purchase_failed`, once.
    let failed = app
        .raw_texts(
            "SELECT workspace_id, payload FROM outbox \
             WHERE event_type = 'phone_number.purchase_failed'",
        )
        .await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0][0].as_deref(), Some(t.id.as_str()));
    let payload: serde_json::Value =
        serde_json::from_str(failed[0][1].as_deref().unwrap()).unwrap();
    assert_eq!(payload["phone_number"], "+14155550123");
    assert_eq!(payload["status"], "failed");
    assert!(payload["failure_reason"].as_str().is_some(), "{payload}");
}

#[tokio::test]
async fn a_carrier_outage_is_503_and_frees_the_claim() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    app.set_faults(json!({"fail_next": 1, "fail_status": 503}))
        .await;
    let r = app.buy(&t, "+14155552671").await;
    // A 5xx on a buy may have been applied at the carrier: the row stays pending (202) and
    // recovery settles it; any other answer must not leave a live claim behind.
    if r.0 == 202 {
        let path = format!(
            "/v1/organization-phone-numbers/{}",
            r.1["id"].as_str().unwrap()
        );
        let now = eventually(Duration::from_secs(20), || async {
            let (_, now) = app.get(&t, &path).await;
            if now["status"] == "pending" {
                Err(now)
            } else {
                Ok(now)
            }
        })
        .await;
        assert_eq!(
            now["status"], "failed",
            "the carrier did not sell it: {now}"
        );
    } else {
        assert_error(&r, 503, "carrier_unavailable");
    }
    // The number is free again: the retry buys it.
    let (status, body) = app.buy(&t, "+14155552671").await;
    assert_eq!(status, 201, "{body}");
    let (_, charges) = app.get(&t, "/v1/billing/charges").await;
    assert_eq!(charges["total"], 1, "{charges}");
}

#[tokio::test]
async fn charges_list_is_scoped_and_filtered() {
    let app = TestApp::spawn().await;
    let a = app.tenant(&["US"], &[]).await;
    let b = app.tenant(&["US"], &[]).await;
    let (_, bought) = app.buy(&a, "+14155552671").await;
    let id = bought["id"].as_str().unwrap();
    let (status, mine) = app
        .get(&a, &format!("/v1/billing/charges?phone_number_id={id}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(mine["total"], 1);
    let (_, theirs) = app
        .get(&b, &format!("/v1/billing/charges?phone_number_id={id}"))
        .await;
    assert_eq!(theirs["total"], 0);
    assert_error(
        &app.get(&a, "/v1/billing/charges?period_from=yesterday")
            .await,
        400,
        "invalid_time",
    );
}
