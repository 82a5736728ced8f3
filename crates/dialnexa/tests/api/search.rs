//! Searching the carriers' inventory.

use crate::helpers::{TestApp, assert_error};

#[tokio::test]
async fn search_answers_priced_numbers_of_the_requested_kind() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (status, body) =
        app.get(&t, "/v1/organization-phone-numbers/available?country_iso=US&type=local&area_code=415&limit=5").await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 5, "{body}");
    for item in items {
        let n = item["phone_number"].as_str().unwrap();
        assert!(n.starts_with("+1415"), "{n}");
        assert!(dialnexa_domain::E164::parse(n).is_ok(), "{n}");
        assert_eq!(item["country_code"], "US");
        assert_eq!(item["type"], "local");
        assert_eq!(item["provider"], "twilio");
        assert_eq!(item["monthly_cost_usd"], "1.15");
        assert_eq!(item["purchasable"], true);
        assert!(
            item["capabilities"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "voice")
        );
    }
}

#[tokio::test]
async fn search_says_what_blocks_a_purchase() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US", "IN"], &[]).await;
    let (_, body) = app
        .get(
            &t,
            "/v1/organization-phone-numbers/available?country_iso=IN&type=local&limit=2",
        )
        .await;
    assert_eq!(body["items"][0]["purchasable"], false, "{body}");
    assert_eq!(body["items"][0]["blocked_by"], "kyc_required");
    let (_, body) = app
        .get(
            &t,
            "/v1/organization-phone-numbers/available?country_iso=GB&type=mobile&limit=2",
        )
        .await;
    assert_eq!(
        body["items"][0]["blocked_by"], "country_not_enabled",
        "{body}"
    );
}

#[tokio::test]
async fn plivo_numbers_answers_in_the_official_shape() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (status, body) = app
        .get(
            &t,
            "/v1/organization-phone-numbers/plivo-numbers?country_iso=US&type=local",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["api_id"].is_string());
    assert!(body["meta"]["total_count"].as_u64().unwrap() > 0);
    let first = &body["objects"][0];
    assert!(first["number"].as_str().unwrap().starts_with("+1"));
    assert_eq!(first["type"], "local");
    assert_eq!(first["monthly_rental_rate"], "0.80");
    assert_eq!(first["country_iso"], "US");
    assert!(first["voice_enabled"].is_boolean());
    assert!(first["number_format"].as_str().unwrap().starts_with("+1 "));
    assert_error(
        &app.get(&t, "/v1/organization-phone-numbers/plivo-numbers")
            .await,
        400,
        "missing_field",
    );
}

#[tokio::test]
async fn search_rejects_bad_filters() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let base = "/v1/organization-phone-numbers/available";
    assert_error(
        &app.get(&t, &format!("{base}?type=local")).await,
        400,
        "missing_field",
    );
    assert_error(
        &app.get(&t, &format!("{base}?country_iso=XX")).await,
        400,
        "invalid_country",
    );
    assert_error(
        &app.get(&t, &format!("{base}?country_iso=US&type=premium"))
            .await,
        400,
        "invalid_type",
    );
    assert_error(
        &app.get(&t, &format!("{base}?country_iso=US&contains=12-34"))
            .await,
        400,
        "invalid_contains",
    );
    assert_error(
        &app.get(&t, &format!("{base}?country_iso=US&capabilities=telepathy"))
            .await,
        400,
        "invalid_capabilities",
    );
    assert_error(
        &app.get(&t, &format!("{base}?country_iso=US&limit=1000"))
            .await,
        400,
        "invalid_limit",
    );
}
