//! What the Plivo adapter puts on the wire and how it reads Plivo's answers.

use crate::fake::{Fake, PLIVO_ID, Reply, basic_auth, e164, plivo, plivo_with};
use dialnexa_carriers::{Carrier, CarrierError, NumberUpdate, OwnedNumber, SearchQuery};
use dialnexa_domain::{Capabilities, CountryIso, Money, NumberType};
use serde_json::{Value, json};
use std::time::Duration;

fn account_path(tail: &str) -> String {
    format!("/v1/Account/{PLIVO_ID}/{tail}")
}

fn owned() -> OwnedNumber {
    OwnedNumber {
        phone_number: e164("+14155552671"),
        carrier_ref: "14155552671".to_owned(),
        friendly_name: None,
    }
}

fn bought(status: &str) -> Value {
    json!({"api_id": "x", "message": "created", "status": "fulfilled",
           "numbers": [{"number": "14155552671", "status": status}]})
}

#[tokio::test]
async fn buy_posts_an_empty_json_object_to_the_digits() {
    let fake = Fake::always(201, bought("Success")).await;

    let owned_number = plivo(&fake.base_url)
        .buy(&e164("+14155552671"))
        .await
        .unwrap();

    let request = fake.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, account_path("PhoneNumber/14155552671/"));
    assert_eq!(request.authorization, basic_auth(PLIVO_ID));
    assert_eq!(request.content_type, "application/json");
    assert_eq!(request.body, "{}");
    assert_eq!(owned_number, owned());
}

#[tokio::test]
async fn buy_links_the_configured_app_and_takes_pending_as_bought() {
    let fake = Fake::always(201, bought("pending")).await;
    let carrier = plivo_with(
        &fake.base_url,
        Duration::from_secs(5),
        Some("29986316244302815"),
    );

    let owned_number = carrier.buy(&e164("+14155552671")).await.unwrap();

    assert_eq!(
        fake.only_request().body,
        r#"{"app_id":"29986316244302815"}"#
    );
    assert_eq!(owned_number.carrier_ref, "14155552671");
}

