//! A number's life after purchase: renamed, routed, made the default, released, bought again;
//! the rules of each step, and what the database and the carrier hold afterwards.

use crate::helpers::{Tenant, TestApp, assert_error};
use crate::lifecycle_helpers::{agent, bought, number_path, patched};
use crate::support::eventually;
use dialnexa_service::ManualClock;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// Numbers a search offers this tenant right now.
pub async fn offered(app: &TestApp, t: &Tenant, query: &str, n: usize) -> Vec<String> {
    let (status, body) = app
        .get(
            t,
            &format!("/v1/organization-phone-numbers/available?{query}&limit={n}"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let found: Vec<String> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["phone_number"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(found.len(), n, "{body}");
    found
}

#[tokio::test]
async fn a_number_lives_its_whole_life_through_http() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;

    // Search and buy.
    let number = offered(&app, &t, "country_iso=US&type=local&area_code=415", 1)
        .await
        .remove(0);
    let record = bought(&app, &t, &number).await;
    let path = number_path(&record);

    // Rename: our row and the carrier's friendly name.
    let renamed = patched(
        &app,
        &t,
        &path,
        json!({"nickname": "Front desk", "label": "support"}),
    )
    .await;
    assert_eq!(renamed["nickname"], "Front desk");
    assert_eq!(renamed["label"], "support");
    assert_eq!(
        app.carrier_owned_entry(&number).await.unwrap()["friendly_name"],
        "Front desk"
    );

    // Route it to an agent.
    let bot = agent(&app, &t, "Receptionist").await;
    let routed = patched(&app, &t, &path, json!({"agent_id": bot["id"]})).await;
    assert_eq!(routed["agent_id"], bot["id"]);
    assert_eq!(routed["inbound_agent_id"], bot["id"]);
    assert_eq!(
        routed["nickname"], "Front desk",
        "a partial update keeps the rest"
    );
    let (_, bot_now) = app
        .get(&t, &format!("/v1/agents/{}", bot["id"].as_str().unwrap()))
        .await;
    assert_eq!(bot_now["inbound_phone_number_id"], record["id"]);

    // Make it the workspace default: it cannot be released while it is.
    let (status, ws) = app
        .put(
            &t,
            "/v1/workspace/default-phone-number",
            json!({"phone_number_id": record["id"]}),
        )
        .await;
    assert_eq!(status, 200, "{ws}");
    assert_eq!(ws["default_phone_number_id"], record["id"]);
    let (_, ws) = app.get(&t, "/v1/workspace").await;
    assert_eq!(ws["default_phone_number_id"], record["id"]);
    let refused = app.delete(&t, &path).await;
    assert_error(&refused, 409, "default_phone_number");
    assert!(
        refused.1["message"]
            .as_str()
            .unwrap()
            .contains("/v1/workspace/default-phone-number"),
        "{}",
        refused.1
    );
    assert_eq!(app.get(&t, &path).await.1["status"], "active");
    assert!(
        !app.carrier_number(&number).await["available"]
            .as_bool()
            .unwrap()
    );

    // Unset the default, then release.
    let (status, ws) = app
        .put(
            &t,
            "/v1/workspace/default-phone-number",
            json!({"phone_number_id": null}),
        )
        .await;
    assert_eq!(status, 200, "{ws}");
    assert_eq!(ws["default_phone_number_id"], Value::Null);
    let (status, released) = app.delete(&t, &path).await;
    assert_eq!(status, 200, "{released}");
    assert_eq!(released["status"], "released");
    assert!(released["released_at"].is_string(), "{released}");
    assert_eq!(released["agent_id"], Value::Null, "routing stops");
    assert_eq!(released["next_renewal_at"], Value::Null);

    // The row stays, out of the default list; the carrier has the number on sale again.
    let (_, again) = app.get(&t, &path).await;
    assert_eq!(again["status"], "released");
    let (_, list) = app.get(&t, "/v1/organization-phone-numbers").await;
    assert_eq!(list["total"], 0, "{list}");
    let (_, list) = app
        .get(&t, "/v1/organization-phone-numbers?status=released")
        .await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["id"], record["id"]);
    let carrier = app.carrier_number(&number).await;
    assert_eq!(carrier["available"], true, "{carrier}");
    assert_eq!(carrier["owner"], Value::Null);
    let (_, bot_now) = app
        .get(&t, &format!("/v1/agents/{}", bot["id"].as_str().unwrap()))
        .await;
    assert_eq!(bot_now["inbound_phone_number_id"], Value::Null);

    // A second release does nothing.
    assert_error(&app.delete(&t, &path).await, 404, "not_found");
    assert_eq!(
        app.get(&t, &path).await.1["released_at"],
        again["released_at"]
    );

    // Anyone may buy it now.
    let other = app.tenant(&["US"], &[]).await;
    let rebought = bought(&app, &other, &number).await;
    assert_ne!(rebought["id"], record["id"]);
    assert_eq!(rebought["status"], "active");
}

#[tokio::test]
async fn a_patch_is_partial_and_null_or_empty_clears() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let record = bought(&app, &t, "+14155552671").await;
    let path = number_path(&record);

    let r = patched(
        &app,
        &t,
        &path,
        json!({"nickname": "  Sales  ", "label": "west"}),
    )
    .await;
    assert_eq!(
        (&r["nickname"], &r["label"]),
        (&json!("Sales"), &json!("west"))
    );
    let r = patched(&app, &t, &path, json!({"label": "east"})).await;
    assert_eq!(
        (&r["nickname"], &r["label"]),
        (&json!("Sales"), &json!("east"))
    );
    let r = patched(&app, &t, &path, json!({"nickname": ""})).await;
    assert_eq!(
        (&r["nickname"], &r["label"]),
        (&Value::Null, &json!("east"))
    );
    let r = patched(&app, &t, &path, json!({"label": null})).await;
    assert_eq!(r["label"], Value::Null);
    let r = patched(&app, &t, &path, json!({})).await;
    assert_eq!(r["id"], record["id"]);

    // Clearing the nickname gives the carrier line its number back as its name.
    assert_eq!(
        app.carrier_owned_entry("+14155552671").await.unwrap()["friendly_name"],
        "+14155552671"
    );

    let limit = app
        .patch(&t, &path, json!({"nickname": "x".repeat(256)}))
        .await;
    assert_error(&limit, 400, "invalid_nickname");
    let kept = patched(&app, &t, &path, json!({"nickname": "é".repeat(255)})).await;
    assert_eq!(
        kept["nickname"],
        "é".repeat(255),
        "255 characters, not bytes"
    );
    assert_error(
        &app.patch(&t, &path, json!({"label": "x".repeat(256)}))
            .await,
        400,
        "invalid_label",
    );
    assert_error(
        &app.patch(&t, &path, json!({"nick_name": "typo"})).await,
        400,
        "invalid_json",
    );
    assert_error(
        &app.patch(&t, &path, json!({"nickname": 5})).await,
        400,
        "invalid_json",
    );
    // The refused ones changed nothing.
    assert_eq!(app.get(&t, &path).await.1, kept);
}

