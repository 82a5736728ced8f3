//! Reservations: numbers held for one workspace against every other, in search, purchase and
//! reservation; ended early or by their deadline; a race of many workspaces for few numbers.

use crate::helpers::{Tenant, TestApp, assert_error};
use dialnexa_service::ManualClock;
use serde_json::{Value, json};
use std::sync::Arc;

const RESERVE: &str = "/v1/organization-phone-numbers/reservations";

/// `n` numbers on sale in New York, as the search lists them.
pub async fn on_sale(app: &TestApp, t: &Tenant, n: usize, provider: &str) -> Vec<String> {
    let (status, body) = app
        .get(
            t,
            &format!(
                "/v1/organization-phone-numbers/available?country_iso=US&area_code=212&limit={n}&provider={provider}"
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let numbers: Vec<String> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["phone_number"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(numbers.len(), n, "{body}");
    numbers
}

fn search_item<'a>(body: &'a Value, number: &str) -> &'a Value {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["phone_number"] == number)
        .unwrap_or_else(|| panic!("{number} not in {body}"))
}

#[tokio::test]
async fn a_reservation_holds_numbers_against_every_other_workspace() {
    let app = TestApp::spawn().await;
    let (a, b) = (
        app.tenant(&["US"], &[]).await,
        app.tenant(&["US"], &[]).await,
    );
    let n = on_sale(&app, &a, 3, "twilio").await;

    let (status, held) = app
        .post(&a, RESERVE, json!({"phone_numbers": [n[0], n[1]]}))
        .await;
    assert_eq!(status, 201, "{held}");
    let id = held["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("rsv_"), "{held}");
    assert_eq!(held["status"], "active");
    assert_eq!(held["provider"], "twilio");
    assert_eq!(held["phone_numbers"], json!([n[0], n[1]]));
    let expires: jiff::Timestamp = held["expires_at"].as_str().unwrap().parse().unwrap();
    let created: jiff::Timestamp = held["created_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires.duration_since(created).as_secs(), 1800);

    // Another workspace: refused to buy or hold them, and shown them as not purchasable.
    assert_error(&app.buy(&b, &n[0]).await, 409, "number_reserved");
    let second = app
        .post(&b, RESERVE, json!({"phone_numbers": [n[2], n[1]]}))
        .await;
    assert_error(&second, 409, "number_reserved");
    assert_eq!(second.1["field"], "phone_numbers", "{}", second.1);
    let path = "/v1/organization-phone-numbers/available?country_iso=US&area_code=212&limit=3";
    let (_, seen_by_b) = app.get(&b, path).await;
    assert_eq!(search_item(&seen_by_b, &n[0])["purchasable"], false);
    assert_eq!(search_item(&seen_by_b, &n[0])["blocked_by"], "reserved");
    assert_eq!(search_item(&seen_by_b, &n[2])["purchasable"], true);
    let (_, seen_by_a) = app.get(&a, path).await;
    assert_eq!(search_item(&seen_by_a, &n[0])["purchasable"], true);
    // All or none: the refused reservation held nothing, so n[2] is still free for B.
    let (status, body) = app
        .post(&b, RESERVE, json!({"phone_numbers": [n[2]]}))
        .await;
    assert_eq!(status, 201, "{body}");

    // The holder buys as usual.
    let (status, bought) = app.buy(&a, &n[0]).await;
    assert_eq!(status, 201, "{bought}");

    // It is the holder's alone to read and end; ended, its numbers are free at once.
    let one = format!("{RESERVE}/{id}");
    assert_error(&app.get(&b, &one).await, 404, "not_found");
    assert_error(
        &app.request(reqwest::Method::DELETE, &b, &one, None).await,
        404,
        "not_found",
    );
    let (status, read) = app.get(&a, &one).await;
    assert_eq!((status, &read["status"]), (200, &json!("active")), "{read}");
    let (status, ended) = app.request(reqwest::Method::DELETE, &a, &one, None).await;
    assert_eq!(
        (status, &ended["status"]),
        (200, &json!("released")),
        "{ended}"
    );
    let (status, body) = app.buy(&b, &n[1]).await;
    assert_eq!(status, 201, "{body}");

    // Both ends are in the audit log, with the reservation's id.
    for action in ["reservation.create", "reservation.release"] {
        let (_, log) = app
            .get(&a, &format!("/v1/audit-events?action={action}"))
            .await;
        assert_eq!(log["total"], 1, "{action}: {log}");
        assert_eq!(log["items"][0]["resource_id"], id.as_str(), "{log}");
    }
}

#[tokio::test]
async fn a_reservation_runs_out_by_itself() {
    let clock = ManualClock::new("2027-03-01T10:00:00Z".parse().unwrap());
    let app = TestApp::spawn_with_clock(Arc::new(clock.clone())).await;
    let (a, b) = (
        app.tenant(&["US"], &[]).await,
        app.tenant(&["US"], &[]).await,
    );
    let n = on_sale(&app, &a, 1, "twilio").await;
    let (status, held) = app
        .post(
            &a,
            RESERVE,
            json!({"phone_numbers": [n[0]], "ttl_seconds": 60}),
        )
        .await;
    assert_eq!(status, 201, "{held}");
    assert_eq!(held["expires_at"], "2027-03-01T10:01:00.000Z");
    assert_error(&app.buy(&b, &n[0]).await, 409, "number_reserved");

    clock.advance(jiff::SignedDuration::from_secs(61));
    // Free at once, whether or not the sweeper has been by; and read as expired.
    let (status, body) = app.buy(&b, &n[0]).await;
    assert_eq!(status, 201, "{body}");
    let (_, read) = app
        .get(&a, &format!("{RESERVE}/{}", held["id"].as_str().unwrap()))
        .await;
    assert_eq!(read["status"], "expired", "{read}");
}

#[tokio::test]
async fn bad_reservations_are_refused_with_their_field() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let many: Vec<String> = (0..21).map(|i| format!("+1212555{i:04}")).collect();
    for (body, code, field) in [
        (json!({}), "missing_field", "phone_numbers"),
        (
            json!({"phone_numbers": many}),
            "too_many_numbers",
            "phone_numbers",
        ),
        (
            json!({"phone_numbers": ["12"]}),
            "invalid_phone_number",
            "phone_numbers",
        ),
        (
            json!({"phone_numbers": ["+12125550100"], "provider": "nope"}),
            "invalid_provider",
            "provider",
        ),
        (
            json!({"phone_numbers": ["+12125550100"], "ttl_seconds": 1801}),
            "invalid_ttl",
            "ttl_seconds",
        ),
    ] {
        let answer = app.post(&t, RESERVE, body.clone()).await;
        assert_error(&answer, 400, code);
        assert_eq!(answer.1["field"], field, "{body}: {}", answer.1);
    }
    // A country the workspace has not enabled.
    let gb = app
        .post(&t, RESERVE, json!({"phone_numbers": ["+442071838750"]}))
        .await;
    assert_error(&gb, 400, "country_not_enabled");
    for id in ["rsv_nope", "phn_01kdz3f4w7x2kx5mb9qz", "x"] {
        assert_error(
            &app.get(&t, &format!("{RESERVE}/{id}")).await,
            404,
            "not_found",
        );
    }
}

#[tokio::test]
async fn fifty_workspaces_racing_for_ten_numbers_each_number_held_by_one() {
    let app = TestApp::spawn().await;
    let first = app.tenant(&["US"], &[]).await;
    let numbers = on_sale(&app, &first, 10, "twilio").await;
    let mut tenants = vec![first];
    for _ in 1..50 {
        tenants.push(app.tenant(&["US"], &[]).await);
    }
    // All fifty ask for the same ten numbers at once.
    let attempts = tenants.iter().map(|t| {
        let app = &app;
        let numbers = json!(numbers);
        async move {
            app.post(t, RESERVE, json!({"phone_numbers": numbers}))
                .await
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let mut holder_of: std::collections::HashMap<String, usize> = Default::default();
    for (i, (status, body)) in answers.iter().enumerate() {
        match status {
            201 => {
                for n in body["phone_numbers"].as_array().unwrap() {
                    let previous = holder_of.insert(n.as_str().unwrap().to_owned(), i);
                    assert_eq!(previous, None, "{n} held twice");
                }
            }
            409 => assert_eq!(body["code"], "number_reserved", "{body}"),
            other => panic!("workspace {i}: {other} {body}"),
        }
    }
    // Every number is held by exactly one workspace: a newcomer sees each one reserved.
    let newcomer = app.tenant(&["US"], &[]).await;
    for n in &numbers {
        assert_error(&app.buy(&newcomer, n).await, 409, "number_reserved");
    }
    assert_eq!(holder_of.len(), 10, "every number is held: {holder_of:?}");
    for (n, holder) in &holder_of {
        let (status, body) = app.buy(&tenants[*holder], n).await;
        assert_eq!(status, 201, "the holder of {n} buys it: {body}");
    }
}

#[tokio::test]
async fn a_telnyx_reservation_is_held_at_the_carrier_too() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let n = on_sale(&app, &t, 1, "telnyx").await;
    let (status, held) = app
        .post(
            &t,
            RESERVE,
            json!({"phone_numbers": [n[0]], "provider": "telnyx"}),
        )
        .await;
    assert_eq!(status, 201, "{held}");
    assert_eq!(held["provider"], "telnyx");
    // Telnyx holds it for our Telnyx account: no other carrier account can buy it there.
    let (status, body) = app
        .post(
            &t,
            "/v1/organization-phone-numbers/purchase",
            json!({"phone_number": n[0], "provider": "twilio"}),
        )
        .await;
    assert!(status == 409 || status == 400, "{status} {body}");
    let (status, body) = app
        .post(
            &t,
            "/v1/organization-phone-numbers/purchase",
            json!({"phone_number": n[0], "provider": "telnyx"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn a_reservation_and_another_workspaces_purchase_of_one_number_never_both_succeed() {
    let app = TestApp::spawn().await;
    let reserver = app.tenant(&["US"], &[]).await;
    let buyer = app.tenant(&["US"], &[]).await;
    // Rounds of forty numbers, each reserved by one workspace and bought by the other at the
    // same moment: one of the two wins each number, never both (and never neither).
    for round in 0..3 {
        let numbers = on_sale(&app, &reserver, 40, "twilio").await;
        let races = numbers.iter().map(|n| {
            let app = &app;
            let (reserver, buyer) = (&reserver, &buyer);
            async move {
                let reserve = app.post(reserver, RESERVE, json!({"phone_numbers": [n]}));
                let buy = app.buy(buyer, n);
                let (reserved, bought) = futures::future::join(reserve, buy).await;
                (n.clone(), reserved, bought)
            }
        });
        for (n, (reserved, r_body), (bought, b_body)) in futures::future::join_all(races).await {
            match (reserved, bought) {
                (201, 409) => assert_eq!(b_body["code"], "number_reserved", "{b_body}"),
                (409, 201) => {}
                other => panic!("round {round}, {n}: {other:?}: {r_body} / {b_body}"),
            }
        }
    }
}
