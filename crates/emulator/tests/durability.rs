//! Ownership under pressure and across restarts: one winner per number, state that survives.

mod common;

use common::Harness;
use dialnexa_emulator::EmulatorConfig;
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn twenty_concurrent_buys_of_one_number_sell_it_once() {
    let h = Harness::start().await;
    let buys = (0..20).map(|i| {
        let h = &h;
        async move {
            // Half through each carrier: they share one stock.
            if i % 2 == 0 {
                h.twilio_post(
                    "/IncomingPhoneNumbers.json",
                    &[("PhoneNumber", "+14155552671")],
                )
                .await
                .0
            } else {
                h.plivo_post("/PhoneNumber/14155552671/", &json!({}))
                    .await
                    .0
            }
        }
    });
    let statuses = join_all(buys).await;
    let sold = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(sold, 1, "{statuses:?}");
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::BAD_REQUEST || **s == StatusCode::NOT_FOUND)
        .count();
    assert_eq!(refused, 19, "{statuses:?}");
    let (_, owned) = h.control_get("/owned").await;
    assert_eq!(owned.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_restarted_emulator_remembers_who_owns_what() {
    let dir = tempfile::tempdir().unwrap();
    let config = EmulatorConfig {
        state_path: Some(dir.path().join("emulator.db")),
        ..EmulatorConfig::default()
    };

    let first = Harness::with_config(config.clone()).await;
    let bought = first.twilio_buy("+14155552671").await;
    let sid = bought["sid"].as_str().unwrap().to_owned();
    first
        .twilio_post(
            &format!("/IncomingPhoneNumbers/{sid}.json"),
            &[("FriendlyName", "Kept")],
        )
        .await;
    let (status, _) = first
        .plivo_post("/PhoneNumber/912234567890/", &json!({"app_id": "9"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    first
        .control_post("/numbers/+442071234567/take", &json!({}))
        .await;
    // Faults are not state: they do not survive.
    first
        .control_post("/faults", &json!({"fail_next": 5}))
        .await;
    first.emulator.shutdown().await;

    let second = Harness::with_config(config).await;
    let (status, fetched) = second
        .twilio_get(&format!("/IncomingPhoneNumbers/{sid}.json"))
        .await;
    assert_eq!(status, StatusCode::OK, "{fetched}");
    assert_eq!(fetched["friendly_name"], "Kept");
    assert_eq!(
        second.number_status("+442071234567").await["owner"],
        "other"
    );
    let (status, plivo) = second.plivo_get("/Number/912234567890/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        plivo["application"]
            .as_str()
            .unwrap()
            .ends_with("/Application/9/")
    );
    let (status, _) = second
        .twilio_post(
            "/IncomingPhoneNumbers.json",
            &[("PhoneNumber", "+14155552671")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
