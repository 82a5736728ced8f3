//! Quantity orders: bought in the background through the purchase saga, settled as completed,
//! partial or failed with each failure's reason; an `all_or_none` order that cannot finish
//! gives back what it bought.

use crate::helpers::{Tenant, TestApp, assert_error};
use crate::reservations::on_sale;
use crate::support::eventually;
use dialnexa_domain::{CountryIso, E164, NumberType, OrderId, Provider, ReservationId};
use dialnexa_store::{HoldMode, NewOrder, NewReservation};
use serde_json::{Value, json};
use std::time::Duration;

const ORDERS: &str = "/v1/organization-phone-numbers/orders";

/// The order once it is no longer pending.
pub async fn settled(app: &TestApp, t: &Tenant, id: &str) -> Value {
    eventually(Duration::from_secs(60), || async {
        let (status, body) = app.get(t, &format!("{ORDERS}/{id}")).await;
        match (status, body["status"].as_str()) {
            (200, Some("pending")) | (_, None) => Err(format!("{status} {body}")),
            _ => Ok(body),
        }
    })
    .await
}

#[tokio::test]
async fn an_order_buys_its_quantity_through_the_purchase_saga() {
    let app = TestApp::spawn().await;
    let (t, other) = (
        app.tenant(&["US"], &[]).await,
        app.tenant(&["US"], &[]).await,
    );
    // Another workspace holds two of the numbers on sale: the order passes them by.
    let held = on_sale(&app, &other, 2, "twilio").await;
    let (status, body) = app
        .post(
            &other,
            "/v1/organization-phone-numbers/reservations",
            json!({"phone_numbers": held}),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    let (status, placed) = app
        .post(
            &t,
            ORDERS,
            json!({"country_iso": "US", "area_code": "212", "quantity": 5, "mode": "all_or_none"}),
        )
        .await;
    assert_eq!(status, 202, "{placed}");
    let id = placed["id"].as_str().unwrap();
    assert!(id.starts_with("ord_"), "{placed}");
    assert_eq!(placed["status"], "pending");
    assert_eq!(placed["quantity"], 5);

    let done = settled(&app, &t, id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["bought"], 5);
    let items = done["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    for item in items {
        assert_eq!(item["status"], "bought", "{item}");
        assert!(
            !held.iter().any(|h| item["phone_number"] == h.as_str()),
            "{item}"
        );
        // Each is a number of the workspace, bought and charged like any purchase.
        let number_id = item["phone_number_id"].as_str().unwrap();
        let (status, number) = app
            .get(&t, &format!("/v1/organization-phone-numbers/{number_id}"))
            .await;
        assert_eq!(
            (status, &number["status"]),
            (200, &json!("active")),
            "{number}"
        );
    }
    let (_, charges) = app.get(&t, "/v1/billing/charges").await;
    assert_eq!(charges["total"], 5, "{charges}");
    // The order's hold ended with it.
    let rsv = done["reservation_id"].as_str().unwrap();
    let (_, reservation) = app
        .get(
            &t,
            &format!("/v1/organization-phone-numbers/reservations/{rsv}"),
        )
        .await;
    assert_eq!(reservation["status"], "released", "{reservation}");
    // Another workspace cannot see it.
    assert_error(
        &app.get(&other, &format!("{ORDERS}/{id}")).await,
        404,
        "not_found",
    );
    // The order is audited, and each of its purchases as any purchase is.
    let (_, log) = app.get(&t, "/v1/audit-events?action=order.create").await;
    assert_eq!(log["items"][0]["resource_id"], id, "{log}");
    let (_, log) = app
        .get(&t, "/v1/audit-events?action=phone_number.purchase")
        .await;
    assert_eq!(log["total"], 5, "{log}");
}

#[tokio::test]
async fn a_best_effort_order_keeps_what_it_bought_and_says_why_the_rest_failed() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    // Telnyx's next number order fails: the first number cannot be bought.
    app.set_faults(json!({"order_fail_next": 1})).await;
    let (status, placed) = app
        .post(
            &t,
            ORDERS,
            json!({"country_iso": "US", "area_code": "212", "quantity": 3,
                   "provider": "telnyx", "mode": "best_effort"}),
        )
        .await;
    assert_eq!(status, 202, "{placed}");
    let done = settled(&app, &t, placed["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "partial", "{done}");
    assert_eq!(done["bought"], 2, "{done}");
    let failed: Vec<&Value> = done["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{done}");
    assert!(
        failed[0]["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{done}"
    );
}

#[tokio::test]
async fn an_all_or_none_order_short_of_numbers_buys_none() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let n = on_sale(&app, &t, 1, "twilio").await;
    // Only one number matches the whole number's digits.
    let digits = n[0].trim_start_matches("+1").to_owned();
    let order =
        |mode: &str| json!({"country_iso": "US", "contains": digits, "quantity": 3, "mode": mode});
    let (status, placed) = app.post(&t, ORDERS, order("all_or_none")).await;
    assert_eq!(status, 202, "{placed}");
    let done = settled(&app, &t, placed["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert!(
        done["failure_reason"]
            .as_str()
            .unwrap()
            .contains("only 1 of the 3"),
        "{done}"
    );
    let (_, list) = app.get(&t, "/v1/organization-phone-numbers").await;
    assert_eq!(list["total"], 0, "{list}");

    let (_, placed) = app.post(&t, ORDERS, order("best_effort")).await;
    let done = settled(&app, &t, placed["id"].as_str().unwrap()).await;
    assert_eq!(
        (&done["status"], &done["bought"]),
        (&json!("partial"), &json!(1)),
        "{done}"
    );
}

#[tokio::test]
async fn an_all_or_none_order_that_cannot_finish_releases_what_it_bought() {
    // No worker rounds after start-up: the test drives the order itself.
    let app = TestApp::spawn_with(|args| args.recovery_interval_ms = 3_600_000).await;
    let t = app.tenant(&["US"], &[]).await;
    let n = on_sale(&app, &t, 3, "twilio").await;
    let store = app.services.store();
    let now = app.services.clock().now();
    let order = store
        .insert_order(&NewOrder {
            id: OrderId::generate(),
            workspace_id: t.id.clone(),
            country: CountryIso::parse("US").unwrap(),
            number_type: NumberType::Local,
            area_code: Some("212".into()),
            contains: None,
            region: None,
            quantity: 3,
            provider: Provider::Twilio,
            mode: "all_or_none".into(),
            created_at: now,
        })
        .await
        .unwrap();
    // Its numbers are held (step one done), then another buyer takes the second at the carrier.
    let hold = NewReservation {
        id: ReservationId::generate(),
        workspace_id: t.id.clone(),
        provider: Provider::Twilio,
        phone_numbers: n.iter().map(|x| E164::parse(x).unwrap()).collect(),
        carrier_ref: None,
        created_at: now,
        expires_at: now
            .checked_add(jiff::SignedDuration::from_mins(30))
            .unwrap(),
    };
    let mode = HoldMode::ForOrder {
        order: order.id.clone(),
        want: 3,
    };
    store.reserve(&hold, &mode, now).await.unwrap();
    app.carrier_take(&n[1]).await;

    app.services.work_order(&order.id).await.unwrap();
    let done = settled(&app, &t, order.id.as_str()).await;
    assert_eq!(done["status"], "failed", "{done}");
    let statuses: Vec<&str> = done["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["released", "failed", "failed"], "{done}");
    // The first was bought, then released through the release saga: nothing is kept.
    let first = done["items"][0]["phone_number_id"].as_str().unwrap();
    let (_, number) = app
        .get(&t, &format!("/v1/organization-phone-numbers/{first}"))
        .await;
    assert_eq!(number["status"], "released", "{number}");
    let at_carrier = app.carrier_number(&n[0]).await;
    assert_eq!(at_carrier["available"], true, "{at_carrier}");
}

#[tokio::test]
async fn bad_orders_are_refused_with_their_field() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    for (body, code, field) in [
        (json!({"country_iso": "US"}), "missing_field", "quantity"),
        (
            json!({"country_iso": "US", "quantity": 0}),
            "invalid_quantity",
            "quantity",
        ),
        (
            json!({"country_iso": "US", "quantity": 101}),
            "invalid_quantity",
            "quantity",
        ),
        (
            json!({"country_iso": "US", "quantity": 2, "mode": "most"}),
            "invalid_mode",
            "mode",
        ),
        (
            json!({"country_iso": "US", "quantity": 2, "provider": "nope"}),
            "invalid_provider",
            "provider",
        ),
        (json!({"quantity": 2}), "missing_field", "country_iso"),
        (
            json!({"country_iso": "US", "quantity": 2, "area_code": "2x"}),
            "invalid_area_code",
            "area_code",
        ),
    ] {
        let answer = app.post(&t, ORDERS, body.clone()).await;
        assert_error(&answer, 400, code);
        assert_eq!(answer.1["field"], field, "{body}: {}", answer.1);
    }
    let gb = app
        .post(&t, ORDERS, json!({"country_iso": "GB", "quantity": 2}))
        .await;
    assert_error(&gb, 400, "country_not_enabled");
    for id in ["ord_nope", "rsv_01kdz3f4w7x2kx5mb9qz", "x"] {
        assert_error(
            &app.get(&t, &format!("{ORDERS}/{id}")).await,
            404,
            "not_found",
        );
    }
}
