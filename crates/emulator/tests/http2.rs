//! HTTP/2 with prior knowledge (h2c) on the same port as HTTP/1.1, with room for a thousand
//! requests in flight on one connection.

mod common;

use std::time::Instant;

use common::{Harness, send};
use futures::future::join_all;
use reqwest::{Client, RequestBuilder, StatusCode, Version};
use serde_json::json;

/// A client that speaks HTTP/2 from its first byte, as one told the server does on `http://`.
fn h2_client() -> Client {
    Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("an HTTP/2 client")
}

fn twilio_auth(h: &Harness, request: RequestBuilder) -> RequestBuilder {
    let account = &h.emulator.config().twilio;
    request.basic_auth(&account.account_sid, Some(&account.auth_token))
}

#[tokio::test]
async fn an_http2_client_searches_and_buys_beside_http1_clients() {
    let h = Harness::start().await;
    let h2 = h2_client();

    let search = h.twilio("/AvailablePhoneNumbers/US/Local.json?Contains=2671&PageSize=5");
    let response = twilio_auth(&h, h2.get(&search)).send().await.unwrap();
    assert_eq!(response.version(), Version::HTTP_2);
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    let found = body["available_phone_numbers"].as_array().unwrap();
    assert_eq!(found.len(), 5, "{body}");
    let number = found[0]["phone_number"].as_str().unwrap().to_owned();
    assert!(number.ends_with("2671"), "{number}");

    let buy = h.twilio("/IncomingPhoneNumbers.json");
    let response = twilio_auth(&h, h2.post(&buy))
        .form(&[("PhoneNumber", number.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), Version::HTTP_2);
    assert_eq!(response.status(), StatusCode::CREATED);
    let (status, again) =
        send(twilio_auth(&h, h2.post(&buy)).form(&[("PhoneNumber", &number)])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(again["code"], 21422);

    // The same port still speaks HTTP/1.1 to clients that do not know better.
    let response = h.http.get(h.url("/_emulator/health")).send().await.unwrap();
    assert_eq!(response.version(), Version::HTTP_11);
    assert_eq!(h.number_status(&number).await["available"], false);
    // Unknown paths answer as over HTTP/1.1.
    let (status, body) = send(h2.get(h.url("/2010-04-01/Nowhere.json"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], 20404);
}

#[tokio::test]
async fn a_thousand_slow_buys_share_one_http2_connection() {
    let h = Harness::start().await;
    let (status, _) = h
        .control_post("/faults", &json!({ "buy_latency_ms": 200 }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let h2 = h2_client();
    // Opens the connection; every buy below is a stream on it (an HTTP/2 client shares one
    // connection per host).
    let health = h2.get(h.url("/_emulator/health")).send().await.unwrap();
    assert_eq!(health.version(), Version::HTTP_2);

    let buy = h.twilio("/IncomingPhoneNumbers.json");
    let started = Instant::now();
    let buys = (0..1_000).map(|i| {
        let request =
            twilio_auth(&h, h2.post(&buy)).form(&[("PhoneNumber", format!("+1212230{i:04}"))]);
        async move {
            let response = request.send().await.expect("the emulator answers");
            (response.version(), response.status())
        }
    });
    let answers = join_all(buys).await;
    let elapsed = started.elapsed();
    println!(
        "1,000 concurrent buys with 200 ms of buy latency over one HTTP/2 connection: {elapsed:?}"
    );

    let created = answers
        .iter()
        .filter(|answer| **answer == (Version::HTTP_2, StatusCode::CREATED))
        .count();
    assert_eq!(created, 1_000, "{answers:?}");
    let (_, owned) = h.control_get("/owned").await;
    assert_eq!(owned.as_array().unwrap().len(), 1_000);
}
