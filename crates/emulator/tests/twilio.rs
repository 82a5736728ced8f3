//! The Twilio wire format end to end: search, buy, list, fetch, update, release, errors.

mod common;

use common::{Harness, send};
use reqwest::StatusCode;
use serde_json::Value;

fn numbers(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {body}"))
        .iter()
        .map(|n| n["phone_number"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn local_search_answers_twilios_fields() {
    let h = Harness::start().await;
    let (status, body) = h
        .twilio_get("/AvailablePhoneNumbers/US/Local.json?AreaCode=415&PageSize=5")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list = body["available_phone_numbers"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    let first = &list[0];
    assert!(first["phone_number"].as_str().unwrap().starts_with("+1415"));
    assert_eq!(first["iso_country"], "US");
    assert_eq!(first["region"], "CA");
    assert_eq!(first["locality"], "San Francisco");
    assert_eq!(first["address_requirements"], "none");
    assert_eq!(first["beta"], false);
    assert!(
        first["friendly_name"]
            .as_str()
            .unwrap()
            .starts_with("(415) ")
    );
    assert!(first["latitude"].is_number() && first["longitude"].is_number());
    for key in ["lata", "rate_center", "postal_code"] {
        assert!(first.get(key).is_some(), "{key} missing");
    }
    let caps = &first["capabilities"];
    assert_eq!(caps["voice"], true);
    assert!(caps["SMS"].is_boolean() && caps["MMS"].is_boolean() && caps["fax"].is_boolean());
    assert_eq!(body["page"], 0);
    assert_eq!(body["page_size"], 5);
    assert!(body["next_page_uri"].is_null());
    assert!(
        body["uri"]
            .as_str()
            .unwrap()
            .contains("/AvailablePhoneNumbers/US/Local.json")
    );
}

#[tokio::test]
async fn contains_and_area_code_filter_the_stock() {
    let h = Harness::start().await;
    let (_, body) = h
        .twilio_get("/AvailablePhoneNumbers/US/Local.json?AreaCode=212&Contains=555&PageSize=30")
        .await;
    let found = numbers(&body, "available_phone_numbers");
    assert_eq!(found.len(), 30);
    assert!(
        found
            .iter()
            .all(|n| n.starts_with("+1212") && n[2..].contains("555")),
        "{found:?}"
    );

    // Letters are keypad digits, `*` any digit, a leading `+` anchors at the country code.
    let (_, body) = h
        .twilio_get("/AvailablePhoneNumbers/US/Local.json?Contains=%2B1415KLL****")
        .await;
    let found = numbers(&body, "available_phone_numbers");
    assert!(!found.is_empty());
    assert!(found.iter().all(|n| n.starts_with("+1415555")), "{found:?}");

    let (_, body) = h
        .twilio_get("/AvailablePhoneNumbers/US/Local.json?InRegion=TX&PageSize=3")
        .await;
    let list = body["available_phone_numbers"].as_array().unwrap();
    assert!(list.iter().all(|n| n["region"] == "TX"), "{body}");

    let (status, body) = h
        .twilio_get("/AvailablePhoneNumbers/US/Local.json?AreaCode=4x5")
        .await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(21451))
    );
}

#[tokio::test]
async fn other_types_and_countries() {
    let h = Harness::start().await;
    let (_, body) = h
        .twilio_get("/AvailablePhoneNumbers/US/TollFree.json?PageSize=3")
        .await;
    let found = numbers(&body, "available_phone_numbers");
    assert_eq!(found.len(), 3);
    assert!(found.iter().all(|n| n.starts_with("+18")), "{found:?}");
    let (_, body) = h
        .twilio_get("/AvailablePhoneNumbers/GB/Mobile.json?PageSize=3")
        .await;
    assert!(
        numbers(&body, "available_phone_numbers")
            .iter()
            .all(|n| n.starts_with("+447"))
    );
    let (_, body) = h
        .twilio_get("/AvailablePhoneNumbers/DE/Local.json?PageSize=1")
        .await;
    assert_eq!(
        body["available_phone_numbers"][0]["address_requirements"],
        "local"
    );
    // The US sells no separate mobile numbers, as with Twilio.
    let (status, body) = h.twilio_get("/AvailablePhoneNumbers/US/Mobile.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(numbers(&body, "available_phone_numbers").is_empty());
    let (status, body) = h.twilio_get("/AvailablePhoneNumbers/ZZ/Local.json").await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (StatusCode::NOT_FOUND, Some(20404))
    );
    let (status, body) = h.twilio_get("/AvailablePhoneNumbers.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["countries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["country_code"] == "IN")
    );
}

#[tokio::test]
async fn buy_answers_the_number_and_a_second_buy_is_refused() {
    let h = Harness::start().await;
    let (status, number) = h
        .twilio_post(
            "/IncomingPhoneNumbers.json",
            &[
                ("PhoneNumber", "+14155552671"),
                ("FriendlyName", "Support"),
                ("VoiceUrl", "https://agent.test/voice"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{number}");
    let sid = number["sid"].as_str().unwrap();
    assert!(sid.starts_with("PN") && sid.len() == 34);
    assert_eq!(number["account_sid"], h.account_sid().as_str());
    assert_eq!(number["phone_number"], "+14155552671");
    assert_eq!(number["friendly_name"], "Support");
    assert_eq!(number["voice_url"], "https://agent.test/voice");
    assert_eq!(number["status"], "in-use");
    assert_eq!(number["capabilities"]["voice"], true);
    assert!(number["date_created"].as_str().unwrap().ends_with("+0000"));
    assert_eq!(
        number["uri"],
        format!(
            "/2010-04-01/Accounts/{}/IncomingPhoneNumbers/{sid}.json",
            h.account_sid()
        )
    );

    let (status, again) = h
        .twilio_post(
            "/IncomingPhoneNumbers.json",
            &[("PhoneNumber", "+14155552671")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        again,
        serde_json::json!({
            "code": 21422,
            "message": "PhoneNumber is not available",
            "more_info": "https://www.twilio.com/docs/errors/21422",
            "status": 400
        })
    );
}

#[tokio::test]
async fn numbers_outside_the_stock_and_invalid_numbers_are_refused() {
    let h = Harness::start().await;
    // Valid, but in an exchange the carriers do not sell.
    let (status, body) = h
        .twilio_post(
            "/IncomingPhoneNumbers.json",
            &[("PhoneNumber", "+14152001234")],
        )
        .await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(21422))
    );
    let (status, body) = h
        .twilio_post("/IncomingPhoneNumbers.json", &[("PhoneNumber", "+1415555")])
        .await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(21421))
    );
    let (status, body) = h.twilio_post("/IncomingPhoneNumbers.json", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn buy_by_area_code_picks_an_available_number() {
    let h = Harness::start().await;
    let (status, number) = h
        .twilio_post("/IncomingPhoneNumbers.json", &[("AreaCode", "416")])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{number}");
    assert!(
        number["phone_number"]
            .as_str()
            .unwrap()
            .starts_with("+1416")
    );
    let (status, body) = h
        .twilio_post("/IncomingPhoneNumbers.json", &[("AreaCode", "999")])
        .await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(21452))
    );
}

#[tokio::test]
async fn list_fetch_update_and_release() {
    let h = Harness::start().await;
    let (_, search) = h
        .twilio_get("/AvailablePhoneNumbers/US/Local.json?AreaCode=303&PageSize=3")
        .await;
    let wanted = numbers(&search, "available_phone_numbers");
    let mut sids = Vec::new();
    for e164 in &wanted {
        sids.push(h.twilio_buy(e164).await["sid"].as_str().unwrap().to_owned());
    }

    let (status, page) = h.twilio_get("/IncomingPhoneNumbers.json?PageSize=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(numbers(&page, "incoming_phone_numbers"), wanted[..2]);
    let next = page["next_page_uri"].as_str().expect("a second page");
    let (_, second) = send(h.http.get(h.url(next)).basic_auth(
        h.account_sid(),
        Some(&h.emulator.config().twilio.auth_token),
    ))
    .await;
    assert_eq!(numbers(&second, "incoming_phone_numbers"), wanted[2..]);
    assert!(second["next_page_uri"].is_null());

    let (_, filtered) = h
        .twilio_get(&format!(
            "/IncomingPhoneNumbers.json?PhoneNumber={}",
            &wanted[1][1..]
        ))
        .await;
    assert_eq!(
        numbers(&filtered, "incoming_phone_numbers"),
        [wanted[1].clone()]
    );

    let (status, fetched) = h
        .twilio_get(&format!("/IncomingPhoneNumbers/{}.json", sids[0]))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["phone_number"], wanted[0].as_str());

    let path = format!("/IncomingPhoneNumbers/{}.json", sids[0]);
    let (status, updated) = h
        .twilio_post(
            &path,
            &[
                ("FriendlyName", "Sales line"),
                ("VoiceUrl", "https://a.test/v"),
                ("VoiceMethod", "GET"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["friendly_name"], "Sales line");
    assert_eq!(updated["voice_url"], "https://a.test/v");
    assert_eq!(updated["voice_method"], "GET");
    assert_eq!(h.twilio_get(&path).await.1["friendly_name"], "Sales line");

    let (status, body) = h.twilio_delete(&path).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, body) = h.twilio_get(&path).await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (StatusCode::NOT_FOUND, Some(20404))
    );
    assert!(body["message"].as_str().unwrap().contains(&sids[0]));
    assert_eq!(h.twilio_delete(&path).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_released_number_is_on_sale_again() {
    let h = Harness::start().await;
    let sid = h.twilio_buy("+14155552671").await["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let search = "/AvailablePhoneNumbers/US/Local.json?Contains=%2B14155552671";
    assert!(numbers(&h.twilio_get(search).await.1, "available_phone_numbers").is_empty());
    assert_eq!(
        h.twilio_delete(&format!("/IncomingPhoneNumbers/{sid}.json"))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        numbers(&h.twilio_get(search).await.1, "available_phone_numbers"),
        ["+14155552671"]
    );
    assert_eq!(h.number_status("+14155552671").await["available"], true);
    let again = h.twilio_buy("+14155552671").await;
    assert_ne!(again["sid"], sid.as_str());
}

#[tokio::test]
async fn unknown_sids_and_other_accounts_numbers_are_not_found() {
    let h = Harness::start().await;
    let path = format!("/IncomingPhoneNumbers/PN{}.json", "0".repeat(32));
    let (status, body) = h.twilio_get(&path).await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (StatusCode::NOT_FOUND, Some(20404))
    );
    assert_eq!(body["status"], 404);
    // A number Plivo sold has no Twilio resource.
    h.control_post(
        "/numbers/+14155552671/assign",
        &serde_json::json!({"carrier": "plivo"}),
    )
    .await;
    let (_, list) = h.twilio_get("/IncomingPhoneNumbers.json").await;
    assert!(numbers(&list, "incoming_phone_numbers").is_empty());
}

#[tokio::test]
async fn bad_credentials_get_twilios_401() {
    let h = Harness::start().await;
    let url = h.twilio("/IncomingPhoneNumbers.json");
    let expected = serde_json::json!({
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401
    });
    let (status, body) = send(h.http.get(&url)).await;
    assert_eq!((status, &body), (StatusCode::UNAUTHORIZED, &expected));
    let (status, _) = send(h.http.get(&url).basic_auth(h.account_sid(), Some("wrong"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Right credentials, another account's path.
    let token = h.emulator.config().twilio.auth_token.clone();
    let other = h.url(&format!(
        "/2010-04-01/Accounts/AC{}/IncomingPhoneNumbers.json",
        "1".repeat(32)
    ));
    let (status, _) = send(h.http.get(&other).basic_auth(h.account_sid(), Some(&token))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let plivo = &h.emulator.config().plivo;
    let (status, _) = send(
        h.http
            .get(&url)
            .basic_auth(&plivo.auth_id, Some(&plivo.auth_token)),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
