//! The purchase page's contract: the seed request, each error rule in order, and races.

use crate::helpers::{TestApp, assert_error};
use serde_json::json;

const SEED_NUMBER: &str = "+912234567890";

#[tokio::test]
async fn the_seed_request_buys_the_number_and_the_carrier_owns_it() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US", "GB", "IN"], &["IN"]).await;

    // The seed's request, byte for byte.
    let r = app
        .client
        .post(app.url("/v1/organization-phone-numbers/purchase"))
        .header("Authorization", format!("Bearer {}", t.key))
        .header("Content-Type", "application/json")
        .body(r#"{"phone_number": "+912234567890"}"#)
        .send()
        .await
        .unwrap();
    let (status, body) = crate::helpers::decode(r).await;
    assert_eq!(status, 201, "{body}");
    assert!(body["id"].as_str().unwrap().starts_with("phn_"));
    assert_eq!(body["phone_number"], SEED_NUMBER);
    assert_eq!(body["country_code"], "IN");
    assert_eq!(body["type"], "local");
    assert_eq!(body["monthly_cost_usd"], "1.15");
    assert_eq!(body["capabilities"], json!(["voice"]));
    assert_eq!(body["inbound_agent_id"], json!(null));
    assert_eq!(body["agent_id"], json!(null));
    assert_eq!(body["label"], json!(null));
    assert_eq!(body["nickname"], json!(null));
    assert_eq!(body["status"], "active");
    assert_eq!(body["provider"], "twilio");
    let created = body["created_at"].as_str().unwrap();
    assert!(
        created.ends_with('Z') && created.len() == "2024-01-15T07:00:00.000Z".len(),
        "{created}"
    );

    // The carrier sold it to the platform's account.
    let at_carrier = app.carrier_number(SEED_NUMBER).await;
    assert_eq!(at_carrier["available"], false, "{at_carrier}");
    assert!(
        at_carrier["owner"].as_str().unwrap().starts_with("twilio:"),
        "{at_carrier}"
    );

    // And it is listed and readable.
    let (status, list) = app.get(&t, "/v1/organization-phone-numbers").await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["page"], 1);
    assert_eq!(list["limit"], 20);
    assert_eq!(list["items"][0]["id"], body["id"]);
    let (status, one) = app
        .get(
            &t,
            &format!(
                "/v1/organization-phone-numbers/{}",
                body["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["phone_number"], SEED_NUMBER);
    assert_eq!(one["status"], "active");
    assert!(one["next_renewal_at"].is_string(), "{one}");
}

#[tokio::test]
async fn bad_input_is_400_with_a_code() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US", "IN"], &["IN"]).await;
    let url = app.url("/v1/organization-phone-numbers/purchase");

    let r = app
        .client
        .post(&url)
        .bearer_auth(&t.key)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(&crate::helpers::decode(r).await, 400, "invalid_json");

    assert_error(
        &app.post(&t, "/v1/organization-phone-numbers/purchase", json!({}))
            .await,
        400,
        "missing_field",
    );
    for bad in ["912234567890", "+91 22 3456 7890", "+99912345678", "", "+1"] {
        assert_error(&app.buy(&t, bad).await, 400, "invalid_phone_number");
    }
    let r = app
        .post(
            &t,
            "/v1/organization-phone-numbers/purchase",
            json!({"phone_number": "+14155552671", "provider": "<string>"}),
        )
        .await;
    assert_error(&r, 400, "invalid_provider");
    let r = app
        .post(
            &t,
            "/v1/organization-phone-numbers/purchase",
            json!({"phone_number": "+14155552671", "countryISO": "GB"}),
        )
        .await;
    assert_error(&r, 400, "country_mismatch");
    // Nothing was bought by any of these.
    assert!(app.carrier_owned().await.is_empty());
}

#[tokio::test]
async fn unauthenticated_requests_get_401() {
    let app = TestApp::spawn().await;
    let url = app.url("/v1/organization-phone-numbers/purchase");
    for auth in [
        None,
        Some("Bearer nope"),
        Some("Bearer dnx_live_00000000000000000000000000000000"),
        Some("Basic abc"),
    ] {
        let mut req = app
            .client
            .post(&url)
            .json(&json!({"phone_number": SEED_NUMBER}));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let resp = crate::helpers::decode(req.send().await.unwrap()).await;
        assert_error(&resp, 401, "unauthorized");
        assert_eq!(resp.1["message"], "API key is missing or invalid");
        assert_eq!(resp.1["error"], "Unauthorized");
    }
}

#[tokio::test]
async fn a_country_not_enabled_is_400_before_anything_else() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    // India: not enabled, and KYC not approved either: the country rule comes first.
    let r = app.buy(&t, SEED_NUMBER).await;
    assert_error(&r, 400, "country_not_enabled");
    assert!(r.1["message"].as_str().unwrap().contains("IN"));
    assert_eq!(app.carrier_number(SEED_NUMBER).await["available"], true);
}

