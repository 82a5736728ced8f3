//! The `/_emulator/` test controls: ownership, faults, reset and the seed numbers.

mod common;

use std::time::{Duration, Instant};

use common::Harness;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn health_and_seed_numbers() {
    let h = Harness::start().await;
    let (status, body) = h.control_get("/health").await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
    for seed in ["+14155552671", "+912234567890"] {
        let state = h.number_status(seed).await;
        assert_eq!(state["available"], true, "{state}");
        assert_eq!(state["in_inventory"], true);
        assert!(state["owner"].is_null() && state["sid"].is_null());
    }
    let outside = h.number_status("+14152001234").await;
    assert_eq!(
        (
            outside["available"].as_bool(),
            outside["in_inventory"].as_bool()
        ),
        (Some(false), Some(false))
    );
    let (status, _) = h.control_get("/numbers/not-a-number").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, inventory) = h.control_get("/inventory").await;
    let us = inventory["countries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["country"] == "US")
        .cloned()
        .unwrap();
    assert!(us["local"].as_u64().unwrap() >= 10_000_000);
}

#[tokio::test]
async fn another_buyer_takes_a_number() {
    let h = Harness::start().await;
    let (status, state) = h
        .control_post("/numbers/+14155552671/take", &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (state["owner"].as_str(), state["available"].as_bool()),
        (Some("other"), Some(false))
    );
    let (status, body) = h
        .twilio_post(
            "/IncomingPhoneNumbers.json",
            &[("PhoneNumber", "+14155552671")],
        )
        .await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(21422))
    );
    assert_eq!(
        h.plivo_post("/PhoneNumber/14155552671/", &json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, search) = h
        .twilio_get("/AvailablePhoneNumbers/US/Local.json?Contains=%2B14155552671")
        .await;
    assert!(
        search["available_phone_numbers"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let (_, state) = h
        .control_post("/numbers/+14155552671/release", &json!({}))
        .await;
    assert_eq!(
        (state["owner"].clone(), state["available"].as_bool()),
        (serde_json::Value::Null, Some(true))
    );
    h.twilio_buy("+14155552671").await;
}

#[tokio::test]
async fn assigned_numbers_show_up_as_the_accounts_own() {
    let h = Harness::start().await;
    let (_, twilio) = h
        .control_post(
            "/numbers/+14155552671/assign",
            &json!({"carrier": "twilio"}),
        )
        .await;
    assert_eq!(twilio["owner"], format!("twilio:{}", h.account_sid()));
    let sid = twilio["sid"].as_str().unwrap().to_owned();
    let (status, fetched) = h
        .twilio_get(&format!("/IncomingPhoneNumbers/{sid}.json"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["phone_number"], "+14155552671");

    let (_, plivo) = h
        .control_post(
            "/numbers/+912234567890/assign",
            &json!({"carrier": "plivo"}),
        )
        .await;
    assert_eq!(plivo["owner"], format!("plivo:{}", h.auth_id()));
    assert!(plivo["sid"].is_null());
    assert_eq!(h.plivo_get("/Number/912234567890/").await.0, StatusCode::OK);

    let (_, owned) = h.control_get("/owned").await;
    let owned = owned.as_array().unwrap();
    assert_eq!(owned.len(), 2);
    assert_eq!(owned[0]["phone_number"], "+14155552671");
    assert_eq!(owned[0]["sid"], sid.as_str());
    assert!(owned[1]["created_at"].as_str().unwrap().ends_with('Z'));

    let (status, _) = h
        .control_post(
            "/numbers/+14155552671/assign",
            &json!({"carrier": "vonage"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn fail_next_answers_each_carriers_error_body() {
    let h = Harness::start().await;
    let (status, faults) = h.control_post("/faults", &json!({"fail_next": 2})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (faults["fail_next"].as_u64(), faults["fail_status"].as_u64()),
        (Some(2), Some(500))
    );
    let (status, body) = h
        .twilio_post(
            "/IncomingPhoneNumbers.json",
            &[("PhoneNumber", "+14155552671")],
        )
        .await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some(20500))
    );
    let (status, body) = h.plivo_get("/Number/").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body["error"].is_string() && body["api_id"].is_string());
    // The failed buy sold nothing, and the faults are used up.
    assert_eq!(h.number_status("+14155552671").await["available"], true);
    assert_eq!(h.control_get("/faults").await.1["fail_next"], 0);
    h.twilio_buy("+14155552671").await;

    h.control_post("/faults", &json!({"fail_next": 1, "fail_status": 429}))
        .await;
    let (status, body) = h.twilio_get("/IncomingPhoneNumbers.json").await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (StatusCode::TOO_MANY_REQUESTS, Some(20429))
    );
    let (status, _) = h
        .control_post("/faults", &json!({"fail_status": 200}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn latency_slows_carrier_calls() {
    let h = Harness::start().await;
    h.control_post("/faults", &json!({"latency_ms": 150})).await;
    let started = Instant::now();
    assert_eq!(
        h.twilio_get("/IncomingPhoneNumbers.json").await.0,
        StatusCode::OK
    );
    assert!(started.elapsed() >= Duration::from_millis(150));
    h.control_post("/faults", &json!({"reset": true, "buy_latency_ms": 150}))
        .await;
    let started = Instant::now();
    h.twilio_get("/IncomingPhoneNumbers.json").await;
    assert!(started.elapsed() < Duration::from_millis(150));
    let started = Instant::now();
    h.plivo_post("/PhoneNumber/14155552671/", &json!({})).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn a_buy_can_commit_and_then_time_out() {
    let h = Harness::start().await;
    h.control_post("/faults", &json!({"timeout_after_commit_next": 1}))
        .await;
    // A buy that sells nothing leaves the hang for the next one.
    h.control_post("/numbers/+14155550100/take", &json!({}))
        .await;
    let (status, _) = h
        .twilio_post(
            "/IncomingPhoneNumbers.json",
            &[("PhoneNumber", "+14155550100")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let token = h.emulator.config().twilio.auth_token.clone();
    let attempt = h
        .http
        .post(h.twilio("/IncomingPhoneNumbers.json"))
        .basic_auth(h.account_sid(), Some(&token))
        .form(&[("PhoneNumber", "+14155552671")])
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(attempt.is_err_and(|e| e.is_timeout()));
    // The carrier sold it all the same.
    let state = h.number_status("+14155552671").await;
    assert_eq!(state["owner"], format!("twilio:{}", h.account_sid()));
    let (_, list) = h.twilio_get("/IncomingPhoneNumbers.json").await;
    assert_eq!(
        list["incoming_phone_numbers"][0]["phone_number"],
        "+14155552671"
    );
    // Only the next buy hangs.
    let (status, _) = h.plivo_post("/PhoneNumber/912234567890/", &json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let started = Instant::now();
    h.emulator.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn reset_forgets_owners_and_faults() {
    let h = Harness::start().await;
    h.twilio_buy("+14155552671").await;
    h.control_post("/numbers/+912234567890/take", &json!({}))
        .await;
    h.control_post("/faults", &json!({"latency_ms": 5, "fail_next": 3}))
        .await;
    let (status, _) = h.control_post("/reset", &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        h.control_get("/owned")
            .await
            .1
            .as_array()
            .unwrap()
            .is_empty()
    );
    let faults = h.control_get("/faults").await.1;
    assert_eq!(
        (faults["latency_ms"].as_u64(), faults["fail_next"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(h.number_status("+912234567890").await["available"], true);
}