#[tokio::test]
async fn routing_to_agents_checks_the_agent_and_detaching_keeps_the_number() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let other = app.tenant(&["US"], &[]).await;
    let record = bought(&app, &t, "+14155552671").await;
    let path = number_path(&record);
    let mine = agent(&app, &t, "Inbound bot").await;
    let caller = agent(&app, &t, "Outbound bot").await;
    let theirs = agent(&app, &other, "Not yours").await;

    for bad in [
        json!({"agent_id": "agt_doesnotexist"}),
        json!({"agent_id": theirs["id"]}),
        json!({"agent_id": "not-an-id"}),
        json!({"outbound_agent_id": theirs["id"]}),
    ] {
        let r = app.patch(&t, &path, bad.clone()).await;
        assert_error(&r, 400, "unknown_agent");
        assert!(
            r.1["message"].as_str().unwrap().contains("agent"),
            "{bad}: {}",
            r.1
        );
    }
    let (_, unrouted) = app.get(&t, &path).await;
    assert_eq!(
        (&unrouted["agent_id"], &unrouted["outbound_agent_id"]),
        (&Value::Null, &Value::Null),
        "refused routing changes nothing"
    );

    // The spec's spelling, and outbound routing.
    let r = patched(
        &app,
        &t,
        &path,
        json!({"inbound_agent_id": mine["id"], "outbound_agent_id": caller["id"]}),
    )
    .await;
    assert_eq!(r["agent_id"], mine["id"]);
    assert_eq!(r["outbound_agent_id"], caller["id"]);
    let (_, listed) = app
        .get(
            &t,
            &format!(
                "/v1/organization-phone-numbers?agent_id={}",
                caller["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(listed["total"], 1, "{listed}");

    // null detaches routing without releasing anything.
    let r = patched(&app, &t, &path, json!({"agent_id": null})).await;
    assert_eq!(r["agent_id"], Value::Null);
    assert_eq!(r["outbound_agent_id"], caller["id"]);
    assert_eq!(r["status"], "active");
    assert!(
        app.carrier_owned_entry("+14155552671").await.is_some(),
        "still ours at the carrier"
    );

    // Another workspace cannot see or change the number.
    assert_error(
        &app.patch(&other, &path, json!({"nickname": "mine now"}))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.patch(
            &t,
            "/v1/organization-phone-numbers/phn_doesnotexist",
            json!({"nickname": "x"}),
        )
        .await,
        404,
        "not_found",
    );
    assert_eq!(app.get(&t, &path).await.1["nickname"], Value::Null);

    // A released number cannot be changed.
    assert_eq!(app.delete(&t, &path).await.0, 200);
    assert_error(
        &app.patch(&t, &path, json!({"nickname": "late"})).await,
        409,
        "phone_number_not_active",
    );
}

#[tokio::test]
async fn a_carrier_failure_does_not_fail_a_rename() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let record = bought(&app, &t, "+14155552671").await;
    app.set_faults(json!({"fail_next": 1, "fail_status": 500}))
        .await;
    let (status, r) = app
        .patch(
            &t,
            &number_path(&record),
            json!({"nickname": "Saved anyway"}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["nickname"], "Saved anyway");
    assert_eq!(
        app.get(&t, &number_path(&record)).await.1["nickname"],
        "Saved anyway"
    );
    // The carrier never heard of the new name, and that is all.
    assert_ne!(
        app.carrier_owned_entry("+14155552671").await.unwrap()["friendly_name"],
        "Saved anyway"
    );
}

#[tokio::test]
async fn the_default_number_must_be_an_active_number_of_the_workspace() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let other = app.tenant(&["US"], &[]).await;
    let record = bought(&app, &t, "+14155552671").await;
    let theirs = bought(&app, &other, "+14155550123").await;
    let put = |body: Value| app.put(&t, "/v1/workspace/default-phone-number", body);

    assert_error(&put(json!({})).await, 400, "missing_field");
    assert_error(
        &put(json!({"phone_number_id": "phn_doesnotexist"})).await,
        400,
        "unknown_phone_number",
    );
    assert_error(
        &put(json!({"phone_number_id": theirs["id"]})).await,
        400,
        "unknown_phone_number",
    );
    assert_error(
        &put(json!({"phone_number_id": "+14155552671"})).await,
        400,
        "unknown_phone_number",
    );
    assert_eq!(
        app.get(&t, "/v1/workspace").await.1["default_phone_number_id"],
        Value::Null
    );

    let (status, ws) = put(json!({"phone_number_id": record["id"]})).await;
    assert_eq!(status, 200, "{ws}");
    assert_eq!(ws["default_phone_number_id"], record["id"]);
    assert_eq!(
        app.get(&other, "/v1/workspace").await.1["default_phone_number_id"],
        Value::Null
    );

    // A released number cannot become the default.
    put(json!({"phone_number_id": null})).await;
    assert_eq!(app.delete(&t, &number_path(&record)).await.0, 200);
    assert_error(
        &put(json!({"phone_number_id": record["id"]})).await,
        409,
        "phone_number_not_active",
    );
}

#[tokio::test]
async fn release_answers_404_for_what_is_not_yours() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let other = app.tenant(&["US"], &[]).await;
    let record = bought(&app, &t, "+14155552671").await;
    assert_error(
        &app.delete(&t, "/v1/organization-phone-numbers/phn_doesnotexist")
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.delete(&t, "/v1/organization-phone-numbers/not-an-id")
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.delete(&other, &number_path(&record)).await,
        404,
        "not_found",
    );
    assert_eq!(
        app.get(&t, &number_path(&record)).await.1["status"],
        "active"
    );
    assert!(app.carrier_owned_entry("+14155552671").await.is_some());
}

