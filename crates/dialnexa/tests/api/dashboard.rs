//! The dashboard over real HTTP, as a browser without JavaScript uses it: sessions, CSRF
//! refusals, each form's outcome, and what the JSON API says afterwards.

use crate::browser::Browser;
use crate::helpers::{Tenant, TestApp};
use serde_json::Value;

const SEED_NUMBER: &str = "+912234567890";

/// The JSON API's record of a number.
async fn api(app: &TestApp, t: &Tenant, id: &str) -> Value {
    let path = format!("/v1/organization-phone-numbers/{id}");
    app.get(t, &path).await.1
}

async fn numbers(app: &TestApp, t: &Tenant) -> Value {
    let (status, list) = app.get(t, "/v1/organization-phone-numbers").await;
    assert_eq!(status, 200, "{list}");
    list
}

#[tokio::test]
async fn pages_send_visitors_without_a_session_to_sign_in() {
    let app = TestApp::spawn().await;
    let mut b = Browser::new(&app);
    let r = b.get("/dashboard/numbers?status=active").await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.location.as_deref(),
        Some("/dashboard/sign-in?next=%2Fdashboard%2Fnumbers%3Fstatus%3Dactive")
    );
    let r = b.get("/dashboard").await;
    assert_eq!(r.status, 303);
    // A stale or made-up cookie is no session either, and is cleared.
    b.cookies
        .insert("dnx_session".into(), "dnx_live_notarealkey".into());
    let r = b.get("/dashboard/agents").await;
    assert_eq!(r.status, 303);
    assert!(r.location.unwrap().contains("notice=session_expired"));
    assert!(!b.cookies.contains_key("dnx_session"));
    // Unknown dashboard paths answer a page, not the API's JSON.
    let r = b.get("/dashboard/nowhere").await;
    assert_eq!(r.status, 404);
    r.assert_html();
}

