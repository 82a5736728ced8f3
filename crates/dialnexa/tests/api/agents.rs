//! Agents: their own CRUD, the spec's way of routing numbers to them, and deleting one that
//! numbers still point at.

use crate::helpers::{TestApp, assert_error};
use crate::lifecycle_helpers::{agent, bought, number_path};
use serde_json::{Value, json};

fn agent_path(agent: &Value) -> String {
    format!("/v1/agents/{}", agent["id"].as_str().unwrap())
}

#[tokio::test]
async fn agents_are_created_listed_renamed_and_deleted() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (status, a) = app.post(&t, "/v1/agents", json!({"name": "Support"})).await;
    assert_eq!(status, 201, "{a}");
    assert!(a["id"].as_str().unwrap().starts_with("agt_"), "{a}");
    assert_eq!(a["name"], "Support");
    assert!(a["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(a["inbound_phone_number_id"], Value::Null);
    // The spec calls the name `title`.
    let (status, b) = app.post(&t, "/v1/agents", json!({"title": "Sales"})).await;
    assert_eq!(status, 201, "{b}");
    assert_eq!(b["name"], "Sales");

    let (status, list) = app.get(&t, "/v1/agents").await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["id"], b["id"], "newest first");
    assert_eq!(list["agents"], list["items"], "the spec's `agents` too");
    assert_eq!(
        app.get(&t, "/v1/agents?limit=1&page=2").await.1["items"][0]["id"],
        a["id"]
    );
    assert_error(
        &app.get(&t, "/v1/agents?limit=500").await,
        400,
        "invalid_limit",
    );

    let (status, got) = app.get(&t, &agent_path(&a)).await;
    assert_eq!((status, &got["name"]), (200, &json!("Support")));
    let (status, renamed) = app
        .patch(&t, &agent_path(&a), json!({"name": "Tier 1 support"}))
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["name"], "Tier 1 support");
    assert_eq!(
        app.get(&t, &agent_path(&a)).await.1["name"],
        "Tier 1 support"
    );

    let (status, deleted) = app.delete(&t, &agent_path(&a)).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["deleted"], true);
    assert_error(&app.get(&t, &agent_path(&a)).await, 404, "not_found");
    assert_error(&app.delete(&t, &agent_path(&a)).await, 404, "not_found");
    assert_eq!(app.get(&t, "/v1/agents").await.1["total"], 1);
}

#[tokio::test]
async fn agents_are_validated_and_scoped_to_their_workspace() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let other = app.tenant(&["US"], &[]).await;
    assert_error(
        &app.post(&t, "/v1/agents", json!({})).await,
        400,
        "invalid_name",
    );
    assert_error(
        &app.post(&t, "/v1/agents", json!({"name": "  "})).await,
        400,
        "invalid_name",
    );
    assert_error(
        &app.post(&t, "/v1/agents", json!({"name": "x".repeat(256)}))
            .await,
        400,
        "invalid_name",
    );
    assert_error(
        &app.post(&t, "/v1/agents", json!({"name": 7})).await,
        400,
        "invalid_json",
    );

    let a = agent(&app, &t, "Mine").await;
    assert_error(&app.get(&other, &agent_path(&a)).await, 404, "not_found");
    assert_error(
        &app.patch(&other, &agent_path(&a), json!({"name": "Stolen"}))
            .await,
        404,
        "not_found",
    );
    assert_error(&app.delete(&other, &agent_path(&a)).await, 404, "not_found");
    assert_error(
        &app.get(&t, "/v1/agents/agt_doesnotexist").await,
        404,
        "not_found",
    );
    assert_error(
        &app.get(&t, "/v1/agents/phn_wrongprefix").await,
        404,
        "not_found",
    );
    assert_eq!(app.get(&other, "/v1/agents").await.1["total"], 0);
    assert_eq!(app.get(&t, &agent_path(&a)).await.1["name"], "Mine");
    assert_error(
        &app.patch(&t, &agent_path(&a), json!({"name": ""})).await,
        400,
        "invalid_name",
    );
}

