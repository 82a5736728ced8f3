//! The readiness check's call on each adapter: one small authenticated read, answered `Ok` only
//! when the carrier accepts our credentials.

use crate::fake::{
    Fake, PLIVO_ID, TELNYX_KEY, TWILIO_SID, basic_auth, plivo, refused_base_url, telnyx, twilio,
};
use dialnexa_carriers::{Carrier, CarrierError};
use serde_json::json;

#[tokio::test]
async fn twilio_ping_reads_one_owned_number_with_the_account_credentials() {
    let fake = Fake::always(200, json!({"incoming_phone_numbers": []})).await;
    twilio(&fake.base_url).ping().await.unwrap();
    let request = fake.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.path,
        format!("/2010-04-01/Accounts/{TWILIO_SID}/IncomingPhoneNumbers.json")
    );
    assert_eq!(request.query, "PageSize=1");
    assert_eq!(request.authorization, basic_auth(TWILIO_SID));
}

#[tokio::test]
async fn plivo_ping_reads_one_owned_number_with_the_account_credentials() {
    let page = json!({"api_id": "x", "meta": {"limit": 1, "offset": 0, "next": null,
        "previous": null, "total_count": 0}, "objects": []});
    let fake = Fake::always(200, page).await;
    plivo(&fake.base_url).ping().await.unwrap();
    let request = fake.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, format!("/v1/Account/{PLIVO_ID}/Number/"));
    assert_eq!(request.query, "limit=1&offset=0");
    assert_eq!(request.authorization, basic_auth(PLIVO_ID));
}

#[tokio::test]
async fn telnyx_ping_reads_one_owned_number_with_the_api_key() {
    let page = json!({"data": [], "meta": {"page_number": 1, "page_size": 1,
        "total_pages": 0, "total_results": 0}});
    let fake = Fake::always(200, page).await;
    telnyx(&fake.base_url).ping().await.unwrap();
    let request = fake.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/v2/phone_numbers");
    assert_eq!(request.query, "page%5Bnumber%5D=1&page%5Bsize%5D=1");
    assert_eq!(request.authorization, format!("Bearer {TELNYX_KEY}"));
}

#[tokio::test]
async fn ping_fails_on_refused_credentials_and_on_a_carrier_that_does_not_answer() {
    let fake = Fake::always(401, json!({"code": 20003, "message": "Authenticate"})).await;
    assert_eq!(
        twilio(&fake.base_url).ping().await,
        Err(CarrierError::Unauthorized)
    );
    let refused = refused_base_url();
    for carrier in [
        Box::new(twilio(&refused)) as Box<dyn Carrier>,
        Box::new(plivo(&refused)),
        Box::new(telnyx(&refused)),
    ] {
        let answer = carrier.ping().await;
        assert!(
            matches!(answer, Err(CarrierError::Transient(_))),
            "{}: {answer:?}",
            carrier.provider()
        );
    }
}
