//! A write is answered only once it is durable. The store's commit failpoint makes the
//! database refuse to commit, as a full or read-only disk would, on each write path: no 2xx for
//! a write that did not commit, no carrier call after a claim that did not commit, nothing
//! billed for a number the carrier no longer has, and `/ready` says so (`/health` does not).

use crate::helpers::{TestApp, assert_error};
use crate::lifecycle_helpers::{bought, number_path};
use dialnexa_service::ManualClock;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const NUMBER: &str = "+14155550123";

fn owned_by_us(carrier: &serde_json::Value) -> bool {
    carrier["available"] == false && carrier["owner"].as_str().is_some_and(|o| !o.is_empty())
}

#[tokio::test]
async fn a_patch_that_cannot_commit_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant(&["US"], &[]).await;
    let number = bought(&app, &tenant, NUMBER).await;
    let path = number_path(&number);

    app.faults.fail_commits(true);
    let refused = app.patch(&tenant, &path, json!({"nickname": "x"})).await;
    assert_error(&refused, 503, "service_unavailable");
    app.faults.fail_commits(false);

    let (status, now) = app.get(&tenant, &path).await;
    assert_eq!(status, 200);
    assert_eq!(now["nickname"], serde_json::Value::Null, "{now}");
    let (status, patched) = app.patch(&tenant, &path, json!({"nickname": "x"})).await;
    assert_eq!((status, &patched["nickname"]), (200, &json!("x")));
    assert_eq!(app.get(&tenant, &path).await.1["nickname"], "x");
}

#[tokio::test]
async fn every_kind_of_write_answers_503_while_the_database_cannot_commit() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant(&["US"], &[]).await;
    let number = bought(&app, &tenant, NUMBER).await;

    app.faults.fail_commits(true);
    let agent = app
        .post(&tenant, "/v1/agents", json!({"name": "Ava"}))
        .await;
    assert_error(&agent, 503, "service_unavailable");
    let config = app
        .put(
            &tenant,
            "/v1/workspace/telephony-config",
            json!({"enabled_countries": ["US", "GB"]}),
        )
        .await;
    assert_error(&config, 503, "service_unavailable");
    let default = app
        .put(
            &tenant,
            "/v1/workspace/default-phone-number",
            json!({"phone_number_id": number["id"]}),
        )
        .await;
    assert_error(&default, 503, "service_unavailable");
    app.faults.fail_commits(false);

    let (_, agents) = app.get(&tenant, "/v1/agents").await;
    assert_eq!(agents["total"], 0, "{agents}");
    let (_, workspace) = app.get(&tenant, "/v1/workspace").await;
    assert_eq!(
        workspace["default_phone_number_id"],
        serde_json::Value::Null,
        "{workspace}"
    );
    let (_, config) = app.get(&tenant, "/v1/workspace/telephony-config").await;
    assert!(!config.to_string().contains("GB"), "{config}");
}

#[tokio::test]
async fn a_purchase_whose_claim_cannot_commit_never_reaches_the_carrier() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant(&["US"], &[]).await;

    app.faults.fail_commits(true);
    assert_error(&app.buy(&tenant, NUMBER).await, 503, "service_unavailable");
    app.faults.fail_commits(false);

    let carrier = app.carrier_number(NUMBER).await;
    assert_eq!(
        carrier["available"], true,
        "bought without a claim: {carrier}"
    );
    let (_, list) = app
        .get(&tenant, "/v1/organization-phone-numbers?status=pending")
        .await;
    assert_eq!(list["total"], 0, "{list}");
    bought(&app, &tenant, NUMBER).await;
}

#[tokio::test]
async fn a_purchase_whose_activation_cannot_commit_is_pending_then_recovered_and_billed_once() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant(&["US"], &[]).await;

    // The claim commits; the activation (with the first charge) does not.
    app.faults.fail_commits_after(1);
    let (status, pending) = app.buy(&tenant, NUMBER).await;
    app.faults.fail_commits(false);
    assert_eq!(
        (status, &pending["status"]),
        (202, &json!("pending")),
        "{pending}"
    );
    assert!(owned_by_us(&app.carrier_number(NUMBER).await));

    app.services.recover_pending(Duration::ZERO).await.unwrap();
    let (_, now) = app.get(&tenant, &number_path(&pending)).await;
    assert_eq!(now["status"], "active", "{now}");
    let (_, charges) = app
        .get(
            &tenant,
            &format!(
                "/v1/billing/charges?phone_number_id={}",
                pending["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(charges["total"], 1, "{charges}");
}

#[tokio::test]
async fn a_release_whose_claim_cannot_commit_never_reaches_the_carrier() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant(&["US"], &[]).await;
    let number = bought(&app, &tenant, NUMBER).await;

    app.faults.fail_commits(true);
    let refused = app.delete(&tenant, &number_path(&number)).await;
    app.faults.fail_commits(false);
    assert_error(&refused, 503, "service_unavailable");
    assert!(owned_by_us(&app.carrier_number(NUMBER).await));
    assert_eq!(
        app.get(&tenant, &number_path(&number)).await.1["status"],
        "active"
    );

    let (status, released) = app.delete(&tenant, &number_path(&number)).await;
    assert_eq!((status, &released["status"]), (200, &json!("released")));
}

#[tokio::test]
async fn a_release_whose_last_write_cannot_commit_is_finished_later_and_never_billed_again() {
    let clock = ManualClock::new("2027-03-10T09:00:00Z".parse().unwrap());
    let app = TestApp::spawn_with_clock(Arc::new(clock.clone())).await;
    let tenant = app.tenant(&["US"], &[]).await;
    let number = bought(&app, &tenant, NUMBER).await;
    let path = number_path(&number);
    clock.advance(jiff::SignedDuration::from_hours(1));

    // The intent commits, the carrier releases, our finishing write does not commit.
    app.faults.fail_commits_after(1);
    let refused = app.delete(&tenant, &path).await;
    app.faults.fail_commits(false);
    assert_error(&refused, 503, "service_unavailable");
    assert_eq!(app.carrier_number(NUMBER).await["available"], true);

    // Two renewal dates pass before anything finishes the release: nothing is charged for a
    // number the carrier no longer has.
    clock.advance(jiff::SignedDuration::from_hours(24 * 62));
    app.services.run_renewals().await.unwrap();
    app.services.recover_releases(Duration::ZERO).await.unwrap();
    app.services.run_renewals().await.unwrap();

    let (_, now) = app.get(&tenant, &path).await;
    assert_eq!(now["status"], "released", "{now}");
    assert_eq!(now["released_at"], "2027-03-10T10:00:00.000Z", "{now}");
    let (_, charges) = app
        .get(
            &tenant,
            &format!(
                "/v1/billing/charges?phone_number_id={}",
                number["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(charges["total"], 1, "only the first period: {charges}");
}

#[tokio::test]
async fn ready_reports_a_database_that_cannot_commit_and_health_stays_live() {
    let app = TestApp::spawn().await;
    let get = |path: &'static str| {
        let url = app.url(path);
        let client = app.client.clone();
        async move { crate::helpers::decode(client.get(url).send().await.unwrap()).await }
    };
    assert_eq!(get("/ready").await.0, 200);
    app.faults.fail_commits(true);
    assert_error(&get("/ready").await, 503, "service_unavailable");
    assert_eq!(get("/health").await.0, 200);
    app.faults.fail_commits(false);
    assert_eq!(get("/ready").await, (200, json!({"status": "ready"})));
}