#[tokio::test]
async fn a_carrier_that_already_forgot_the_number_still_ends_released() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let record = bought(&app, &t, "+14155552671").await;
    let r = app
        .client
        .post(format!(
            "{}/_emulator/numbers/%2B14155552671/release",
            app.emulator
        ))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let (status, released) = app.delete(&t, &number_path(&record)).await;
    assert_eq!(status, 200, "{released}");
    assert_eq!(released["status"], "released");
    assert_eq!(app.carrier_number("+14155552671").await["available"], true);
}

#[tokio::test]
async fn a_carrier_failure_leaves_the_number_active_and_a_retry_releases_it() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let record = bought(&app, &t, "+14155552671").await;
    let path = number_path(&record);

    app.set_faults(json!({"fail_next": 1, "fail_status": 503}))
        .await;
    assert_error(&app.delete(&t, &path).await, 503, "carrier_unavailable");
    app.set_faults(json!({"fail_next": 1, "fail_status": 401}))
        .await;
    assert_error(&app.delete(&t, &path).await, 502, "carrier_auth_failed");
    // A carrier that answers "no" (a 4xx it means) refuses the release.
    app.set_faults(json!({"fail_next": 1, "fail_status": 400}))
        .await;
    let refused = app.delete(&t, &path).await;
    assert_error(&refused, 502, "carrier_rejected");
    assert!(
        refused.1["message"]
            .as_str()
            .unwrap()
            .contains("still active"),
        "{}",
        refused.1
    );

    // Nothing was lost: still active here and still ours at the carrier.
    let (_, now) = app.get(&t, &path).await;
    assert_eq!(now["status"], "active", "{now}");
    assert_eq!(now["released_at"], Value::Null);
    let carrier = app.carrier_number("+14155552671").await;
    assert_eq!(carrier["available"], false, "{carrier}");

    let (status, released) = app.delete(&t, &path).await;
    assert_eq!(status, 200, "{released}");
    assert_eq!(app.carrier_number("+14155552671").await["available"], true);
}