#[tokio::test]
async fn missing_kyc_is_403() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US", "IN"], &[]).await;
    assert_error(&app.buy(&t, SEED_NUMBER).await, 403, "kyc_required");
    app.set_kyc(&t, "IN", dialnexa_domain::KycStatus::Pending)
        .await;
    assert_error(&app.buy(&t, SEED_NUMBER).await, 403, "kyc_required");
    // US toll-free is regulated too; US local is not.
    assert_error(&app.buy(&t, "+18005550199").await, 403, "kyc_required");
    app.set_kyc(&t, "IN", dialnexa_domain::KycStatus::Approved)
        .await;
    assert_eq!(app.buy(&t, SEED_NUMBER).await.0, 201);
}

#[tokio::test]
async fn a_number_held_here_is_409_for_everyone() {
    let app = TestApp::spawn().await;
    let a = app.tenant(&["US"], &[]).await;
    let b = app.tenant(&["US"], &[]).await;
    assert_eq!(app.buy(&a, "+14155552671").await.0, 201);
    assert_error(&app.buy(&a, "+14155552671").await, 409, "number_taken");
    assert_error(&app.buy(&b, "+14155552671").await, 409, "number_taken");
}

#[tokio::test]
async fn the_rules_apply_in_order_kyc_and_country_before_a_held_number() {
    let app = TestApp::spawn().await;
    let holder = app.tenant(&["IN"], &["IN"]).await;
    let held = crate::lifecycle_helpers::bought(&app, &holder, SEED_NUMBER).await;
    // Enabled but without KYC: 403, although the number is held elsewhere (409 comes later).
    let unverified = app.tenant(&["IN"], &[]).await;
    assert_error(
        &app.buy(&unverified, SEED_NUMBER).await,
        403,
        "kyc_required",
    );
    // Not enabled at all: 400 before either.
    let elsewhere = app.tenant(&["US"], &[]).await;
    assert_error(
        &app.buy(&elsewhere, SEED_NUMBER).await,
        400,
        "country_not_enabled",
    );
    // Once both pass, the held number is what stands in the way.
    let ready = app.tenant(&["IN"], &["IN"]).await;
    assert_error(&app.buy(&ready, SEED_NUMBER).await, 409, "number_taken");

    // The same order when another buyer took the number at the carrier after a search.
    let us = app.tenant(&["US"], &[]).await;
    let (status, found) = app
        .get(
            &us,
            "/v1/organization-phone-numbers/available?country_iso=US&type=toll_free&limit=1",
        )
        .await;
    assert_eq!(status, 200, "{found}");
    let toll_free = found["items"][0]["phone_number"]
        .as_str()
        .unwrap()
        .to_owned();
    app.carrier_take(&toll_free).await;
    assert_error(&app.buy(&us, &toll_free).await, 403, "kyc_required");

    // Nothing moved: the holder still has its number, the carrier still sells it to no one else.
    let (_, still) = app
        .get(
            &holder,
            &format!(
                "/v1/organization-phone-numbers/{}",
                held["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(still["status"], "active");
    let ours: Vec<_> = app
        .carrier_owned()
        .await
        .into_iter()
        .filter(|o| o["owner"] != "other")
        .collect();
    assert_eq!(ours.len(), 1, "only the holder's purchase: {ours:?}");
}

#[tokio::test]
async fn taken_after_search_is_409_and_never_offered_is_400() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (status, found) = app
        .get(
            &t,
            "/v1/organization-phone-numbers/available?country_iso=US&type=local&limit=2",
        )
        .await;
    assert_eq!(status, 200, "{found}");
    let seen = found["items"][0]["phone_number"]
        .as_str()
        .unwrap()
        .to_owned();
    app.carrier_take(&seen).await;
    let r = app.buy(&t, &seen).await;
    assert_error(&r, 409, "number_taken");
    assert!(r.1["message"].as_str().unwrap().contains("another buyer"));

    // A number this workspace never saw, taken at the carrier: simply not available.
    let unseen = "+14155550123";
    app.carrier_take(unseen).await;
    let r = app.buy(&t, unseen).await;
    assert_error(&r, 400, "number_not_available");
    assert!(
        r.1["message"]
            .as_str()
            .unwrap()
            .contains("no longer available")
    );

    // Neither attempt left a live row behind.
    let (_, list) = app.get(&t, "/v1/organization-phone-numbers").await;
    assert_eq!(list["total"], 0, "{list}");
}

#[tokio::test]
async fn twenty_concurrent_purchases_of_one_number_have_one_winner() {
    let app = TestApp::spawn().await;
    let a = app.tenant(&["US"], &[]).await;
    let b = app.tenant(&["US"], &[]).await;
    let number = "+14155552671";
    let attempts = (0..20).map(|i| {
        let (app, tenant) = (&app, if i % 2 == 0 { &a } else { &b });
        async move { app.buy(tenant, number).await }
    });
    let results = futures::future::join_all(attempts).await;
    let created: Vec<_> = results.iter().filter(|r| r.0 == 201).collect();
    assert_eq!(created.len(), 1, "{results:?}");
    for r in results.iter().filter(|r| r.0 != 201) {
        assert_error(r, 409, "number_taken");
    }
    let (_, la) = app.get(&a, "/v1/organization-phone-numbers").await;
    let (_, lb) = app.get(&b, "/v1/organization-phone-numbers").await;
    assert_eq!(
        la["total"].as_u64().unwrap() + lb["total"].as_u64().unwrap(),
        1
    );
    let owned = app.carrier_owned().await;
    assert_eq!(
        owned.iter().filter(|o| o["phone_number"] == number).count(),
        1,
        "{owned:?}"
    );
}

#[tokio::test]
async fn another_workspaces_number_is_404() {
    let app = TestApp::spawn().await;
    let a = app.tenant(&["US"], &[]).await;
    let b = app.tenant(&["US"], &[]).await;
    let (_, bought) = app.buy(&a, "+14155552671").await;
    let path = format!(
        "/v1/organization-phone-numbers/{}",
        bought["id"].as_str().unwrap()
    );
    assert_error(&app.get(&b, &path).await, 404, "not_found");
    assert_error(
        &app.get(&a, "/v1/organization-phone-numbers/phn_doesnotexist")
            .await,
        404,
        "not_found",
    );
    let (_, list) = app.get(&b, "/v1/organization-phone-numbers").await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn list_pagination_is_validated() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    assert_error(
        &app.get(&t, "/v1/organization-phone-numbers?limit=101")
            .await,
        400,
        "invalid_limit",
    );
    assert_error(
        &app.get(&t, "/v1/organization-phone-numbers?limit=0").await,
        400,
        "invalid_limit",
    );
    assert_error(
        &app.get(&t, "/v1/organization-phone-numbers?page=0").await,
        400,
        "invalid_page",
    );
    assert_error(
        &app.get(&t, "/v1/organization-phone-numbers?page=abc").await,
        400,
        "invalid_query",
    );
}
