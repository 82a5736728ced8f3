//! What the Telnyx adapter puts on the wire and how it reads Telnyx's answers: bearer key,
//! deepObject filters, an order polled until it settles, the number's id from its record.

use crate::fake::{Fake, Recorded, Reply, TELNYX_KEY, e164, telnyx};
use dialnexa_carriers::{Carrier, CarrierError, NumberUpdate, OwnedNumber, SearchQuery};
use dialnexa_domain::{Capabilities, CountryIso, Money, NumberType};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

const ID: &str = "1293384261075731499";

fn record(status: &str) -> Value {
    json!({"id": ID, "record_type": "phone_number", "phone_number": "+14155552671",
           "status": status, "customer_reference": null})
}

fn order(status: &str) -> Value {
    json!({"data": {"id": "6b9e3c8a-2f41-4d0e-9a7b-5c3d2e1f0a9b", "status": status,
                    "phone_numbers": [{"phone_number": "+14155552671", "status": status}]}})
}

/// A Telnyx that answers an order `pending` for `pending_polls` polls, then `settled`.
fn ordering(pending_polls: u32, settled: &'static str) -> impl Fn(&Recorded) -> Reply {
    let polls = AtomicU32::new(0);
    move |r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/v2/number_orders") => Reply::Json(200, order("pending")),
        ("GET", p) if p.starts_with("/v2/number_orders/") => {
            let seen = polls.fetch_add(1, Ordering::SeqCst);
            Reply::Json(
                200,
                order(if seen < pending_polls {
                    "pending"
                } else {
                    settled
                }),
            )
        }
        ("GET", "/v2/phone_numbers") => Reply::Json(
            200,
            json!({"data": [record("active")],
            "meta": {"page_number": 1, "page_size": 20, "total_pages": 1, "total_results": 1}}),
        ),
        _ => Reply::Json(
            404,
            json!({"errors": [{"code": "10005", "title": "Resource not found"}]}),
        ),
    }
}

#[tokio::test]
async fn search_sends_deep_object_filters_with_the_bearer_key() {
    let answer = json!({"data": [{"record_type": "available_phone_number", "phone_number": "+14155550142",
        "region_information": [{"region_type": "state", "region_name": "CA"},
                               {"region_type": "location", "region_name": "San Francisco"}],
        "cost_information": {"upfront_cost": "1.00", "monthly_cost": "1.00", "currency": "USD"},
        "features": [{"name": "voice"}, {"name": "sms"}]}], "meta": {"total_results": 1}});
    let fake = Fake::always(200, answer).await;
    let query = SearchQuery {
        country: CountryIso::parse("US").unwrap(),
        number_type: NumberType::Local,
        area_code: Some("415".to_owned()),
        contains: Some("555".to_owned()),
        region: Some("CA".to_owned()),
        capabilities: Capabilities::parse_csv("voice,sms").unwrap(),
        limit: 5,
    };
    let found = telnyx(&fake.base_url).search(&query).await.unwrap();

    let request = fake.only_request();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/v2/available_phone_numbers")
    );
    assert_eq!(request.authorization, format!("Bearer {TELNYX_KEY}"));
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&request.query).unwrap();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("filter[country_code]"), Some("US"));
    assert_eq!(get("filter[phone_number_type]"), Some("local"));
    assert_eq!(get("filter[national_destination_code]"), Some("415"));
    assert_eq!(get("filter[phone_number][contains]"), Some("555"));
    assert_eq!(get("filter[administrative_area]"), Some("CA"));
    assert_eq!(get("filter[features]"), Some("voice,sms"));
    assert_eq!(get("filter[limit]"), Some("5"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].locality.as_deref(), Some("San Francisco"));
    assert_eq!(
        found[0].carrier_monthly_cost,
        Some(Money::from_micros(1_000_000))
    );
}

#[tokio::test]
async fn buy_orders_polls_until_success_and_reads_the_numbers_id() {
    let fake = Fake::start(ordering(2, "success")).await;
    let owned = telnyx(&fake.base_url)
        .buy(&e164("+14155552671"))
        .await
        .unwrap();
    assert_eq!(owned.carrier_ref, ID);

    let requests = fake.requests();
    let order = &requests[0];
    assert_eq!(
        (order.method.as_str(), order.path.as_str()),
        ("POST", "/v2/number_orders")
    );
    assert_eq!(order.content_type, "application/json");
    let body: Value = serde_json::from_str(&order.body).unwrap();
    assert_eq!(
        body,
        json!({"phone_numbers": [{"phone_number": "+14155552671"}],
                            "connection_id": "1684641123236054244"})
    );
    // Two pending polls, the settling one, then the number's record.
    let polls = requests
        .iter()
        .filter(|r| r.path.starts_with("/v2/number_orders/"))
        .count();
    assert_eq!(polls, 3);
    let last = requests.last().unwrap();
    assert_eq!(last.path, "/v2/phone_numbers");
    assert!(
        last.query
            .contains("filter%5Bphone_number%5D=%2B14155552671"),
        "{}",
        last.query
    );
}

