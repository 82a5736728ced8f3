//! The Telnyx wire format end to end: search, asynchronous orders, reservations that hold
//! numbers against every carrier, the account's numbers, and errors in Telnyx's shape.

mod common;

use common::{Harness, send};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn order_body(numbers: &[&str]) -> Value {
    let numbers: Vec<Value> = numbers
        .iter()
        .map(|n| json!({ "phone_number": n }))
        .collect();
    json!({ "phone_numbers": numbers })
}

/// Orders `e164`, polls until the order settles, and returns the number's record.
async fn order(h: &Harness, e164: &str) -> Value {
    let (status, body) = h.telnyx_post("/number_orders", &order_body(&[e164])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "pending");
    let id = body["data"]["id"].as_str().unwrap().to_owned();
    let (status, polled) = h.telnyx_get(&format!("/number_orders/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{polled}");
    assert_eq!(polled["data"]["status"], "success", "{polled}");
    owned_record(h, e164).await
}

async fn owned_record(h: &Harness, e164: &str) -> Value {
    let path = format!("/phone_numbers?filter[phone_number]={}", &e164[1..]);
    let (status, body) = h.telnyx_get(&path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{body}");
    data[0].clone()
}

#[tokio::test]
async fn search_answers_telnyx_fields_and_honours_filters() {
    let h = Harness::start().await;
    let query = "/available_phone_numbers?filter[country_code]=US&filter[national_destination_code]=415\
                 &filter[features]=voice,sms&filter[limit]=5";
    let (status, body) = h.telnyx_get(query).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 5);
    let first = &data[0];
    assert_eq!(first["record_type"], "available_phone_number");
    assert!(first["phone_number"].as_str().unwrap().starts_with("+1415"));
    assert_eq!(first["cost_information"]["currency"], "USD");
    let features: Vec<&str> = first["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        features.contains(&"voice") && features.contains(&"sms"),
        "{features:?}"
    );
    assert!(body["meta"]["total_results"].as_u64().unwrap() > 5);

    let contains =
        "/available_phone_numbers?filter[country_code]=US&filter[phone_number][contains]=5552671";
    let (_, body) = h.telnyx_get(contains).await;
    let found: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["phone_number"].as_str().unwrap())
        .collect();
    assert!(
        !found.is_empty() && found.iter().all(|n| n.contains("5552671")),
        "{found:?}"
    );

    let (status, body) = h
        .telnyx_get("/available_phone_numbers?filter[country_code]=ZZ")
        .await;
    assert_eq!(
        (status, body["data"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0))
    );
    let (status, body) = h.telnyx_get("/available_phone_numbers").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("country_code")
    );
}

#[tokio::test]
async fn an_order_claims_at_once_and_settles_when_polled() {
    let h = Harness::start().await;
    h.control_post("/faults", &json!({ "order_pending_polls": 1 }))
        .await;
    let (status, body) = h
        .telnyx_post("/number_orders", &order_body(&["+14155552671"]))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["data"]["phone_numbers"][0]["status"], "pending");
    // Claimed already: nobody else can buy it, and the account sees it pending.
    let owner = h.number_status("+14155552671").await["owner"].clone();
    assert_eq!(
        owner,
        format!("telnyx:{}", h.emulator.config().telnyx.account_id)
    );
    assert_eq!(
        owned_record(&h, "+14155552671").await["status"],
        "purchase-pending"
    );
    let (_, twilio) = h
        .twilio_post(
            "/IncomingPhoneNumbers.json",
            &[("PhoneNumber", "+14155552671")],
        )
        .await;
    assert_eq!(twilio["code"], 21422);

    let (_, first) = h.telnyx_get(&format!("/number_orders/{id}")).await;
    assert_eq!(first["data"]["status"], "pending");
    let (_, second) = h.telnyx_get(&format!("/number_orders/{id}")).await;
    assert_eq!(second["data"]["status"], "success");
    assert_eq!(second["data"]["phone_numbers"][0]["status"], "success");
    assert_eq!(owned_record(&h, "+14155552671").await["status"], "active");
}

#[tokio::test]
async fn a_failed_order_puts_its_number_back_on_sale() {
    let h = Harness::start().await;
    h.control_post("/faults", &json!({ "order_fail_next": 1 }))
        .await;
    let (_, body) = h
        .telnyx_post("/number_orders", &order_body(&["+14155552671"]))
        .await;
    let id = body["data"]["id"].as_str().unwrap().to_owned();
    let (_, polled) = h.telnyx_get(&format!("/number_orders/{id}")).await;
    assert_eq!(polled["data"]["status"], "failure");
    assert_eq!(h.number_status("+14155552671").await["available"], true);
    let (_, list) = h.telnyx_get("/phone_numbers").await;
    assert_eq!(list["meta"]["total_results"], 0);
}

