//! What clients written against DialNexa's official OpenAPI see: a purchase in the spec's
//! shape answered in the spec's shape (the seed's shape keeps the seed's record), the
//! provider ids the pricing endpoint hands out accepted back, and 405s in the envelope.

use crate::helpers::{TestApp, assert_error};
use serde_json::{Value, json};

const PURCHASE: &str = "/v1/organization-phone-numbers/purchase";

#[tokio::test]
async fn a_purchase_in_the_specs_shape_gets_the_specs_answer_and_the_seeds_keeps_the_seeds() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (status, body) = app
        .post(
            &t,
            PURCHASE,
            json!({"phoneNumber": "+14155552671", "telephonyProviderId": "plivo_123456", "countryISO": "US"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["phoneNumber"], "+14155552671");
    assert_eq!(body["status"], "active");
    assert_eq!(
        body["message"],
        "Phone number purchased and registered successfully"
    );
    let record = &body["organizationPhoneNumber"];
    assert_eq!(record["provider"], "plivo");
    assert_eq!(record["monthly_cost_usd"], "0.80");
    assert_eq!(record["sip_trunk_enabled"], false);
    assert!(body.get("id").is_none(), "not the flat record: {body}");
    let at_carrier = app.carrier_number("+14155552671").await;
    assert!(
        at_carrier["owner"].as_str().unwrap().starts_with("plivo:"),
        "{at_carrier}"
    );
    let path = format!(
        "/v1/organization-phone-numbers/{}",
        record["id"].as_str().unwrap()
    );
    let (_, stored) = app.get(&t, &path).await;
    assert_eq!(
        (&stored["status"], &stored["provider"]),
        (&json!("active"), &json!("plivo"))
    );

    // The seed's shape, even with the spec's spelling of the other fields: the flat record.
    let (status, flat) = app
        .post(
            &t,
            PURCHASE,
            json!({"phone_number": "+14155550123", "telephonyProviderId": "tp_telnyx"}),
        )
        .await;
    assert_eq!(status, 201, "{flat}");
    assert_eq!(flat["phone_number"], "+14155550123");
    assert_eq!(flat["provider"], "telnyx");
    assert!(flat.get("organizationPhoneNumber").is_none(), "{flat}");
}

#[tokio::test]
async fn every_provider_id_the_pricing_endpoint_answers_buys_through_that_provider() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (status, prices) = app.get(&t, "/v1/phone-number-pricing?country_iso=US").await;
    assert_eq!(status, 200, "{prices}");
    let mut ids: Vec<String> = prices
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["telephony_provider_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids, ["tp_plivo", "tp_telnyx", "tp_twilio"]);
    for id in ids {
        let provider = id.trim_start_matches("tp_");
        let (status, found) = app
            .get(
                &t,
                &format!("/v1/organization-phone-numbers/available?country_iso=US&provider={provider}&limit=1"),
            )
            .await;
        assert_eq!(status, 200, "{found}");
        let number = found["items"][0]["phone_number"]
            .as_str()
            .expect("a number")
            .to_owned();
        let (status, body) = app
            .post(
                &t,
                PURCHASE,
                json!({"phoneNumber": number, "telephonyProviderId": id, "countryISO": "US"}),
            )
            .await;
        assert_eq!(status, 201, "{id}: {body}");
        assert_eq!(
            body["organizationPhoneNumber"]["provider"], provider,
            "{id}"
        );
        let owner = app.carrier_number(&number).await["owner"].clone();
        assert!(
            owner.as_str().unwrap().starts_with(&format!("{provider}:")),
            "{id}: {owner}"
        );
    }
}

#[tokio::test]
async fn spec_shaped_refusals_name_the_specs_fields() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let field = |r: &(u16, Value)| r.1["field"].clone();
    let bad = app.post(&t, PURCHASE, json!({"phoneNumber": "12"})).await;
    assert_error(&bad, 400, "invalid_phone_number");
    assert_eq!(field(&bad), "phoneNumber");
    let bad = app
        .post(
            &t,
            PURCHASE,
            json!({"phoneNumber": "+14155552671", "telephonyProviderId": "tp_nobody"}),
        )
        .await;
    assert_error(&bad, 400, "invalid_provider");
    assert_eq!(field(&bad), "telephonyProviderId");
    let bad = app
        .post(
            &t,
            PURCHASE,
            json!({"phoneNumber": "+14155552671", "countryISO": "GB"}),
        )
        .await;
    assert_error(&bad, 400, "country_mismatch");
    assert_eq!(field(&bad), "countryISO");
    let both = json!({"phoneNumber": "+14155552671", "phone_number": "+14155552671"});
    assert_error(&app.post(&t, PURCHASE, both).await, 400, "invalid_json");
    assert!(app.carrier_owned().await.is_empty(), "nothing was bought");
}

#[tokio::test]
async fn a_spec_shaped_purchase_whose_carrier_answer_is_lost_is_200_pending() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    app.set_faults(json!({"timeout_after_commit_next": 1}))
        .await;
    let (status, body) = app
        .post(&t, PURCHASE, json!({"phoneNumber": "+14155552671"}))
        .await;
    assert_eq!(status, 200, "the spec's 'purchase initiated': {body}");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["organizationPhoneNumber"]["status"], "pending");
    assert!(body["message"].as_str().unwrap().contains("GET"), "{body}");
}

#[tokio::test]
async fn a_method_an_endpoint_does_not_take_is_405_in_the_envelope_with_allow() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let r = app
        .client
        .put(app.url("/v1/agents"))
        .bearer_auth(&t.key)
        .send()
        .await
        .unwrap();
    let allow = r
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = crate::helpers::decode(r).await;
    assert_error(&body, 405, "method_not_allowed");
    assert_eq!(body.1["error"], "Method Not Allowed");
    let allow = allow.expect("an Allow header");
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
}