#[tokio::test]
async fn an_order_that_fails_is_not_available_and_one_that_stays_pending_is_unknown() {
    let fake = Fake::start(ordering(0, "failure")).await;
    let failed = telnyx(&fake.base_url).buy(&e164("+14155552671")).await;
    assert_eq!(failed, Err(CarrierError::NotAvailable));

    let fake = Fake::start(ordering(u32::MAX, "success")).await;
    let pending = telnyx(&fake.base_url).buy(&e164("+14155552671")).await;
    assert!(
        matches!(pending, Err(CarrierError::UnknownOutcome(_))),
        "{pending:?}"
    );
}

#[tokio::test]
async fn fetch_owned_tells_ours_pending_and_gone_apart() {
    for (status, expected) in [
        ("active", Some(Some(ID))),
        ("purchase-pending", None),
        ("deleted", Some(None)),
    ] {
        let fake = Fake::always(
            200,
            json!({"data": [record(status)], "meta": {"total_pages": 1}}),
        )
        .await;
        let got = telnyx(&fake.base_url)
            .fetch_owned(&e164("+14155552671"))
            .await;
        match expected {
            Some(want) => assert_eq!(got.unwrap().map(|o| o.carrier_ref), want.map(str::to_owned)),
            // An order still running: ask again later, never guess.
            None => assert!(matches!(got, Err(CarrierError::Transient(_))), "{got:?}"),
        }
    }
}

#[tokio::test]
async fn update_patches_the_customer_reference_and_release_deletes_by_id() {
    let fake = Fake::always(200, json!({"data": record("active")})).await;
    let carrier = telnyx(&fake.base_url);
    let owned = OwnedNumber {
        phone_number: e164("+14155552671"),
        carrier_ref: ID.to_owned(),
        friendly_name: None,
    };
    let update = NumberUpdate {
        friendly_name: Some("Front desk".to_owned()),
        voice_url: None,
    };
    carrier.update(&owned, &update).await.unwrap();
    carrier.release(&owned).await.unwrap();
    let requests = fake.requests();
    assert_eq!(requests[0].method, "PATCH");
    assert_eq!(requests[0].path, format!("/v2/phone_numbers/{ID}"));
    assert_eq!(requests[0].body, r#"{"customer_reference":"Front desk"}"#);
    assert_eq!(
        (requests[1].method.as_str(), requests[1].path.as_str()),
        ("DELETE", requests[0].path.as_str())
    );

    let bad = OwnedNumber {
        carrier_ref: "../1".to_owned(),
        ..owned
    };
    assert!(matches!(
        carrier.release(&bad).await,
        Err(CarrierError::Rejected(_))
    ));
    assert_eq!(fake.requests().len(), 2, "a bad id never reaches the wire");
}

#[tokio::test]
async fn reserve_reports_held_and_refused_numbers() {
    let answer = json!({"data": {"id": "9c8b7a6d-5e4f-4321-8fed-cba987654321", "status": "success",
        "phone_numbers": [
            {"phone_number": "+14155552671", "status": "success", "expired_at": "2026-03-02T10:30:00.000Z"},
            {"phone_number": "+14155552672", "status": "failure", "errors": "Number is already on hold",
             "expired_at": "2026-03-02T10:30:00.000Z"}]}});
    let fake = Fake::always(200, answer).await;
    let carrier = telnyx(&fake.base_url);
    assert!(carrier.can_reserve());
    let numbers = [e164("+14155552671"), e164("+14155552672")];
    let held = carrier
        .reserve(&numbers, Duration::from_secs(1800))
        .await
        .unwrap();
    assert_eq!(held.held, [e164("+14155552671")]);
    assert_eq!(
        held.refused,
        [(e164("+14155552672"), "Number is already on hold".to_owned())]
    );
    assert_eq!(held.expires_at.to_string(), "2026-03-02T10:30:00Z");
    let body: Value = serde_json::from_str(&fake.only_request().body).unwrap();
    assert_eq!(body["phone_numbers"][1]["phone_number"], "+14155552672");
}

#[tokio::test]
async fn carriers_that_cannot_hold_numbers_say_so() {
    let carrier = crate::fake::twilio("http://127.0.0.1:9");
    assert!(!carrier.can_reserve());
    let refused = carrier
        .reserve(&[e164("+14155552671")], Duration::from_secs(60))
        .await;
    assert!(
        matches!(refused, Err(CarrierError::Rejected(_))),
        "{refused:?}"
    );
}