#[tokio::test]
async fn numbers_are_read_changed_and_deleted() {
    let h = Harness::start().await;
    let number = order(&h, "+14155552671").await;
    let id = number["id"].as_str().unwrap().to_owned();
    assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id}");
    assert_eq!(number["phone_number_type"], "local");
    assert_eq!(number["country_iso_alpha2"], "US");

    let (status, patched) = h
        .telnyx_patch(
            &format!("/phone_numbers/{id}"),
            &json!({ "customer_reference": "Front desk", "connection_id": "1684641123236054244", "tags": ["sales"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let (_, fetched) = h.telnyx_get(&format!("/phone_numbers/{id}")).await;
    assert_eq!(fetched["data"]["customer_reference"], "Front desk");
    assert_eq!(fetched["data"]["connection_id"], "1684641123236054244");
    assert_eq!(fetched["data"]["tags"], json!(["sales"]));

    let (status, deleted) = h.telnyx_delete(&format!("/phone_numbers/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["data"]["status"], "deleted");
    assert_eq!(h.number_status("+14155552671").await["available"], true);
    let (status, gone) = h.telnyx_get(&format!("/phone_numbers/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(gone["errors"][0]["code"], "10005");
    let (status, _) = h.telnyx_delete(&format!("/phone_numbers/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_number_not_for_sale_refuses_the_whole_order() {
    let h = Harness::start().await;
    h.control_post("/numbers/+14155552671/take", &json!({}))
        .await;
    let (status, body) = h
        .telnyx_post(
            "/number_orders",
            &order_body(&["+14155552672", "+14155552671"]),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("not available")
    );
    // All or nothing: the first number was given back.
    assert_eq!(h.number_status("+14155552672").await["available"], true);
    let (status, _) = h
        .telnyx_post("/number_orders", &order_body(&["+14152001234"]))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn reservations_hold_numbers_for_thirty_minutes_against_everyone_else() {
    let h = Harness::start().await;
    let body = order_body(&["+14155552671", "+14155552673"]);
    let (status, held) = h.telnyx_post("/number_reservations", &body).await;
    assert_eq!(status, StatusCode::OK, "{held}");
    let data = &held["data"];
    assert_eq!(data["status"], "success");
    let created: jiff::Timestamp = data["created_at"].as_str().unwrap().parse().unwrap();
    let expires: jiff::Timestamp = data["phone_numbers"][0]["expired_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        expires.duration_since(created),
        jiff::SignedDuration::from_mins(30)
    );
    let id = data["id"].as_str().unwrap();
    let (_, again) = h.telnyx_get(&format!("/number_reservations/{id}")).await;
    assert_eq!(again["data"]["id"], id);

    // Another buyer cannot buy a held number, nor hold it again; the holder can order it.
    let (_, twilio) = h
        .twilio_post(
            "/IncomingPhoneNumbers.json",
            &[("PhoneNumber", "+14155552671")],
        )
        .await;
    assert_eq!(twilio["code"], 21422);
    let (status, _) = h.plivo_post("/PhoneNumber/14155552673/", &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    order(&h, "+14155552671").await;

    // Half an hour later the hold is gone.
    h.control_post("/clock", &json!({ "advance_secs": 31 * 60 }))
        .await;
    h.twilio_buy("+14155552673").await;
    let (_, late) = h
        .telnyx_post(
            "/number_reservations",
            &order_body(&["+14155552673", "+14152001234"]),
        )
        .await;
    assert_eq!(late["data"]["status"], "failure");
    assert_eq!(
        late["data"]["phone_numbers"][0]["errors"],
        "Number is not available"
    );
}

#[tokio::test]
async fn bad_keys_and_faults_answer_in_telnyx_shape() {
    let h = Harness::start().await;
    let url = h.telnyx("/phone_numbers");
    let (status, body) = send(h.http.get(&url).bearer_auth("KEYnope")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["code"], "10009");
    let (status, _) = send(h.http.get(&url).basic_auth("user", Some("pass"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    h.control_post("/faults", &json!({ "fail_next": 1, "fail_status": 503 }))
        .await;
    let (status, body) = h.telnyx_get("/phone_numbers").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["errors"][0]["code"], "10007");
    let (status, _) = h.telnyx_get("/phone_numbers").await;
    assert_eq!(status, StatusCode::OK);

    // A planted Telnyx number (an orphan for reconciliation tests) is active at once.
    let (status, planted) = h
        .control_post(
            "/numbers/+14155552671/assign",
            &json!({ "carrier": "telnyx" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{planted}");
    let record = owned_record(&h, "+14155552671").await;
    assert_eq!(record["status"], "active");
    assert_eq!(record["id"], planted["sid"]);
}