#[tokio::test]
async fn an_interrupted_release_is_finished_by_the_worker() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let record = bought(&app, &t, "+14155552671").await;
    let id = dialnexa_domain::PhoneNumberId::parse(record["id"].as_str().unwrap()).unwrap();
    // A request saved its intent a minute ago and died before the carrier answered.
    let a_minute_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(60);
    let claim = app
        .services
        .store()
        .claim_release(&t.id, &id, a_minute_ago)
        .await
        .unwrap();
    assert!(
        matches!(claim, dialnexa_store::ReleaseClaim::Claimed(_)),
        "{claim:?}"
    );
    // Meanwhile a second release waits its turn.
    assert_error(
        &app.delete(&t, &number_path(&record)).await,
        409,
        "release_in_progress",
    );

    eventually(Duration::from_secs(20), || async {
        let (_, now) = app.get(&t, &number_path(&record)).await;
        if now["status"] == "released" {
            Ok(())
        } else {
            Err(now)
        }
    })
    .await;
    assert_eq!(app.carrier_number("+14155552671").await["available"], true);
}

#[tokio::test]
async fn release_stops_renewals_and_the_paid_period_runs_out() {
    let clock = ManualClock::new("2027-01-10T09:00:00Z".parse().unwrap());
    let app = TestApp::spawn_with_clock(Arc::new(clock.clone())).await;
    let t = app.tenant(&["US"], &[]).await;
    let kept = bought(&app, &t, "+14155552671").await;
    let gone = bought(&app, &t, "+14155550123").await;

    clock.set("2027-01-20T09:00:00Z".parse().unwrap());
    let (status, released) = app.delete(&t, &number_path(&gone)).await;
    assert_eq!(status, 200, "{released}");
    assert_eq!(released["released_at"], "2027-01-20T09:00:00.000Z");

    clock.set("2027-04-01T00:00:00Z".parse().unwrap());
    app.services.run_renewals().await.unwrap();
    let charges = |id: &Value| {
        let id = id.as_str().unwrap().to_owned();
        let app = &app;
        let t = &t;
        async move {
            app.get(
                t,
                &format!("/v1/billing/charges?phone_number_id={id}&limit=100"),
            )
            .await
            .1["total"]
                .as_u64()
                .unwrap()
        }
    };
    assert_eq!(
        charges(&gone["id"]).await,
        1,
        "only the period paid at purchase"
    );
    assert_eq!(
        charges(&kept["id"]).await,
        3,
        "Jan, Feb and Mar for the number kept"
    );
}