#[tokio::test]
async fn buy_with_a_failed_number_status_is_rejected() {
    let fake = Fake::always(201, bought("Failed")).await;
    let result = plivo(&fake.base_url).buy(&e164("+14155552671")).await;
    assert!(
        matches!(result, Err(CarrierError::Rejected(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn update_posts_the_alias_as_json() {
    let fake = Fake::always(202, json!({"message": "changed", "api_id": "x"})).await;
    let update = NumberUpdate {
        friendly_name: Some("Sales line".to_owned()),
        voice_url: Some("https://ignored.example.com".to_owned()),
    };

    plivo(&fake.base_url)
        .update(&owned(), &update)
        .await
        .unwrap();

    let request = fake.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, account_path("Number/14155552671/"));
    assert_eq!(request.authorization, basic_auth(PLIVO_ID));
    assert_eq!(request.content_type, "application/json");
    assert_eq!(request.body, r#"{"alias":"Sales line"}"#);

    // Plivo routes voice through Applications: a voice_url alone changes nothing there.
    let fake = Fake::always(202, json!({})).await;
    let voice_only = NumberUpdate {
        friendly_name: None,
        voice_url: Some("https://x.test".into()),
    };
    plivo(&fake.base_url)
        .update(&owned(), &voice_only)
        .await
        .unwrap();
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn release_deletes_the_number_and_reports_a_missing_one() {
    let fake = Fake::start(|_| Reply::Empty(204)).await;
    plivo(&fake.base_url).release(&owned()).await.unwrap();
    let request = fake.only_request();
    assert_eq!(request.method, "DELETE");
    assert_eq!(request.path, account_path("Number/14155552671/"));
    assert_eq!(request.authorization, basic_auth(PLIVO_ID));
    assert_eq!(request.body, "");

    let fake = Fake::always(404, json!({"api_id": "x", "error": "not found"})).await;
    assert_eq!(
        plivo(&fake.base_url).release(&owned()).await,
        Err(CarrierError::NotFound)
    );
}

#[tokio::test]
async fn fetch_owned_reads_the_alias_and_maps_404_to_none() {
    let fake = Fake::always(
        200,
        json!({"api_id": "x", "number": "14155552671", "alias": "Support"}),
    )
    .await;
    let found = plivo(&fake.base_url)
        .fetch_owned(&e164("+14155552671"))
        .await
        .unwrap()
        .unwrap();
    let request = fake.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, account_path("Number/14155552671/"));
    assert_eq!(found.friendly_name.as_deref(), Some("Support"));
    assert_eq!(found.carrier_ref, "14155552671");

    let fake = Fake::always(404, json!({"api_id": "x", "error": "not found"})).await;
    assert_eq!(
        plivo(&fake.base_url)
            .fetch_owned(&e164("+14155552671"))
            .await,
        Ok(None)
    );
}

/// `count` inventory entries starting at +1 415 200 0000 + `from`.
fn inventory(from: usize, count: usize) -> Vec<Value> {
    (from..from + count)
        .map(|i| {
            json!({"number": format!("1415200{i:04}"), "voice_enabled": true, "sms_enabled": true,
                   "mms_enabled": false, "monthly_rental_rate": "0.80000", "city": "SAN FRANCISCO"})
        })
        .collect()
}

#[tokio::test]
async fn search_pages_with_offset_until_the_limit() {
    let fake = Fake::start(|request| {
        let offset = if request.query.contains("offset=20") {
            20
        } else {
            0
        };
        Reply::Json(
            200,
            json!({"api_id": "x",
            "meta": {"limit": 20, "offset": offset, "total_count": 100, "next": "/more/"},
            "objects": inventory(offset, 20)}),
        )
    })
    .await;
    let query = SearchQuery {
        country: CountryIso::parse("US").unwrap(),
        number_type: NumberType::Local,
        area_code: Some("415".to_owned()),
        contains: None,
        region: None,
        capabilities: Capabilities::parse_csv("voice,sms").unwrap(),
        limit: 30,
    };

    let found = plivo(&fake.base_url).search(&query).await.unwrap();

    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert!(
        requests
            .iter()
            .all(|r| r.path == account_path("PhoneNumber/"))
    );
    let base = "country_iso=US&type=local&pattern=415&services=voice%2Csms";
    assert_eq!(requests[0].query, format!("{base}&limit=20&offset=0"));
    assert_eq!(requests[1].query, format!("{base}&limit=10&offset=20"));
    assert_eq!(found.len(), 30);
    assert_eq!(found[0].phone_number, e164("+14152000000"));
    assert_eq!(
        found[0].carrier_monthly_cost,
        Some(Money::from_micros(800_000))
    );
    assert_eq!(found[0].locality.as_deref(), Some("SAN FRANCISCO"));
    assert_eq!(found[29].phone_number, e164("+14152000029"));
}

#[tokio::test]
async fn search_filters_contains_and_capabilities_locally_and_stops_at_the_last_page() {
    let mut objects = inventory(0, 3);
    objects[1]["sms_enabled"] = json!(false);
    objects.push(json!({"number": "1000", "voice_enabled": true, "sms_enabled": true}));
    let fake = Fake::always(
        200,
        json!({"api_id": "x",
        "meta": {"limit": 20, "offset": 0, "total_count": 4, "next": null}, "objects": objects}),
    )
    .await;
    let query = SearchQuery {
        country: CountryIso::parse("US").unwrap(),
        number_type: NumberType::TollFree,
        area_code: None,
        contains: Some("20000*0".to_owned()),
        region: Some("CA".to_owned()),
        capabilities: Capabilities::parse_csv("sms").unwrap(),
        limit: 10,
    };

    let found = plivo(&fake.base_url).search(&query).await.unwrap();

    let request = fake.only_request();
    assert_eq!(
        request.query,
        "country_iso=US&type=tollfree&region=CA&services=sms&limit=20&offset=0"
    );
    // Entry 1 lacks SMS, entry 2 does not match the pattern, "1000" is not a valid number.
    let numbers: Vec<_> = found.iter().map(|n| n.phone_number.as_str()).collect();
    assert_eq!(numbers, ["+14152000000"]);
}

#[tokio::test]
async fn list_owned_pages_with_offset_until_next_is_null() {
    let fake = Fake::start(|request| {
        let first = request.query == "limit=20&offset=0";
        let objects: Vec<Value> = if first {
            (0..20).map(|i| json!({"number": format!("1415200{i:04}"), "alias": null})).collect()
        } else {
            vec![json!({"number": "14152009999", "alias": "Support"})]
        };
        let next = if first { json!("/v1/next/") } else { Value::Null };
        Reply::Json(200, json!({"api_id": "x",
            "meta": {"limit": 20, "offset": 0, "total_count": 21, "next": next}, "objects": objects}))
    })
    .await;

    let owned = plivo(&fake.base_url).list_owned().await.unwrap();

    let queries: Vec<_> = fake
        .requests()
        .into_iter()
        .map(|r| (r.path, r.query))
        .collect();
    assert_eq!(
        queries,
        [
            (account_path("Number/"), "limit=20&offset=0".to_owned()),
            (account_path("Number/"), "limit=20&offset=20".to_owned()),
        ]
    );
    assert_eq!(owned.len(), 21);
    assert_eq!(owned[20].carrier_ref, "14152009999");
    assert_eq!(owned[20].friendly_name.as_deref(), Some("Support"));
}
