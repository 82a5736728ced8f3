//! The Plivo wire format end to end: search, rent, list, get, update, unrent, errors.

mod common;

use common::Harness;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn numbers(body: &Value) -> Vec<String> {
    body["objects"]
        .as_array()
        .unwrap_or_else(|| panic!("no objects in {body}"))
        .iter()
        .map(|n| n["number"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn search_answers_plivos_fields_and_pages() {
    let h = Harness::start().await;
    let (status, body) = h
        .plivo_get("/PhoneNumber/?country_iso=US&type=local&pattern=415&limit=5&services=voice,sms")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["api_id"].as_str().unwrap().len() == 36);
    let meta = &body["meta"];
    assert_eq!(
        (meta["limit"].as_u64(), meta["offset"].as_u64()),
        (Some(5), Some(0))
    );
    assert!(meta["total_count"].as_u64().unwrap() > 1_000_000);
    assert!(meta["next"].as_str().unwrap().contains("offset=5"));
    assert!(meta["previous"].is_null());
    let objects = body["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 5);
    let first = &objects[0];
    let number = first["number"].as_str().unwrap();
    assert!(number.starts_with("1415") && !number.starts_with('+'));
    assert_eq!(first["prefix"], "415");
    assert_eq!(first["country"], "UNITED STATES");
    assert_eq!(first["region"], "California");
    assert_eq!(first["city"], "SAN FRANCISCO");
    assert_eq!(
        (first["type"].as_str(), first["sub_type"].as_str()),
        (Some("fixed"), Some("local"))
    );
    assert_eq!(first["monthly_rental_rate"], "1.15000");
    assert_eq!(
        (
            first["voice_enabled"].as_bool(),
            first["sms_enabled"].as_bool()
        ),
        (Some(true), Some(true))
    );
    for key in [
        "setup_rate",
        "voice_rate",
        "sms_rate",
        "mms_enabled",
        "restriction",
        "restriction_text",
    ] {
        assert!(first.get(key).is_some(), "{key} missing");
    }
    assert_eq!(
        first["resource_uri"],
        format!("/v1/Account/{}/PhoneNumber/{number}/", h.auth_id())
    );

    let (_, next) = h
        .plivo_get("/PhoneNumber/?country_iso=US&pattern=415&limit=5&offset=5&services=voice,sms")
        .await;
    let page_two = numbers(&next);
    assert_eq!(page_two.len(), 5);
    assert!(!page_two.contains(&number.to_owned()));
    assert!(
        next["meta"]["previous"]
            .as_str()
            .unwrap()
            .contains("offset=0")
    );
}

#[tokio::test]
async fn search_filters_and_refusals() {
    let h = Harness::start().await;
    let (_, body) = h
        .plivo_get("/PhoneNumber/?country_iso=IN&type=tollfree&limit=3")
        .await;
    assert!(
        numbers(&body).iter().all(|n| n.starts_with("911800")),
        "{body}"
    );
    let (_, body) = h
        .plivo_get("/PhoneNumber/?country_iso=DE&type=local&limit=1")
        .await;
    assert_eq!(body["objects"][0]["restriction"], "city-address");
    let (_, body) = h
        .plivo_get("/PhoneNumber/?country_iso=US&region=Texas&limit=3")
        .await;
    assert!(
        body["objects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["region"] == "Texas")
    );
    let (status, body) = h.plivo_get("/PhoneNumber/?type=local").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].is_string() && body["api_id"].is_string());
    let (status, _) = h.plivo_get("/PhoneNumber/?country_iso=US&limit=21").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn rent_answers_created_and_a_second_rent_is_not_found() {
    let h = Harness::start().await;
    let (status, body) = h
        .plivo_post("/PhoneNumber/912234567890/", &json!({"app_id": "31337"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["message"], "created");
    assert_eq!(body["status"], "fulfilled");
    assert_eq!(
        body["numbers"],
        json!([{"number": "912234567890", "status": "Success"}])
    );
    assert!(body["api_id"].is_string());

    let (status, again) = h.plivo_post("/PhoneNumber/912234567890/", &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(again["error"], "not found");
    assert!(again["api_id"].is_string());
    // Not in stock at all: the same answer.
    let (status, _) = h.plivo_post("/PhoneNumber/14152001234/", &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn list_get_update_and_unrent() {
    let h = Harness::start().await;
    let (_, search) = h
        .plivo_get("/PhoneNumber/?country_iso=GB&type=mobile&limit=3")
        .await;
    let wanted = numbers(&search);
    for number in &wanted {
        let (status, body) = h
            .plivo_post(&format!("/PhoneNumber/{number}/"), &json!({}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, list) = h.plivo_get("/Number/?limit=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(numbers(&list), wanted[..2]);
    assert_eq!(list["meta"]["total_count"], 3);
    assert!(list["meta"]["next"].as_str().unwrap().contains("offset=2"));
    let (_, rest) = h.plivo_get("/Number/?limit=2&offset=2").await;
    assert_eq!(numbers(&rest), wanted[2..]);
    let (_, filtered) = h
        .plivo_get(&format!("/Number/?number_startswith={}", &wanted[1]))
        .await;
    assert_eq!(numbers(&filtered), [wanted[1].clone()]);

    let path = format!("/Number/{}/", wanted[0]);
    let (status, got) = h.plivo_get(&path).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert!(got["api_id"].is_string());
    assert_eq!(got["number_type"], "mobile");
    assert_eq!(got["carrier"], "Plivo");
    assert_eq!(got["region"], "UNITED KINGDOM");
    assert!(got["alias"].is_null() && got["application"].is_null());
    assert_eq!(
        got["resource_uri"],
        format!("/v1/Account/{}/Number/{}/", h.auth_id(), wanted[0])
    );

    let (status, changed) = h
        .plivo_post(&path, &json!({"alias": "Front desk", "app_id": "77"}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(changed["message"], "changed");
    let (_, got) = h.plivo_get(&path).await;
    assert_eq!(got["alias"], "Front desk");
    assert_eq!(
        got["application"],
        format!("/v1/Account/{}/Application/77/", h.auth_id())
    );

    let (status, body) = h.plivo_delete(&path).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, body) = h.plivo_get(&path).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not found"))
    );
    assert_eq!(h.plivo_delete(&path).await.0, StatusCode::NOT_FOUND);
    // Back on sale.
    assert_eq!(
        h.plivo_post(&format!("/PhoneNumber/{}/", wanted[0]), &json!({}))
            .await
            .0,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn one_stock_behind_both_carriers() {
    let h = Harness::start().await;
    h.twilio_buy("+14155552671").await;
    let (status, _) = h.plivo_post("/PhoneNumber/14155552671/", &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Twilio's number is not Plivo's to see or give back.
    assert_eq!(
        h.plivo_get("/Number/14155552671/").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.plivo_delete("/Number/14155552671/").await.0,
        StatusCode::NOT_FOUND
    );
    let (_, search) = h
        .plivo_get("/PhoneNumber/?country_iso=US&pattern=4155552671")
        .await;
    assert!(numbers(&search).is_empty());
    assert_eq!(search["meta"]["total_count"], 0);
}

#[tokio::test]
async fn bad_credentials_get_plivos_401() {
    let h = Harness::start().await;
    let url = h.plivo("/Number/");
    // Plain text, as Plivo answers: the `plivo` SDK turns it into its AuthenticationError,
    // where a JSON body on a list call breaks it.
    let answer = h.http.get(&url).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let content_type = answer.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = answer.text().await.unwrap();
    assert!(text.starts_with("Authentication failed"), "{text}");
    let wrong = h.http.get(&url).basic_auth(h.auth_id(), Some("nope"));
    assert_eq!(
        wrong.send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let token = h.emulator.config().plivo.auth_token.clone();
    let other = h.url("/v1/Account/MAOTHERACCOUNT0000001/Number/");
    let elsewhere = h.http.get(&other).basic_auth(h.auth_id(), Some(&token));
    assert_eq!(
        elsewhere.send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}
