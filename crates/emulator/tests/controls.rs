//! The `/_emulator/` test controls: ownership, faults, reset and the seed numbers.

mod common;

use std::time::Duration;

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

/// Waits until a carrier call has arrived and taken the pending injected failure (`fail_next`
/// drops to 0): from then on it is inside the emulator, held by whatever latency is set.
async fn arrived(h: &Harness) {
    for _ in 0..600 {
        if h.control_get("/faults").await.1["fail_next"] == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the carrier call never reached the emulator");
}

#[tokio::test]
async fn latency_holds_carrier_calls_and_buy_latency_only_buys() {
    const AN_HOUR: u64 = 3_600_000;
    let h = Harness::start().await;
    // Buy latency does not hold other calls: this one is answered (an hour's hold would not be).
    h.control_post("/faults", &json!({"buy_latency_ms": AN_HOUR}))
        .await;
    assert_eq!(
        h.twilio_get("/IncomingPhoneNumbers.json").await.0,
        StatusCode::OK
    );
    // A buy is held: it arrived (and took its injected failure), yet has no answer, while the
    // emulator goes on answering everything else.
    h.control_post("/faults", &json!({"fail_next": 1, "fail_status": 503}))
        .await;
    let buy = {
        let request = h
            .http
            .post(h.plivo("/PhoneNumber/14155552671/"))
            .basic_auth(h.auth_id(), Some(&h.emulator.config().plivo.auth_token))
            .json(&json!({}));
        tokio::spawn(request.send())
    };
    arrived(&h).await;
    assert_eq!(h.control_get("/health").await.0, StatusCode::OK);
    assert!(
        !buy.is_finished(),
        "the buy was answered despite its latency"
    );
    // Plain latency holds every carrier call, reads too.
    h.control_post(
        "/faults",
        &json!({"reset": true, "latency_ms": AN_HOUR, "fail_next": 1, "fail_status": 503}),
    )
    .await;
    let read = tokio::spawn(
        h.http
            .get(h.twilio("/IncomingPhoneNumbers.json"))
            .basic_auth(
                h.account_sid(),
                Some(&h.emulator.config().twilio.auth_token),
            )
            .send(),
    );
    arrived(&h).await;
    assert_eq!(h.control_get("/health").await.0, StatusCode::OK);
    assert!(
        !read.is_finished(),
        "the read was answered despite its latency"
    );
    // Stopping the emulator ends the waits: both get their (injected) answers.
    h.emulator.shutdown().await;
    for held in [buy, read] {
        let answer = held.await.unwrap().expect("an answer at shutdown");
        assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
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
    // The client gives up long before the carrier's minute-long hang ends.
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

    // A client that keeps waiting gets its answer when the emulator stops: hanging buys end
    // then (a shutdown that waited for them would abort them, and the client would get none).
    h.control_post("/faults", &json!({"timeout_after_commit_next": 1}))
        .await;
    let waiting = tokio::spawn(
        h.http
            .post(h.twilio("/IncomingPhoneNumbers.json"))
            .basic_auth(h.account_sid(), Some(&token))
            .form(&[("PhoneNumber", "+14155550123")])
            .send(),
    );
    let mut committed = false;
    for _ in 0..600 {
        if !h.number_status("+14155550123").await["owner"].is_null() {
            committed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(committed, "the buy never committed at the emulator");
    assert!(!waiting.is_finished(), "the buy hangs after committing");
    h.emulator.shutdown().await;
    let answer = waiting.await.unwrap().expect("an answer at shutdown");
    assert_eq!(answer.status(), StatusCode::CREATED);
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
