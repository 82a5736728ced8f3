//! Agents as the official spec has them: a type, versions, and `is_published` respected. The
//! numbers a draft names route live calls only once it is published; `DELETE` answers the
//! spec's `{success, message}`.

use crate::helpers::{TestApp, assert_error};
use crate::lifecycle_helpers::{bought, number_path};
use serde_json::{Value, json};

fn agent_path(agent: &Value) -> String {
    format!("/v1/agents/{}", agent["id"].as_str().unwrap())
}

/// Who the number routes inbound calls to, and who calls out from it.
async fn routing(app: &TestApp, t: &crate::helpers::Tenant, number: &Value) -> (Value, Value) {
    let (_, now) = app.get(t, &number_path(number)).await;
    (now["agent_id"].clone(), now["outbound_agent_id"].clone())
}

#[tokio::test]
async fn a_drafts_numbers_route_only_once_it_is_published() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let one = bought(&app, &t, "+14155552671").await;
    let two = bought(&app, &t, "+14155550123").await;

    // The spec's create request: required title, language, voice and prompt.
    let (status, a) = app
        .post(
            &t,
            "/v1/agents",
            json!({
                "title": "Customer Support Agent", "language_id": "lang_en_in",
                "voice_id": "voice_abc123", "prompt_text": "Be helpful.",
                "agent_type": "Single_Prompt_Agent", "inbound_phone_number_id": one["id"],
            }),
        )
        .await;
    assert_eq!(status, 201, "{a}");
    assert_eq!(a["agent_type"], "Single_Prompt_Agent");
    assert_eq!(a["pipeline_type"], "Cascaded");
    assert_eq!(a["current_version_number"], 1);
    let draft = &a["current_version"];
    assert_eq!(draft["version_number"], 1);
    assert_eq!(draft["is_published"], false);
    assert_eq!(draft["title"], "Customer Support Agent");
    assert_eq!(draft["voice_id"], "voice_abc123");
    assert_eq!(draft["inbound_phone_number_id"], one["id"]);
    assert_eq!(a["versions"].as_array().unwrap().len(), 1);
    assert_eq!(a["inbound_phone_number_id"], Value::Null, "not live: {a}");
    assert_eq!(routing(&app, &t, &one).await.0, Value::Null);

    // Publishing version 1 claims its number for live routing.
    let path = agent_path(&a);
    let (status, live) = app
        .patch(
            &t,
            &path,
            json!({"version_number": 1, "is_published": true}),
        )
        .await;
    assert_eq!(status, 200, "{live}");
    assert_eq!(live["current_version"]["is_published"], true);
    assert_eq!(live["inbound_phone_number_id"], one["id"]);
    assert_eq!(routing(&app, &t, &one).await.0, a["id"]);

    // A published version is not edited in place unless update_deployment says so.
    let refused = app
        .patch(
            &t,
            &path,
            json!({"version_number": 1, "voice_id": "voice_2"}),
        )
        .await;
    assert_error(&refused, 400, "version_published");
    assert!(
        refused.1["message"]
            .as_str()
            .unwrap()
            .contains("version_number 2")
    );
    let (status, deployed) = app
        .patch(
            &t,
            &path,
            json!({"version_number": 1, "voice_id": "voice_2", "update_deployment": true}),
        )
        .await;
    assert_eq!(status, 200, "{deployed}");
    assert_eq!(deployed["current_version"]["voice_id"], "voice_2");

    // Version 2 is a new draft copied from 1: its number waits, version 1 keeps serving.
    let (status, v2) = app
        .patch(
            &t,
            &path,
            json!({"version_number": 2, "inbound_phone_number_id": two["id"], "outbound_phone_number_id": one["id"], "title": "Support v2"}),
        )
        .await;
    assert_eq!(status, 200, "{v2}");
    assert_eq!(v2["current_version_number"], 2);
    assert_eq!(v2["current_version"]["is_published"], false);
    assert_eq!(
        v2["current_version"]["voice_id"], "voice_2",
        "copied from version 1"
    );
    assert_eq!(v2["name"], "Support v2");
    let published: Vec<Value> = v2["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["is_published"].clone())
        .collect();
    assert_eq!(published, [json!(true), json!(false)]);
    assert_eq!(
        routing(&app, &t, &one).await,
        (a["id"].clone(), Value::Null)
    );
    assert_eq!(routing(&app, &t, &two).await.0, Value::Null);

    // Publishing version 2 moves the routing and ends version 1's publication.
    let (status, v2) = app
        .patch(
            &t,
            &path,
            json!({"version_number": 2, "is_published": true}),
        )
        .await;
    assert_eq!(status, 200, "{v2}");
    assert_eq!(v2["versions"][0]["is_published"], false);
    assert_eq!(v2["versions"][1]["is_published"], true);
    assert_eq!(routing(&app, &t, &two).await.0, a["id"]);
    assert_eq!(
        routing(&app, &t, &one).await,
        (Value::Null, a["id"].clone())
    );

    // The spec's "publish while detaching an outbound number".
    let (status, v3) = app
        .patch(
            &t,
            &path,
            json!({"version_number": 3, "is_published": true, "outbound_phone_number_id": ""}),
        )
        .await;
    assert_eq!(status, 200, "{v3}");
    assert_eq!(v3["outbound_phone_number_id"], Value::Null);
    assert_eq!(routing(&app, &t, &one).await, (Value::Null, Value::Null));
    assert_eq!(
        routing(&app, &t, &two).await.0,
        a["id"],
        "inbound unchanged"
    );

    let missing = app.patch(&t, &path, json!({"version_number": 9})).await;
    assert_error(&missing, 404, "not_found");
    assert_eq!(missing.1["field"], "version_number");
    let (_, read) = app.get(&t, &path).await;
    assert_eq!(read["versions"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_draft_naming_a_released_number_cannot_be_published() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let one = bought(&app, &t, "+14155552671").await;
    let (_, a) = app
        .post(
            &t,
            "/v1/agents",
            json!({"title": "Drafty", "inbound_phone_number_id": one["id"]}),
        )
        .await;
    assert_eq!(app.delete(&t, &number_path(&one)).await.0, 200);
    let refused = app
        .patch(
            &t,
            &agent_path(&a),
            json!({"version_number": 1, "is_published": true}),
        )
        .await;
    assert_error(&refused, 409, "phone_number_not_active");
    let (_, read) = app.get(&t, &agent_path(&a)).await;
    assert_eq!(
        read["current_version"]["is_published"], false,
        "nothing changed"
    );
}

#[tokio::test]
async fn agent_types_and_pipelines_are_the_specs() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (status, flow) = app
        .post(
            &t,
            "/v1/agents",
            json!({"title": "Flow", "agent_type": "Conversational_Flow_Agent", "timezone": "Asia/Kolkata"}),
        )
        .await;
    assert_eq!(status, 201, "{flow}");
    assert_eq!(flow["pipeline_type"], Value::Null);
    assert_eq!(flow["timezone"], "Asia/Kolkata");
    let field = |r: &(u16, Value)| r.1["field"].as_str().unwrap_or("").to_owned();
    let r = app
        .post(
            &t,
            "/v1/agents",
            json!({"title": "X", "agent_type": "Robot"}),
        )
        .await;
    assert_error(&r, 400, "invalid_field");
    assert_eq!(field(&r), "agent_type");
    let r = app
        .patch(&t, &agent_path(&flow), json!({"pipeline_type": "Cascaded"}))
        .await;
    assert_error(&r, 400, "invalid_field");
    let r = app
        .patch(
            &t,
            &agent_path(&flow),
            json!({"agent_type": "Single_Prompt_Agent"}),
        )
        .await;
    assert_error(&r, 400, "immutable_field");
    let r = app
        .post(
            &t,
            "/v1/agents",
            json!({"title": "X", "timezone": "Mars/Olympus"}),
        )
        .await;
    assert_error(&r, 400, "invalid_timezone");
    assert_eq!(app.get(&t, "/v1/agents").await.1["total"], 1);
}

#[tokio::test]
async fn delete_answers_the_specs_success_and_message() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (_, a) = app.post(&t, "/v1/agents", json!({"title": "Gone"})).await;
    let (status, body) = app.delete(&t, &agent_path(&a)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], "Agent deleted successfully");
    assert_eq!((&body["id"], &body["deleted"]), (&a["id"], &json!(true)));
    assert_error(&app.get(&t, &agent_path(&a)).await, 404, "not_found");
}
