//! Hostile input gets clean answers (issue 15): NUL bytes, JSON arrays as bodies, LIKE
//! wildcards, control characters in dashboard redirects, `nosniff` on every answer, and SIP
//! trunks pointed at the platform's own network. On SQLite and PostgreSQL alike.

use crate::browser::Browser;
use crate::helpers::{TestApp, assert_error};
use crate::lifecycle_helpers::{bought, number_path};
use serde_json::{Value, json};

const ADMIN: &str = "test-admin-token";

async fn admin_post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(ADMIN)
        .json(&body)
        .send()
        .await
        .unwrap();
    crate::helpers::decode(r).await
}

#[track_caller]
fn assert_field(resp: &(u16, Value), code: &str, field: &str) {
    assert_error(resp, 400, code);
    assert_eq!(resp.1["field"], field, "{}", resp.1);
}

#[tokio::test]
async fn nul_bytes_are_refused_with_the_field_they_are_in() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let record = bought(&app, &t, "+14155552671").await;
    let list = "/v1/organization-phone-numbers";

    for (query, field) in [
        ("q=%00", "q"),
        ("q=ab%00cd", "q"),
        ("agent_id=%00", "agent_id"),
        ("agent_id=agt_x%00", "agent_id"),
    ] {
        let r = app.get(&t, &format!("{list}?{query}")).await;
        assert_field(&r, "invalid_characters", field);
    }
    let r = app
        .get(&t, &format!("{list}/available?country_iso=US&region=C%00A"))
        .await;
    assert_field(&r, "invalid_characters", "region");

    let r = admin_post(&app, "/v1/admin/workspaces", json!({"name": "Acme\u{0}"})).await;
    assert_field(&r, "invalid_characters", "name");
    let path = format!("/v1/admin/workspaces/{}/api-keys", t.id);
    let r = admin_post(&app, &path, json!({"name": "ci\u{0}key"})).await;
    assert_field(&r, "invalid_characters", "name");

    let r = app.post(&t, "/v1/agents", json!({"name": "a\u{0}"})).await;
    assert_field(&r, "invalid_name", "name");
    let r = app
        .request(
            reqwest::Method::PATCH,
            &t,
            &number_path(&record),
            Some(json!({"nickname": "x\u{0}y"})),
        )
        .await;
    assert_field(&r, "invalid_nickname", "nickname");

    // Nothing was stored: the workspace list and the key list are as they were.
    let caller = app.services.authenticate(&t.key).await.unwrap();
    assert_eq!(app.services.list_api_keys(&caller).await.unwrap().len(), 1);
    assert_eq!(app.services.list_workspaces().await.unwrap().len(), 1);

    // The dashboard's forms say so on the page, beside the field.
    let (mut b, token) = Browser::signed_in(&app, &t).await;
    let page = b
        .post("/dashboard/agents", &[("csrf", &token), ("name", "a\0b")])
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    page.assert_html();
    let page = b
        .post(
            "/dashboard/settings/keys",
            &[("csrf", &token), ("name", "k\0")],
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    page.assert_html();
    // The table shows the error beside the filters, and what it can without that filter.
    let page = b.get("/dashboard/numbers?q=%00").await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_html();
    assert!(page.body.contains("q must not contain a NUL character"));
    assert_eq!(app.services.list_api_keys(&caller).await.unwrap().len(), 1);
}

#[tokio::test]
async fn only_a_json_object_is_a_request_body() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let number = "+14155552672";

    let r = app
        .request(
            reqwest::Method::POST,
            &t,
            "/v1/organization-phone-numbers/purchase",
            Some(json!([number, null, null])),
        )
        .await;
    assert_error(&r, 400, "invalid_json");
    assert!(r.1["message"].as_str().unwrap().contains("JSON object"));
    // Nothing bought, nothing held.
    assert_eq!(app.carrier_number(number).await["available"], true);
    let (_, list) = app.get(&t, "/v1/organization-phone-numbers").await;
    assert_eq!(list["total"], 0, "{list}");

    let record = bought(&app, &t, number).await;
    let r = app
        .request(
            reqwest::Method::PATCH,
            &t,
            &number_path(&record),
            Some(json!(["a", "b"])),
        )
        .await;
    assert_error(&r, 400, "invalid_json");
    let (_, got) = app.get(&t, &number_path(&record)).await;
    assert_eq!(
        (&got["nickname"], &got["label"]),
        (&Value::Null, &Value::Null)
    );

    for body in [json!(["Acme"]), json!("Acme"), json!(7), json!(null)] {
        let r = admin_post(&app, "/v1/admin/workspaces", body).await;
        assert_error(&r, 400, "invalid_json");
    }
    let r = app.post(&t, "/v1/agents", json!(["Reception"])).await;
    assert_error(&r, 400, "invalid_json");
    // An object still works, with whitespace before it.
    let r = app
        .client
        .post(app.url("/v1/agents"))
        .bearer_auth(&t.key)
        .header("content-type", "application/json")
        .body("  \n {\"name\": \"Reception\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn like_wildcards_in_q_match_themselves() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let sale = bought(&app, &t, "+14155552673").await;
    bought(&app, &t, "+14155552674").await;
    let r = app
        .request(
            reqwest::Method::PATCH,
            &t,
            &number_path(&sale),
            Some(json!({"nickname": "50%_off"})),
        )
        .await;
    assert_eq!(r.0, 200, "{}", r.1);

    let total = |query: &'static str| {
        let app = &app;
        let t = &t;
        async move {
            let (status, list) = app
                .get(t, &format!("/v1/organization-phone-numbers?q={query}"))
                .await;
            assert_eq!(status, 200, "{list}");
            list["total"].as_u64().unwrap()
        }
    };
    assert_eq!(total("%25").await, 1, "q=% matches the nickname with a %");
    assert_eq!(total("_").await, 1, "q=_ matches the nickname with an _");
    assert_eq!(total("%25_").await, 1);
    assert_eq!(total("%25%25").await, 0);
    assert_eq!(total("__").await, 0);
    assert_eq!(total("%5C").await, 0, "a backslash is no escape either");
    assert_eq!(total("41555").await, 2);
}

