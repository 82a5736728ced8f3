//! Telephony config, KYC and the operator API.

use crate::helpers::{TestApp, assert_error};
use serde_json::json;

#[tokio::test]
async fn telephony_config_is_readable_and_settable() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (status, body) = app.get(&t, "/v1/workspace/telephony-config").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"enabled_countries": ["US"], "default_provider": "twilio"})
    );

    let (status, body) = app
        .put(
            &t,
            "/v1/workspace/telephony-config",
            json!({"enabled_countries": ["gb", "US"], "default_provider": "plivo"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"enabled_countries": ["GB", "US"], "default_provider": "plivo"})
    );
    // Now a GB purchase goes through Plivo by default.
    let (_, found) = app
        .get(
            &t,
            "/v1/organization-phone-numbers/available?country_iso=GB&type=mobile&limit=1",
        )
        .await;
    assert_eq!(found["items"][0]["provider"], "plivo", "{found}");
    let number = found["items"][0]["phone_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, bought) = app.buy(&t, &number).await;
    assert_eq!(status, 201, "{bought}");
    assert_eq!(bought["provider"], "plivo");

    assert_error(
        &app.put(
            &t,
            "/v1/workspace/telephony-config",
            json!({"enabled_countries": ["ZZ"]}),
        )
        .await,
        400,
        "invalid_country",
    );
    assert_error(
        &app.put(
            &t,
            "/v1/workspace/telephony-config",
            json!({"default_provider": "vonage"}),
        )
        .await,
        400,
        "invalid_provider",
    );
}

#[tokio::test]
async fn kyc_lists_every_enabled_country() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US", "IN"], &["IN"]).await;
    let (status, body) = app.get(&t, "/v1/workspace/kyc").await;
    assert_eq!(status, 200);
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["country"], "IN");
    assert_eq!(items[0]["status"], "approved");
    assert_eq!(items[1]["country"], "US");
    assert_eq!(items[1]["status"], "not_started");
}

#[tokio::test]
async fn the_operator_api_creates_workspaces_keys_and_kyc_decisions() {
    let app = TestApp::spawn().await;
    let admin = |req: reqwest::RequestBuilder| req.bearer_auth("test-admin-token");
    let r = admin(app.client.post(app.url("/v1/admin/workspaces")))
        .json(&json!({"name": "Acme", "enabled_countries": ["US", "IN"]}))
        .send()
        .await
        .unwrap();
    let (status, ws) = crate::helpers::decode(r).await;
    assert_eq!(status, 201, "{ws}");
    let id = ws["id"].as_str().unwrap();
    assert!(id.starts_with("ws_"));

    let r = admin(
        app.client
            .post(app.url(&format!("/v1/admin/workspaces/{id}/api-keys"))),
    )
    .json(&json!({"name": "ci"}))
    .send()
    .await
    .unwrap();
    let (status, key) = crate::helpers::decode(r).await;
    assert_eq!(status, 201, "{key}");
    let secret = key["key"].as_str().unwrap().to_owned();
    let tenant =
        crate::helpers::Tenant::new(dialnexa_domain::WorkspaceId::parse(id).unwrap(), secret);
    assert_error(
        &app.buy(&tenant, "+912234567890").await,
        403,
        "kyc_required",
    );

    let r = admin(
        app.client
            .put(app.url(&format!("/v1/admin/workspaces/{id}/kyc/IN"))),
    )
    .json(&json!({"status": "approved"}))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(app.buy(&tenant, "+912234567890").await.0, 201);

    // A workspace key is not an operator token.
    let r = app
        .client
        .get(app.url("/v1/admin/workspaces"))
        .bearer_auth(&tenant.key)
        .send()
        .await
        .unwrap();
    assert_error(&crate::helpers::decode(r).await, 401, "unauthorized");
}

#[tokio::test]
async fn secrets_are_stored_hashed() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let keys = app.services.list_api_keys(&t.caller()).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert!(t.key.starts_with(&keys[0].key_prefix));
    assert!(keys[0].key_prefix.len() < t.key.len() / 2);

    // What the database holds: the SHA-256 of the key and a short prefix, never the key.
    let rows = app
        .raw_texts("SELECT id, workspace_id, name, key_prefix, key_hash FROM api_keys")
        .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let hidden = &t.key[keys[0].key_prefix.len()..];
    for value in rows[0].iter().flatten() {
        assert!(!value.contains(hidden), "the secret is stored: {value}");
    }
    let hash = rows[0][4].as_deref().unwrap();
    assert_eq!(hash.len(), 64, "{hash}");
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{hash}");
    assert_eq!(hash, dialnexa_service::auth::hash_key(&t.key));
}

#[tokio::test]
async fn a_key_revoked_through_one_server_is_refused_by_the_others_at_once() {
    // Several servers on one database (PostgreSQL with DIALNEXA_TEST_DATABASE=postgres), the
    // others trusting verified keys for ten minutes.
    let first = TestApp::spawn().await;
    let t = first.tenant(&["US"], &[]).await;
    let kept = first.tenant(&["US"], &[]).await;
    let second = first.beside(|args| args.api_key_cache_ms = 600_000).await;
    let uncached = first.beside(|args| args.api_key_cache_ms = 0).await;
    for app in [&first, &second, &uncached] {
        assert_eq!(app.get(&t, "/v1/workspace").await.0, 200);
        assert_eq!(app.get(&kept, "/v1/workspace").await.0, 200);
    }

    let caller = first.services.authenticate(&t.key).await.unwrap();
    let key_id = first.services.list_api_keys(&caller).await.unwrap()[0]
        .id
        .to_string();
    first
        .services
        .revoke_api_key(&caller, &key_id)
        .await
        .unwrap();
    // Every server refuses it at once, the one that cached it for ten minutes too.
    for app in [&first, &second, &uncached] {
        assert_error(&app.get(&t, "/v1/workspace").await, 401, "unauthorized");
        assert_eq!(app.get(&kept, "/v1/workspace").await.0, 200);
    }
}