#[tokio::test]
async fn sign_in_keeps_the_key_in_an_http_only_strict_cookie_and_sign_out_ends_it() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let mut b = Browser::new(&app);

    let wrong = b.sign_in("dnx_live_wrongwrongwrongwrongwrongwrong12").await;
    assert_eq!(wrong.status, 401);
    wrong.assert_html();
    assert!(
        wrong.body.contains("This API key is not valid"),
        "{}",
        wrong.body
    );
    assert!(!b.cookies.contains_key("dnx_session"));

    let ok = b.sign_in(&t.key).await;
    assert_eq!(ok.status, 303);
    assert_eq!(ok.location.as_deref(), Some("/dashboard/numbers"));
    let cookie = ok
        .set_cookies
        .iter()
        .find(|c| c.starts_with("dnx_session="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/dashboard"] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing in {cookie}"
        );
    }

    let page = b.get("/dashboard/numbers").await;
    assert_eq!(page.status, 200);
    page.assert_html();
    assert!(
        !page.body.contains(&t.key),
        "the key must never appear in a page"
    );
    assert!(page.body.contains("No phone numbers yet"));

    let out = b
        .post("/dashboard/sign-out", &[("csrf", &page.csrf())])
        .await;
    assert_eq!(out.status, 303);
    assert!(!b.cookies.contains_key("dnx_session"));
    assert_eq!(b.get("/dashboard/numbers").await.status, 303);
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US", "IN"], &["IN"]).await;
    let other = app.tenant(&["US"], &[]).await;
    let (mut b, token) = Browser::signed_in(&app, &t).await;
    let (_, other_token) = Browser::signed_in(&app, &other).await;

    // Signing in: without the form's own token (a login CSRF), nothing is set.
    let mut stranger = Browser::new(&app);
    let r = stranger
        .post(
            "/dashboard/sign-in",
            &[("api_key", &t.key), ("csrf", "forged")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(!stranger.cookies.contains_key("dnx_session"));

    // Buying: missing, empty, forged and another session's token are all refused.
    for bad in [None, Some(""), Some("00ff"), Some(other_token.as_str())] {
        let mut form = vec![("phone_number", SEED_NUMBER)];
        if let Some(bad) = bad {
            form.push(("csrf", bad));
        }
        let r = b.post("/dashboard/buy", &form).await;
        assert_eq!(r.status, 403, "token {bad:?}");
        r.assert_html();
        assert!(r.body.contains("This form was not accepted"));
    }
    assert_eq!(numbers(&app, &t).await["total"], 0, "nothing was bought");

    // The same form with the page's token goes through.
    let r = b
        .post(
            "/dashboard/buy",
            &[("phone_number", SEED_NUMBER), ("csrf", &token)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let list = numbers(&app, &t).await;
    assert_eq!(list["total"], 1);
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, agent) = app
        .post(&t, "/v1/agents", serde_json::json!({"name": "Reception"}))
        .await;
    assert_eq!(status, 201, "{agent}");
    let agent = agent["id"].as_str().unwrap().to_owned();
    let spare = app
        .services
        .create_api_key(&crate::helpers::operator(), &t.id, "spare")
        .await
        .unwrap();
    let spare = spare.key.id.to_string();

    // Every other form refuses too, and changes nothing.
    let refused = [
        format!("/dashboard/numbers/{id}/edit"),
        format!("/dashboard/numbers/{id}/routing"),
        format!("/dashboard/numbers/{id}/default"),
        format!("/dashboard/numbers/{id}/release"),
        "/dashboard/agents".to_owned(),
        format!("/dashboard/agents/{agent}"),
        format!("/dashboard/agents/{agent}/delete"),
        "/dashboard/settings/telephony".to_owned(),
        "/dashboard/settings/default-number".to_owned(),
        "/dashboard/settings/keys".to_owned(),
        format!("/dashboard/settings/keys/{spare}/revoke"),
        "/dashboard/sign-out".to_owned(),
    ];
    for path in &refused {
        for token in [Some(other_token.as_str()), Some("forged"), None] {
            let mut form = vec![("nickname", "Hijacked"), ("name", "Evil")];
            if let Some(token) = token {
                form.push(("csrf", token));
            }
            let r = b.post(path, &form).await;
            assert_eq!(r.status, 403, "{path} with token {token:?}");
        }
    }
    let (_, one) = app
        .get(&t, &format!("/v1/organization-phone-numbers/{id}"))
        .await;
    assert_eq!(one["status"], "active");
    assert_eq!(one["nickname"], Value::Null);
    let (_, workspace) = app.get(&t, "/v1/workspace").await;
    assert_eq!(workspace["default_phone_number_id"], Value::Null);
    let (_, agents) = app.get(&t, "/v1/agents").await;
    assert_eq!(agents["total"], 1, "no agent created or deleted: {agents}");
    assert_eq!(agents["items"][0]["name"], "Reception", "nor renamed");
    let caller = app.services.authenticate(&t.key).await.unwrap();
    let keys = app.services.list_api_keys(&caller).await.unwrap();
    assert_eq!(keys.len(), 2, "no key created: {keys:?}");
    assert!(
        keys.iter().all(|k| k.revoked_at.is_none()),
        "none revoked: {keys:?}"
    );
    // And the session survived the refused sign-out.
    assert_eq!(b.get("/dashboard/numbers").await.status, 200);
}

#[tokio::test]
async fn buy_rename_route_and_release_through_the_forms() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US", "GB", "IN"], &["IN"]).await;
    let (mut b, _) = Browser::signed_in(&app, &t).await;

    // Search, then the confirmation states the price and that billing starts today.
    let results = b
        .get("/dashboard/buy?country=IN&type=local&contains=2234567890")
        .await;
    assert_eq!(results.status, 200);
    assert!(
        results.body.contains("+91 22 3456 7890"),
        "{}",
        results.body
    );
    assert!(results.body.contains("$1.15/month"));
    let confirm = b
        .get("/dashboard/buy/confirm?phone_number=%2B912234567890&provider=twilio&country=IN")
        .await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Billing starts today"));
    assert!(
        confirm
            .body
            .contains("$1.15 is charged now for the first month")
    );

    let bought = b
        .post(
            "/dashboard/buy",
            &[
                ("csrf", &confirm.csrf()),
                ("phone_number", SEED_NUMBER),
                ("provider", "twilio"),
            ],
        )
        .await;
    assert_eq!(bought.status, 303, "{}", bought.body);
    let detail_path = bought.location.unwrap();
    let detail = b.get(&detail_path).await;
    assert!(detail.body.contains("Number bought"));
    assert!(detail.body.contains("+91 22 3456 7890"));
    let id = detail_path
        .trim_start_matches("/dashboard/numbers/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(api(&app, &t, &id).await["status"], "active");

    // Rename; a refused value is shown next to its field and keeps what was typed.
    let token = detail.csrf();
    let long = "x".repeat(300);
    let refused = b
        .post(
            &format!("/dashboard/numbers/{id}/edit"),
            &[("csrf", &token), ("nickname", &long), ("label", "")],
        )
        .await;
    assert_eq!(refused.status, 400);
    refused.assert_html();
    assert!(
        refused.body.contains(r#"id="nickname-error""#),
        "{}",
        refused.body
    );
    let saved = b
        .post(
            &format!("/dashboard/numbers/{id}/edit"),
            &[
                ("csrf", &token),
                ("nickname", "Mumbai sales"),
                ("label", "Tier 1"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    let one = api(&app, &t, &id).await;
    assert_eq!(one["nickname"], "Mumbai sales");
    assert_eq!(one["label"], "Tier 1");
    let table = b.get("/dashboard/numbers").await;
    assert!(table.body.contains("Mumbai sales"));
    // Selectors show the nickname too.
    let settings = b.get("/dashboard/settings").await;
    assert!(
        settings.body.contains("Mumbai sales — +91 22 3456 7890"),
        "{}",
        settings.body
    );

    // An agent, routed to from the number's page.
    let created = b
        .post(
            "/dashboard/agents",
            &[("csrf", &token), ("name", "Reception")],
        )
        .await;
    assert_eq!(created.status, 303);
    let agents_page = b.get("/dashboard/agents").await;
    assert!(agents_page.body.contains("Reception"));
    let caller = app.services.authenticate(&t.key).await.unwrap();
    let (agents, _) = app
        .services
        .list_agents(&caller, dialnexa_service::Page { page: 1, limit: 10 })
        .await
        .unwrap();
    let agent = agents[0].id.to_string();
    let routed = b
        .post(
            &format!("/dashboard/numbers/{id}/routing"),
            &[
                ("csrf", &token),
                ("inbound_agent_id", &agent),
                ("outbound_agent_id", ""),
            ],
        )
        .await;
    assert_eq!(routed.status, 303);
    assert_eq!(api(&app, &t, &id).await["inbound_agent_id"], agent.as_str());
    let table = b.get("/dashboard/numbers").await;
    assert!(table.body.contains("<td>Reception</td>"), "{}", table.body);

    // An agent in use is not deleted; the page names the number and offers to detach.
    let in_use = b
        .post(
            &format!("/dashboard/agents/{agent}/delete"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(in_use.status, 409);
    assert!(in_use.body.contains("Detach its numbers and delete"));

    // Default, then release is refused until the default is cleared.
    let made_default = b
        .post(
            &format!("/dashboard/numbers/{id}/default"),
            &[("csrf", &token), ("action", "set")],
        )
        .await;
    assert_eq!(made_default.status, 303);
    let confirm = b.get(&format!("/dashboard/numbers/{id}/release")).await;
    assert!(confirm.body.contains("Routing stops now"));
    assert!(
        confirm
            .body
            .contains("Billing stops at the end of the paid period")
    );
    assert!(confirm.body.contains("Reception"));
    let refused = b
        .post(
            &format!("/dashboard/numbers/{id}/release"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(refused.status, 409);
    refused.assert_html();
    assert!(refused.body.contains("default number"));
    assert_eq!(api(&app, &t, &id).await["status"], "active");
    let cleared = b
        .post(
            &format!("/dashboard/numbers/{id}/default"),
            &[("csrf", &token), ("action", "clear")],
        )
        .await;
    assert_eq!(cleared.status, 303);

    let released = b
        .post(
            &format!("/dashboard/numbers/{id}/release"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(released.status, 303, "{}", released.body);
    let after = b.get(&released.location.unwrap()).await;
    assert!(after.body.contains("Number released"));
    assert!(after.body.contains("Paid period ends"));
    let one = api(&app, &t, &id).await;
    assert_eq!(one["status"], "released");
    assert_eq!(app.carrier_number(SEED_NUMBER).await["available"], true);
    assert_eq!(numbers(&app, &t).await["total"], 0);
}

#[tokio::test]
async fn kyc_and_country_refusals_are_explained_where_the_buy_button_was() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US", "GB", "IN"], &["IN"]).await;
    let (mut b, token) = Browser::signed_in(&app, &t).await;

    let results = b.get("/dashboard/buy?country=US&type=toll_free").await;
    assert_eq!(results.status, 200);
    assert!(results.body.contains("KYC needed"));
    assert!(results.body.contains(r#"href="/dashboard/settings#kyc""#));
    assert!(
        !results.body.contains("/dashboard/buy/confirm"),
        "no Buy button"
    );

    let de = b.get("/dashboard/buy?country=DE&type=local").await;
    assert!(de.body.contains("Country not enabled"));
    assert!(de.body.contains(r#"href="/dashboard/settings#telephony""#));

    let refused = b
        .post(
            "/dashboard/buy",
            &[
                ("csrf", &token),
                ("phone_number", "+18002000000"),
                ("provider", "twilio"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    refused.assert_html();
    assert!(
        refused.body.contains("require approved KYC"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("See this workspace&#39;s KYC status")
            || refused.body.contains("See this workspace's KYC status")
    );
    assert_eq!(numbers(&app, &t).await["total"], 0);
}

#[tokio::test]
async fn a_number_taken_after_the_search_shows_fresh_results() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (mut b, token) = Browser::signed_in(&app, &t).await;
    let results = b
        .get("/dashboard/buy?country=US&type=local&area_code=415")
        .await;
    let marker = "phone_number=%2B";
    let start = results.body.find(marker).expect("a Buy link") + marker.len();
    let digits: String = results.body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let number = format!("+{digits}");
    app.carrier_take(&number).await;

    let r = b
        .post(
            "/dashboard/buy",
            &[
                ("csrf", &token),
                ("phone_number", &number),
                ("provider", "twilio"),
                ("ctx_country", "US"),
                ("ctx_type", "local"),
                ("ctx_area_code", "415"),
            ],
        )
        .await;
    assert_eq!(r.status, 409);
    r.assert_html();
    assert!(r.body.contains("Someone else just took"));
    assert!(r.body.contains("Numbers still available"));
    assert!(
        r.body.contains("/dashboard/buy/confirm?phone_number="),
        "fresh Buy buttons"
    );
    assert_eq!(numbers(&app, &t).await["total"], 0);
}

#[tokio::test]
async fn every_page_renders_and_another_workspaces_number_is_not_found() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US", "GB", "IN"], &["IN"]).await;
    let other = app.tenant(&["US"], &[]).await;
    let (status, bought) = app.buy(&t, SEED_NUMBER).await;
    assert_eq!(status, 201, "{bought}");
    let id = bought["id"].as_str().unwrap();
    let (mut b, _) = Browser::signed_in(&app, &t).await;
    for path in [
        "/dashboard/numbers".to_owned(),
        "/dashboard/numbers?country=IN&status=active&q=2234".to_owned(),
        format!("/dashboard/numbers/{id}"),
        format!("/dashboard/numbers/{id}/release"),
        "/dashboard/buy".to_owned(),
        "/dashboard/agents".to_owned(),
        "/dashboard/settings".to_owned(),
    ] {
        let r = b.get(&path).await;
        assert_eq!(r.status, 200, "{path}");
        r.assert_html();
        assert!(r.body.contains("<h1>"), "{path}");
    }
    let filtered = b.get("/dashboard/numbers?country=GB").await;
    assert!(filtered.body.contains("No numbers match"));

    let (mut intruder, _) = Browser::signed_in(&app, &other).await;
    for path in [
        format!("/dashboard/numbers/{id}"),
        format!("/dashboard/numbers/{id}/release"),
    ] {
        let r = intruder.get(&path).await;
        assert_eq!(r.status, 404, "{path}");
        r.assert_html();
        assert!(!r.body.contains(SEED_NUMBER) && !r.body.contains("+91 22 3456 7890"));
    }
}

#[tokio::test]
async fn the_numbers_table_pages_through_many_numbers() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (status, found) = app
        .get(
            &t,
            "/v1/organization-phone-numbers/available?country_iso=US&type=local&limit=30",
        )
        .await;
    assert_eq!(status, 200, "{found}");
    let items = found["items"].as_array().unwrap();
    assert!(items.len() >= 27, "{found}");
    for n in &items[..27] {
        let (status, body) = app.buy(&t, n["phone_number"].as_str().unwrap()).await;
        assert_eq!(status, 201, "{body}");
    }
    let (mut b, _) = Browser::signed_in(&app, &t).await;
    let first = b.get("/dashboard/numbers").await;
    assert!(first.body.contains("27 numbers"), "{}", first.body);
    assert!(first.body.contains("page 1 of 2"));
    assert_eq!(first.body.matches("<tr>").count(), 1 + 25);
    let second = b.get("/dashboard/numbers?page=2").await;
    assert_eq!(second.body.matches("<tr>").count(), 1 + 2);
    assert!(second.body.contains(r#"rel="prev""#));
}

#[tokio::test]
async fn a_new_api_key_is_shown_once_and_revoking_the_sessions_own_key_signs_out() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (mut b, token) = Browser::signed_in(&app, &t).await;

    let created = b
        .post(
            "/dashboard/settings/keys",
            &[("csrf", &token), ("name", "ci server")],
        )
        .await;
    assert_eq!(created.status, 201);
    let marker = r#"id="new-key" type="text" readonly value=""#;
    let start = created.body.find(marker).expect("the new key, once") + marker.len();
    let secret: String = created.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    assert!(secret.starts_with("dnx_live_"));
    let (status, _) = app
        .get(&Tenant::new(t.id.clone(), secret.clone()), "/v1/workspace")
        .await;
    assert_eq!(status, 200);
    let settings = b.get("/dashboard/settings").await;
    assert!(!settings.body.contains(&secret), "shown only once");
    assert!(settings.body.contains("ci server"));

    // Telephony settings: enable GB and keep the provider.
    let saved = b
        .post(
            "/dashboard/settings/telephony",
            &[
                ("csrf", &token),
                ("countries", "US"),
                ("countries", "GB"),
                ("default_provider", "twilio"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    let (_, config) = app.get(&t, "/v1/workspace/telephony-config").await;
    assert_eq!(config["enabled_countries"], serde_json::json!(["GB", "US"]));

    // Revoke the key this session uses: the session ends with it.
    let caller = app.services.authenticate(&t.key).await.unwrap();
    let keys = app.services.list_api_keys(&caller).await.unwrap();
    let own = keys.iter().find(|k| k.name == "test").unwrap();
    let r = b
        .post(
            &format!("/dashboard/settings/keys/{}/revoke", own.id),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(r.location.unwrap().contains("key_revoked_self"));
    assert!(!b.cookies.contains_key("dnx_session"));
    assert_eq!(app.get(&t, "/v1/workspace").await.0, 401);

    // The audit log names the dashboard session and the key that opened it for each change.
    let ci = Tenant::new(t.id.clone(), secret);
    let (status, log) = app
        .get(&ci, &format!("/v1/audit-events?actor={}", own.id))
        .await;
    assert_eq!(status, 200, "{log}");
    let rows: Vec<(&str, &str)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("api_key.create", "success"),
            ("workspace.telephony_config.update", "success"),
            ("api_key.revoke", "success"),
        ]
    );
    let sessions: Vec<&Value> = log["items"].as_array().unwrap().iter().collect();
    for e in &sessions {
        assert_eq!(e["actor_type"], "dashboard", "{e}");
        assert_eq!(e["api_key_id"], own.id.as_str(), "{e}");
        assert!(e["actor_id"].as_str().unwrap().starts_with("ses_"), "{e}");
        assert_eq!(e["actor_id"], sessions[0]["actor_id"], "one session");
        assert!(!e.to_string().contains(&t.key), "never the key: {e}");
    }
    assert_eq!(sessions[0]["resource_id"], own.id.as_str());
}