#[tokio::test]
async fn the_list_filters_and_sorts_newest_first() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US", "GB"], &[]).await;
    let us = offered(&app, &t, "country_iso=US&type=local&area_code=212", 2).await;
    let gb = offered(&app, &t, "country_iso=GB&type=mobile", 1).await;
    let first = bought(&app, &t, &us[0]).await;
    let (status, second) = app
        .post(
            &t,
            "/v1/organization-phone-numbers/purchase",
            json!({"phone_number": us[1], "provider": "plivo"}),
        )
        .await;
    assert_eq!(status, 201, "{second}");
    let third = bought(&app, &t, &gb[0]).await;
    let bot = agent(&app, &t, "Router").await;
    app.patch(
        &t,
        &number_path(&first),
        json!({"nickname": "Head Office", "agent_id": bot["id"]}),
    )
    .await;
    app.patch(&t, &number_path(&second), json!({"label": "Campaign-42"}))
        .await;

    let ids = |body: &Value| -> Vec<Value> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].clone())
            .collect()
    };
    let (app_ref, t_ref) = (&app, &t);
    let list = move |q: &str| {
        let path = format!("/v1/organization-phone-numbers?{q}");
        async move { app_ref.get(t_ref, &path).await }
    };
    let (_, all) = list("").await;
    assert_eq!(
        ids(&all),
        [
            third["id"].clone(),
            second["id"].clone(),
            first["id"].clone()
        ],
        "newest first"
    );
    assert_eq!(ids(&list("country_code=gb").await.1), [third["id"].clone()]);
    assert_eq!(ids(&list("type=mobile").await.1), [third["id"].clone()]);
    assert_eq!(ids(&list("provider=plivo").await.1), [second["id"].clone()]);
    assert_eq!(
        ids(&list(&format!("agent_id={}", bot["id"].as_str().unwrap()))
            .await
            .1),
        [first["id"].clone()]
    );
    assert_eq!(ids(&list("q=head%20off").await.1), [first["id"].clone()]);
    assert_eq!(ids(&list("q=campaign").await.1), [second["id"].clone()]);
    let digits = &us[1][5..];
    assert_eq!(
        ids(&list(&format!("q={digits}")).await.1),
        [second["id"].clone()]
    );
    assert_eq!(list("q=nothing-matches").await.1["total"], 0);
    let (_, page2) = list("limit=1&page=2").await;
    assert_eq!(ids(&page2), [second["id"].clone()]);
    assert_eq!(
        (
            page2["total"].clone(),
            page2["page"].clone(),
            page2["limit"].clone()
        ),
        (json!(3), json!(2), json!(1))
    );

    assert_eq!(app.delete(&t, &number_path(&third)).await.0, 200);
    assert_eq!(list("").await.1["total"], 2);
    assert_eq!(ids(&list("status=released").await.1), [third["id"].clone()]);
    assert_eq!(list("status=active").await.1["total"], 2);

    for (q, code) in [
        ("status=gone", "invalid_status"),
        ("country_code=XX", "invalid_country"),
        ("type=premium", "invalid_type"),
        ("provider=vonage", "invalid_provider"),
        ("limit=101", "invalid_limit"),
        ("limit=0", "invalid_limit"),
        ("page=0", "invalid_page"),
        ("page=-1", "invalid_page"),
    ] {
        assert_error(&list(q).await, 400, code);
    }
}

#[tokio::test]
async fn concurrent_releases_release_once() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let record = bought(&app, &t, "+14155552671").await;
    let path = number_path(&record);
    let attempts = (0..8).map(|_| app.delete(&t, &path));
    let results = futures::future::join_all(attempts).await;
    let released: Vec<_> = results.iter().filter(|r| r.0 == 200).collect();
    assert_eq!(released.len(), 1, "{results:?}");
    for r in results.iter().filter(|r| r.0 != 200) {
        // Either still in progress when it looked, or already released.
        assert!(
            (r.0 == 409 && r.1["code"] == "release_in_progress")
                || (r.0 == 404 && r.1["code"] == "not_found"),
            "{r:?}"
        );
    }
    let events = app
        .raw_texts("SELECT event_type FROM outbox WHERE event_type = 'phone_number.released'")
        .await;
    assert_eq!(events.len(), 1, "one release, one event");
    assert_eq!(app.carrier_number("+14155552671").await["available"], true);
}