#[tokio::test]
async fn every_answer_says_nosniff() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let get = |path: &'static str, key: Option<&str>| {
        let mut req = app.client.get(app.url(path));
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        req.send()
    };
    for (path, key, status) in [
        ("/health", None, 200),
        ("/openapi.json", None, 200),
        ("/v1/organization-phone-numbers", Some(t.key.as_str()), 200),
        ("/v1/organization-phone-numbers", None, 401),
        (
            "/v1/organization-phone-numbers/phn_nothere",
            Some(&t.key),
            404,
        ),
        ("/v1/nowhere", None, 404),
        ("/dashboard/sign-in", None, 200),
    ] {
        let r = get(path, key).await.unwrap();
        assert_eq!(r.status(), status, "{path}");
        assert_eq!(
            r.headers().get("x-content-type-options").unwrap(),
            "nosniff",
            "{path}"
        );
    }
}

#[tokio::test]
async fn dashboard_redirects_refuse_control_characters() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (mut b, token) = Browser::signed_in(&app, &t).await;

    // Clearing the default "of" a number whose id is a newline used to redirect to it.
    let page = b
        .post(
            "/dashboard/numbers/%0A/default",
            &[("csrf", &token), ("action", "clear")],
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    page.assert_html();
    let page = b.get("/dashboard/numbers/phn_%00abc").await;
    assert_eq!(page.status, 400, "{}", page.body);
    page.assert_html();

    // Signed in, the sign-in page sends you to `next`: one with a control character is refused.
    let page = b
        .get("/dashboard/sign-in?next=/dashboard/agents%0D%0AX:1")
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    page.assert_html();

    let mut stranger = Browser::new(&app);
    let form = stranger.get("/dashboard/sign-in").await;
    let page = stranger
        .post(
            "/dashboard/sign-in",
            &[
                ("api_key", &t.key),
                ("csrf", &form.csrf()),
                ("next", "/dashboard/numbers\r\nSet-Cookie: x=1"),
            ],
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    page.assert_html();
    // A plain `next` still works.
    let ok = b.get("/dashboard/sign-in?next=/dashboard/agents").await;
    assert_eq!(
        (ok.status, ok.location.as_deref()),
        (303, Some("/dashboard/agents"))
    );
}

#[tokio::test]
async fn sip_trunks_on_the_platforms_own_network_are_refused_unless_allowed() {
    let link = |number: &str, uri: &str| json!({"phoneNumber": number, "terminationUri": uri, "authMode": "ip"});
    let path = "/v1/organization-phone-numbers/sip-trunks";
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    for uri in [
        "127.0.0.1",
        "127.0.0.1:5060",
        "[::1]:5060",
        "169.254.169.254",
        "10.0.0.7:5060",
        "192.168.1.20",
        "[fd00:ec2::254]",
        "[::ffff:127.0.0.1]",
        "sip.localhost",
        "metadata.google.internal",
    ] {
        let r = app.post(&t, path, link("+14155552675", uri)).await;
        assert_field(&r, "private_termination_uri", "terminationUri");
    }
    let (_, list) = app.get(&t, "/v1/organization-phone-numbers").await;
    assert_eq!(list["total"], 0, "{list}");
    let r = app
        .post(&t, path, link("+14155552675", "trunk.example.com:5060"))
        .await;
    assert_eq!(r.0, 201, "{}", r.1);

    let allowed = TestApp::spawn_with(|a| a.guards.sip_allow_private = true).await;
    let t = allowed.tenant(&["US"], &[]).await;
    let r = allowed
        .post(&t, path, link("+14155552676", "10.0.0.7:5060"))
        .await;
    assert_eq!(r.0, 201, "{}", r.1);
    assert_eq!(r.1["sip_trunk"]["termination_uri"], "10.0.0.7:5060");
}
