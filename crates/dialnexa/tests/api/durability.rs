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

/// An operator's request with the admin token.
async fn as_operator(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let r = app
        .client
        .request(method, app.url(path))
        .bearer_auth("test-admin-token")
        .json(&body)
        .send()
        .await
        .unwrap();
    crate::helpers::decode(r).await
}

#[tokio::test]
async fn agent_trunk_and_operator_writes_answer_503_and_change_nothing_while_commits_fail() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant(&["US"], &[]).await;
    let (status, agent) = app
        .post(&tenant, "/v1/agents", json!({"name": "Ava"}))
        .await;
    assert_eq!(status, 201, "{agent}");
    let agent_path = format!("/v1/agents/{}", agent["id"].as_str().unwrap());
    let trunk = json!({
        "phoneNumber": "+14155552671",
        "terminationUri": "31974861099010243.zt.plivo.com:5060",
        "authMode": "userpass",
        "sipTrunkUserName": "sip-user",
        "sipTrunkPassword": "Pl41nT3xt-Never-Stored",
    });
    let keys = format!("/v1/admin/workspaces/{}/api-keys", tenant.id);
    let kyc = format!("/v1/admin/workspaces/{}/kyc/IN", tenant.id);
    use reqwest::Method;

    app.faults.fail_commits(true);
    let renamed = app
        .request(
            Method::PATCH,
            &tenant,
            &agent_path,
            Some(json!({"name": "Bea"})),
        )
        .await;
    assert_error(&renamed, 503, "service_unavailable");
    let deleted = app
        .request(Method::DELETE, &tenant, &agent_path, None)
        .await;
    assert_error(&deleted, 503, "service_unavailable");
    let linked = app
        .post(
            &tenant,
            "/v1/organization-phone-numbers/sip-trunks",
            trunk.clone(),
        )
        .await;
    assert_error(&linked, 503, "service_unavailable");
    let workspace = as_operator(
        &app,
        Method::POST,
        "/v1/admin/workspaces",
        json!({"name": "Lost"}),
    )
    .await;
    assert_error(&workspace, 503, "service_unavailable");
    let key = as_operator(&app, Method::POST, &keys, json!({"name": "ci"})).await;
    assert_error(&key, 503, "service_unavailable");
    let decision = as_operator(&app, Method::PUT, &kyc, json!({"status": "approved"})).await;
    assert_error(&decision, 503, "service_unavailable");
    app.faults.fail_commits(false);

    // Nothing of it happened: the agent keeps its name, the number is not linked, no
    // workspace "Lost" exists, and India still needs its KYC decision.
    let (status, now) = app.get(&tenant, &agent_path).await;
    assert_eq!((status, &now["name"]), (200, &json!("Ava")), "{now}");
    let (_, numbers) = app.get(&tenant, "/v1/organization-phone-numbers").await;
    assert_eq!(numbers["total"], 0, "{numbers}");
    let (_, workspaces) = as_operator(&app, Method::GET, "/v1/admin/workspaces", json!({})).await;
    assert!(!workspaces.to_string().contains("Lost"), "{workspaces}");
    let (_, decisions) = app.get(&tenant, "/v1/workspace/kyc").await;
    assert!(!decisions.to_string().contains("approved"), "{decisions}");
    // And each goes through once the database commits again.
    let linked = app
        .post(&tenant, "/v1/organization-phone-numbers/sip-trunks", trunk)
        .await;
    assert_eq!(linked.0, 201, "{}", linked.1);
    let (status, _) = as_operator(&app, Method::POST, &keys, json!({"name": "ci"})).await;
    assert_eq!(status, 201);
}
