//! Telnyx as a third carrier through the whole API: search, price, purchase (an asynchronous
//! number order at the carrier), rename, release and reconciliation, against the embedded
//! emulator's Telnyx.

use crate::helpers::TestApp;
use serde_json::json;

#[tokio::test]
async fn a_telnyx_number_is_searched_bought_renamed_and_released() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (status, found) = app
        .get(
            &t,
            "/v1/organization-phone-numbers/available?country_iso=US&type=local&area_code=415&limit=3&provider=telnyx",
        )
        .await;
    assert_eq!(status, 200, "{found}");
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{found}");
    for item in items {
        assert!(item["phone_number"].as_str().unwrap().starts_with("+1415"));
        assert_eq!(item["provider"], "telnyx");
        assert_eq!(item["monthly_cost_usd"], "1.00");
        assert_eq!(item["purchasable"], true);
    }
    let number = items[0]["phone_number"].as_str().unwrap().to_owned();

    let (status, bought) = app
        .post(
            &t,
            "/v1/organization-phone-numbers/purchase",
            json!({"phone_number": number, "provider": "telnyx"}),
        )
        .await;
    assert_eq!(status, 201, "{bought}");
    assert_eq!(bought["provider"], "telnyx");
    assert_eq!(bought["status"], "active");
    assert_eq!(bought["monthly_cost_usd"], "1.00");
    let at_carrier = app.carrier_number(&number).await;
    assert!(
        at_carrier["owner"].as_str().unwrap().starts_with("telnyx:"),
        "{at_carrier}"
    );
    // The carrier's handle is Telnyx's phone number id, a decimal string.
    let sid = at_carrier["sid"].as_str().unwrap();
    assert!(sid.bytes().all(|b| b.is_ascii_digit()), "{at_carrier}");

    let id = bought["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/organization-phone-numbers/{id}");
    let (status, renamed) = app
        .patch(&t, &path, json!({"nickname": "Front desk"}))
        .await;
    assert_eq!(status, 200, "{renamed}");
    let owned = app.carrier_owned().await;
    let entry = owned
        .iter()
        .find(|o| o["phone_number"] == number.as_str())
        .unwrap();
    assert_eq!(entry["friendly_name"], "Front desk");

    // Buying it again, here or as another workspace, is a 409.
    let other = app.tenant(&["US"], &[]).await;
    let (status, again) = app
        .post(
            &other,
            "/v1/organization-phone-numbers/purchase",
            json!({"phone_number": number, "provider": "telnyx"}),
        )
        .await;
    assert_eq!(status, 409, "{again}");

    let (status, released) = app.delete(&t, &path).await;
    assert_eq!(status, 200, "{released}");
    assert_eq!(released["status"], "released");
    assert_eq!(app.carrier_number(&number).await["available"], true);
    let (_, read_back) = app.get(&t, &path).await;
    assert_eq!(read_back["status"], "released");
}

#[tokio::test]
async fn telnyx_prices_are_listed_and_a_number_it_will_not_sell_is_refused() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US", "GB"], &[]).await;
    let (status, prices) = app
        .get(
            &t,
            "/v1/phone-number-pricing?country_iso=GB&provider=telnyx&type=mobile",
        )
        .await;
    assert_eq!(status, 200, "{prices}");
    let prices = prices.as_array().unwrap();
    assert_eq!(prices.len(), 1, "{prices:?}");
    assert_eq!(prices[0]["monthly_cost_usd"], "1.00");
    assert_eq!(prices[0]["telephonyProvider"]["name"], "Telnyx");

    // Taken at the carrier by someone else and never seen in a search: "not available".
    app.carrier_take("+14155552671").await;
    let (status, refused) = app
        .post(
            &t,
            "/v1/organization-phone-numbers/purchase",
            json!({"phone_number": "+14155552671", "provider": "telnyx"}),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["code"], "number_not_available");
}

#[tokio::test]
async fn reconciliation_finds_and_releases_a_telnyx_orphan() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .post(format!(
            "{}/_emulator/numbers/%2B14155552671/assign",
            app.emulator
        ))
        .json(&json!({"carrier": "telnyx"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let report = app.services.reconcile(false).await.unwrap();
    assert_eq!(report.orphans.len(), 1, "{report:?}");
    assert_eq!(report.orphans[0].phone_number, "+14155552671");
    app.services.reconcile(true).await.unwrap();
    assert_eq!(app.carrier_number("+14155552671").await["available"], true);
}