#[tokio::test]
async fn deleting_an_agent_numbers_point_at_is_409_naming_them_unless_detach() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let one = bought(&app, &t, "+14155552671").await;
    let two = bought(&app, &t, "+14155550123").await;
    let a = agent(&app, &t, "Busy").await;
    app.patch(&t, &number_path(&one), json!({"agent_id": a["id"]}))
        .await;
    app.patch(
        &t,
        &number_path(&two),
        json!({"outbound_agent_id": a["id"]}),
    )
    .await;

    let refused = app.delete(&t, &agent_path(&a)).await;
    assert_error(&refused, 409, "agent_in_use");
    let message = refused.1["message"].as_str().unwrap();
    for needle in ["+14155552671", "+14155550123", "detach=true"] {
        assert!(message.contains(needle), "{needle} in {message}");
    }
    assert_eq!(app.get(&t, &agent_path(&a)).await.0, 200, "still there");
    assert_error(
        &app.delete(&t, &format!("{}?detach=maybe", agent_path(&a)))
            .await,
        400,
        "invalid_query",
    );

    let (status, _) = app
        .delete(&t, &format!("{}?detach=true", agent_path(&a)))
        .await;
    assert_eq!(status, 200);
    assert_error(&app.get(&t, &agent_path(&a)).await, 404, "not_found");
    let (_, one_now) = app.get(&t, &number_path(&one)).await;
    let (_, two_now) = app.get(&t, &number_path(&two)).await;
    assert_eq!(one_now["agent_id"], Value::Null);
    assert_eq!(two_now["outbound_agent_id"], Value::Null);
    assert_eq!(
        (one_now["status"].clone(), two_now["status"].clone()),
        (json!("active"), json!("active"))
    );

    // An agent only released numbers pointed at goes without fuss.
    let b = agent(&app, &t, "Retired").await;
    app.patch(&t, &number_path(&one), json!({"agent_id": b["id"]}))
        .await;
    assert_eq!(app.delete(&t, &number_path(&one)).await.0, 200);
    assert_eq!(app.delete(&t, &agent_path(&b)).await.0, 200);
}

#[tokio::test]
async fn the_specs_agent_patch_binds_inbound_and_outbound_numbers() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let other = app.tenant(&["US"], &[]).await;
    let one = bought(&app, &t, "+14155552671").await;
    let two = bought(&app, &t, "+14155550123").await;
    let theirs = bought(&app, &other, "+14155550124").await;
    let a = agent(&app, &t, "Spec client").await;
    let path = agent_path(&a);

    let (status, r) = app
        .patch(&t, &path, json!({"inbound_phone_number_id": one["id"]}))
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["inbound_phone_number_id"], one["id"]);
    assert_eq!(app.get(&t, &number_path(&one)).await.1["agent_id"], a["id"]);

    // Binding another number moves the agent: it has one inbound number.
    let (_, r) = app
        .patch(
            &t,
            &path,
            json!({"inbound_phone_number_id": two["id"], "outbound_phone_number_id": one["id"]}),
        )
        .await;
    assert_eq!(r["inbound_phone_number_id"], two["id"]);
    assert_eq!(r["outbound_phone_number_id"], one["id"]);
    let (_, one_now) = app.get(&t, &number_path(&one)).await;
    assert_eq!(one_now["agent_id"], Value::Null);
    assert_eq!(one_now["outbound_agent_id"], a["id"]);
    assert_eq!(
        app.get(&t, &number_path(&two)).await.1["inbound_agent_id"],
        a["id"]
    );

    // An empty string (or null) detaches; an absent field leaves the binding alone.
    let (_, r) = app
        .patch(
            &t,
            &path,
            json!({"inbound_phone_number_id": "", "name": "Renamed"}),
        )
        .await;
    assert_eq!(r["inbound_phone_number_id"], Value::Null);
    assert_eq!(r["outbound_phone_number_id"], one["id"]);
    assert_eq!(r["name"], "Renamed");
    assert_eq!(
        app.get(&t, &number_path(&two)).await.1["agent_id"],
        Value::Null
    );
    let (_, r) = app
        .patch(&t, &path, json!({"outbound_phone_number_id": null}))
        .await;
    assert_eq!(r["outbound_phone_number_id"], Value::Null);

    assert_error(
        &app.patch(&t, &path, json!({"inbound_phone_number_id": theirs["id"]}))
            .await,
        400,
        "unknown_phone_number",
    );
    assert_error(
        &app.patch(
            &t,
            &path,
            json!({"outbound_phone_number_id": "phn_doesnotexist"}),
        )
        .await,
        400,
        "unknown_phone_number",
    );
    assert_eq!(app.delete(&t, &number_path(&two)).await.0, 200);
    assert_error(
        &app.patch(&t, &path, json!({"inbound_phone_number_id": two["id"]}))
            .await,
        409,
        "phone_number_not_active",
    );
    assert_eq!(
        app.get(&other, &number_path(&theirs)).await.1["agent_id"],
        Value::Null
    );

    // Numbers named at creation wait on the draft until it is published (or route at once
    // with is_published: true); a bad one creates nothing.
    let (status, created) = app
        .post(
            &t,
            "/v1/agents",
            json!({"name": "Born routed", "inbound_phone_number_id": one["id"], "is_published": true}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["inbound_phone_number_id"], one["id"]);
    assert_eq!(created["current_version"]["is_published"], true);
    assert_eq!(
        app.get(&t, &number_path(&one)).await.1["agent_id"],
        created["id"]
    );
    let before = app.get(&t, "/v1/agents").await.1["total"].clone();
    assert_error(
        &app.post(
            &t,
            "/v1/agents",
            json!({"name": "Never", "outbound_phone_number_id": theirs["id"]}),
        )
        .await,
        400,
        "unknown_phone_number",
    );
    assert_eq!(app.get(&t, "/v1/agents").await.1["total"], before);
}
