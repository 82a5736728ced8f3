//! The audit log: every change a workspace's actors make is there, with who (API key or
//! operator, address, request id), what, on which resource and how it ended; only that
//! workspace sees it; filters and pages work; rows past 400 days are deleted by a worker.

use crate::helpers::{Tenant, TestApp, assert_error};
use crate::lifecycle_helpers::{bought, number_path};
use crate::support::eventually;
use dialnexa_service::Clock;
use serde_json::{Value, json};
use std::time::Duration;

const EVENTS: &str = "/v1/audit-events";

/// The workspace's audit rows, oldest first, as `(action, outcome, resource_id)`.
async fn trail(app: &TestApp, t: &Tenant, query: &str) -> Vec<(String, String, String)> {
    let (status, page) = app.get(t, &format!("{EVENTS}?limit=100{query}")).await;
    assert_eq!(status, 200, "{page}");
    let mut rows: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or("").to_owned();
            (s("action"), s("outcome"), s("resource_id"))
        })
        .collect();
    rows.reverse();
    rows
}

fn row(action: &str, outcome: &str, resource: &str) -> (String, String, String) {
    (action.into(), outcome.into(), resource.into())
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

#[tokio::test]
async fn every_change_through_the_api_is_audited_with_its_actor_and_outcome() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let other = app.tenant(&["US"], &[]).await;
    let key = t.key_id.clone().unwrap().to_string();

    // A purchase with the caller's own request id, then one the rules refuse.
    let r = app
        .client
        .post(app.url("/v1/organization-phone-numbers/purchase"))
        .bearer_auth(&t.key)
        .header("x-request-id", "req-audit-1")
        // Through the idempotency layer, which authenticates first: still who and from where.
        .header("Idempotency-Key", "audit-key-1")
        .json(&json!({"phone_number": "+14155552671"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "req-audit-1");
    let (status, one) = crate::helpers::decode(r).await;
    assert_eq!(status, 201, "{one}");
    assert_error(
        &app.buy(&t, "+442071234567").await,
        400,
        "country_not_enabled",
    );
    let two = bought(&app, &t, "+14155550123").await;

    let (status, _) = app
        .patch(&t, &number_path(&one), json!({"nickname": "Sales"}))
        .await;
    assert_eq!(status, 200);
    let default = json!({"phone_number_id": id(&one)});
    assert_eq!(
        app.put(&t, "/v1/workspace/default-phone-number", default)
            .await
            .0,
        200
    );
    let config = json!({"enabled_countries": ["US", "GB"]});
    assert_eq!(
        app.put(&t, "/v1/workspace/telephony-config", config)
            .await
            .0,
        200
    );
    let (status, a) = app
        .post(&t, "/v1/agents", json!({"title": "Support"}))
        .await;
    assert_eq!(status, 201);
    let publish = json!({"version_number": 1, "is_published": true});
    assert_eq!(
        app.patch(&t, &format!("/v1/agents/{}", id(&a)), publish)
            .await
            .0,
        200
    );
    let rename = json!({"name": "Tier 1"});
    assert_eq!(
        app.patch(&t, &format!("/v1/agents/{}", id(&a)), rename)
            .await
            .0,
        200
    );
    assert_eq!(
        app.delete(&t, &format!("/v1/agents/{}", id(&a))).await.0,
        200
    );
    assert_error(
        &app.delete(&t, &format!("/v1/agents/{}", id(&a))).await,
        404,
        "not_found",
    );
    assert_eq!(app.delete(&t, &number_path(&two)).await.0, 200);
    assert_error(
        &app.delete(&t, &number_path(&one)).await,
        409,
        "default_phone_number",
    );
    let trunk = json!({"phoneNumber": "+14155550124", "terminationUri": "sip.example.com:5060",
        "authMode": "userpass", "sipTrunkUserName": "u", "sipTrunkPassword": "s3cret-pass"});
    let (status, linked) = app
        .post(&t, "/v1/organization-phone-numbers/sip-trunks", trunk)
        .await;
    assert_eq!(status, 201, "{linked}");

    let (one, two, a, linked) = (id(&one), id(&two), id(&a), id(&linked));
    assert_eq!(
        trail(&app, &t, "").await,
        [
            row("api_key.create", "success", &key),
            row("phone_number.purchase", "success", &one),
            row("phone_number.purchase", "failure", "+442071234567"),
            row("phone_number.purchase", "success", &two),
            row("phone_number.update", "success", &one),
            row(
                "workspace.default_phone_number.set",
                "success",
                t.id.as_str()
            ),
            row(
                "workspace.telephony_config.update",
                "success",
                t.id.as_str()
            ),
            row("agent.create", "success", &a),
            row("agent.publish", "success", &a),
            row("agent.update", "success", &a),
            row("agent.delete", "success", &a),
            row("agent.delete", "failure", &a),
            row("phone_number.release", "success", &two),
            row("phone_number.release", "failure", &one),
            row("phone_number.sip_trunk_link", "success", &linked),
        ]
    );

    let (_, page) = app.get(&t, &format!("{EVENTS}?limit=100")).await;
    let events = page["items"].as_array().unwrap();
    let first = &events[events.len() - 2];
    assert_eq!(first["actor_type"], "api_key");
    assert_eq!(
        (first["actor_id"].as_str(), first["api_key_id"].as_str()),
        (Some(key.as_str()), Some(key.as_str()))
    );
    assert_eq!(first["ip"], "127.0.0.1");
    assert_eq!(first["request_id"], "req-audit-1");
    assert_eq!(first["detail"]["phone_number"], "+14155552671");
    // Every request through the API has an id; the harness's key, made directly, has none.
    for e in &events[..events.len() - 1] {
        assert!(
            e["request_id"].as_str().is_some_and(|r| !r.is_empty()),
            "{e}"
        );
        assert!(e["occurred_at"].as_str().unwrap().ends_with('Z'), "{e}");
    }
    let refused = &events[events.len() - 3];
    assert_eq!(refused["error_code"], "country_not_enabled", "{refused}");
    assert!(
        !page.to_string().contains("s3cret-pass"),
        "no secret in the log"
    );

    let theirs = other.key_id.clone().unwrap().to_string();
    assert_eq!(
        trail(&app, &other, "").await,
        [row("api_key.create", "success", &theirs)],
        "another workspace sees only its own"
    );
}

#[tokio::test]
async fn operator_actions_are_audited_in_the_workspace_they_touch() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["IN"], &[]).await;
    let admin = |req: reqwest::RequestBuilder| {
        req.bearer_auth("test-admin-token")
            .header("x-request-id", "req-operator")
    };
    let path = format!("/v1/admin/workspaces/{}/api-keys", t.id);
    let r = admin(app.client.post(app.url(&path)))
        .json(&json!({"name": "ci"}))
        .send()
        .await
        .unwrap();
    let (status, key) = crate::helpers::decode(r).await;
    assert_eq!(status, 201, "{key}");
    let path = format!("/v1/admin/workspaces/{}/kyc/IN", t.id);
    let r = admin(app.client.put(app.url(&path)))
        .json(&json!({"status": "approved"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let (_, page) = app.get(&t, &format!("{EVENTS}?actor=admin_token")).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    let kyc = &items[0];
    assert_eq!(
        (kyc["action"].as_str(), kyc["actor_type"].as_str()),
        (Some("kyc.decide"), Some("operator"))
    );
    assert_eq!(
        kyc["detail"],
        json!({"country": "IN", "status": "approved"})
    );
    assert_eq!(kyc["request_id"], "req-operator");
    assert_eq!(kyc["ip"], "127.0.0.1");
    let created = &items[1];
    assert_eq!(created["action"], "api_key.create");
    assert_eq!(created["resource_id"], key["id"]);
    assert!(
        !page.to_string().contains(key["key"].as_str().unwrap()),
        "never the secret"
    );
}

#[tokio::test]
async fn the_log_is_filtered_by_actor_action_resource_and_time_and_paged() {
    // Time moves only when the test says, so "from" falls between two rows for sure.
    let start: jiff::Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
    let clock = std::sync::Arc::new(dialnexa_service::ManualClock::new(start));
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    let t = app.tenant(&["US"], &[]).await;
    let one = id(&bought(&app, &t, "+14155552671").await);
    clock.advance(jiff::SignedDuration::from_secs(60));
    let before_two = clock.now() - jiff::SignedDuration::from_secs(1);
    let two = id(&bought(&app, &t, "+14155550123").await);
    app.patch(
        &t,
        &format!("/v1/organization-phone-numbers/{one}"),
        json!({"label": "x"}),
    )
    .await;

    assert_eq!(trail(&app, &t, &format!("&resource={one}")).await.len(), 2);
    assert_eq!(
        trail(&app, &t, "&action=phone_number.update").await,
        [row("phone_number.update", "success", &one)]
    );
    let key = t.key_id.clone().unwrap();
    assert_eq!(trail(&app, &t, &format!("&actor={key}")).await.len(), 3);
    assert!(trail(&app, &t, "&actor=key_someoneelse").await.is_empty());
    let since = format!("&from={}", before_two);
    assert_eq!(
        trail(&app, &t, &since).await,
        [
            row("phone_number.purchase", "success", &two),
            row("phone_number.update", "success", &one)
        ]
    );
    assert!(
        trail(&app, &t, &format!("&to={}", "2000-01-01T00:00:00Z"))
            .await
            .is_empty()
    );
    let (_, page) = app.get(&t, &format!("{EVENTS}?limit=1&page=2")).await;
    assert_eq!(
        (page["total"].as_u64(), page["page"].as_u64()),
        (Some(4), Some(2))
    );
    assert_eq!(page["items"][0]["resource_id"], two.as_str());
    assert_eq!(
        trail(&app, &t, "&actor=cli").await,
        [row("api_key.create", "success", key.as_str())],
        "the harness made the key as the command line does"
    );
    assert_error(
        &app.get(&t, &format!("{EVENTS}?from=yesterday")).await,
        400,
        "invalid_time",
    );
    assert_error(
        &app.get(&t, &format!("{EVENTS}?limit=0")).await,
        400,
        "invalid_limit",
    );
    let unauthenticated = app.client.get(app.url(EVENTS)).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
}

#[tokio::test]
async fn rows_older_than_400_days_are_deleted_by_the_retention_worker() {
    let start: jiff::Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
    let clock = std::sync::Arc::new(dialnexa_service::ManualClock::new(start));
    let app = TestApp::spawn_configured(clock.clone(), |args| {
        args.audit_prune_interval_ms = 50;
    })
    .await;
    let t = app.tenant(&["US"], &[]).await;
    let old = id(&bought(&app, &t, "+14155552671").await);
    clock.advance(jiff::SignedDuration::from_hours(200 * 24));
    let recent = id(&bought(&app, &t, "+14155550123").await);
    assert_eq!(
        trail(&app, &t, "").await.len(),
        3,
        "the key, and two purchases"
    );
    clock.advance(jiff::SignedDuration::from_hours(201 * 24));
    let left = eventually(Duration::from_secs(20), || async {
        let rows = trail(&app, &t, "").await;
        if rows.len() == 1 {
            Ok(rows)
        } else {
            Err(format!("{rows:?}"))
        }
    })
    .await;
    assert_eq!(left, [row("phone_number.purchase", "success", &recent)]);
    assert_ne!(old, recent);
}
