//! The error classification table, end to end over real sockets: what each carrier failure
//! becomes, so the purchase saga can tell "refused" from "retry" from "outcome unknown".

use crate::fake::{
    Fake, PN, Reply, TOKEN, e164, hang_up_base_url, plivo, plivo_with, refused_base_url, twilio,
    twilio_with_timeout,
};
use dialnexa_carriers::{Carrier, CarrierError, NumberUpdate, OwnedNumber, SearchQuery};
use dialnexa_domain::{Capabilities, CountryIso, NumberType};
use serde_json::json;
use std::time::Duration;

fn query() -> SearchQuery {
    SearchQuery {
        country: CountryIso::parse("US").unwrap(),
        number_type: NumberType::Local,
        area_code: None,
        contains: None,
        region: None,
        capabilities: Capabilities::default(),
        limit: 5,
    }
}

fn twilio_owned() -> OwnedNumber {
    OwnedNumber {
        phone_number: e164("+14155552671"),
        carrier_ref: PN.into(),
        friendly_name: None,
    }
}

fn twilio_error(code: u32, status: u16, message: &str) -> serde_json::Value {
    json!({"code": code, "message": message, "more_info": "https://www.twilio.com/docs/errors", "status": status})
}

#[tokio::test]
async fn refused_credentials_are_unauthorized() {
    let fake = Fake::always(401, twilio_error(20003, 401, "Authenticate")).await;
    assert_eq!(
        twilio(&fake.base_url).search(&query()).await,
        Err(CarrierError::Unauthorized)
    );
    let fake = Fake::always(
        401,
        json!({"api_id": "x", "error": "authentication failed"}),
    )
    .await;
    assert_eq!(
        plivo(&fake.base_url).list_owned().await,
        Err(CarrierError::Unauthorized)
    );
}

#[tokio::test]
async fn rate_limits_are_transient_even_on_buy() {
    let fake = Fake::always(429, twilio_error(20429, 429, "Too Many Requests")).await;
    let result = twilio(&fake.base_url).buy(&e164("+14155552671")).await;
    assert!(
        matches!(result, Err(CarrierError::Transient(_))),
        "{result:?}"
    );
    let fake = Fake::always(429, json!({"error": "too many requests"})).await;
    let result = plivo(&fake.base_url).buy(&e164("+14155552671")).await;
    assert!(
        matches!(result, Err(CarrierError::Transient(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn server_errors_leave_a_buy_unknown_and_a_read_retryable() {
    let fake = Fake::always(500, json!({"message": "internal"})).await;
    let result = twilio(&fake.base_url).buy(&e164("+14155552671")).await;
    assert!(
        matches!(result, Err(CarrierError::UnknownOutcome(_))),
        "{result:?}"
    );
    let result = twilio(&fake.base_url).search(&query()).await;
    assert!(
        matches!(result, Err(CarrierError::Transient(_))),
        "{result:?}"
    );

    let fake = Fake::always(503, json!({"error": "server error"})).await;
    let result = plivo(&fake.base_url).buy(&e164("+14155552671")).await;
    assert!(
        matches!(result, Err(CarrierError::UnknownOutcome(_))),
        "{result:?}"
    );
    let result = plivo(&fake.base_url)
        .fetch_owned(&e164("+14155552671"))
        .await;
    assert!(
        matches!(result, Err(CarrierError::Transient(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_timeout_leaves_a_write_unknown_and_a_read_retryable() {
    let fake = Fake::start(|_| Reply::Stall(Duration::from_secs(3))).await;
    let carrier = twilio_with_timeout(&fake.base_url, Duration::from_millis(300));
    let result = carrier.buy(&e164("+14155552671")).await;
    assert!(
        matches!(result, Err(CarrierError::UnknownOutcome(_))),
        "{result:?}"
    );
    let result = carrier.release(&twilio_owned()).await;
    assert!(
        matches!(result, Err(CarrierError::UnknownOutcome(_))),
        "{result:?}"
    );
    let result = carrier.search(&query()).await;
    assert!(
        matches!(result, Err(CarrierError::Transient(_))),
        "{result:?}"
    );

    let carrier = plivo_with(&fake.base_url, Duration::from_millis(300), None);
    let update = NumberUpdate {
        friendly_name: Some("x".into()),
        voice_url: None,
    };
    let owned = OwnedNumber {
        carrier_ref: "14155552671".into(),
        ..twilio_owned()
    };
    let result = carrier.update(&owned, &update).await;
    assert!(
        matches!(result, Err(CarrierError::UnknownOutcome(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_transient_even_for_a_buy() {
    let base_url = refused_base_url();
    let result = twilio(&base_url).buy(&e164("+14155552671")).await;
    let Err(CarrierError::Transient(message)) = result else {
        panic!("{result:?}")
    };
    assert!(message.contains("buy"), "{message}");
    let result = plivo(&base_url).buy(&e164("+14155552671")).await;
    assert!(
        matches!(result, Err(CarrierError::Transient(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_hang_up_after_sending_leaves_a_buy_unknown() {
    let base_url = hang_up_base_url().await;
    let result = twilio(&base_url).buy(&e164("+14155552671")).await;
    assert!(
        matches!(result, Err(CarrierError::UnknownOutcome(_))),
        "{result:?}"
    );
    let result = plivo(&base_url).list_owned().await;
    assert!(
        matches!(result, Err(CarrierError::Transient(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn twilio_21422_is_not_available_and_other_refusals_carry_the_message() {
    let fake = Fake::always(
        400,
        twilio_error(21422, 400, "PhoneNumber is not available"),
    )
    .await;
    let result = twilio(&fake.base_url).buy(&e164("+14155552671")).await;
    assert_eq!(result, Err(CarrierError::NotAvailable));

    let fake = Fake::always(400, twilio_error(21421, 400, "PhoneNumber is invalid")).await;
    let result = twilio(&fake.base_url).buy(&e164("+14155552671")).await;
    assert_eq!(
        result,
        Err(CarrierError::Rejected(
            "PhoneNumber is invalid (Twilio error 21421)".into()
        ))
    );
}

#[tokio::test]
async fn plivo_buy_refusals_are_not_available() {
    let fake = Fake::always(404, json!({"api_id": "x", "error": "not found"})).await;
    let result = plivo(&fake.base_url).buy(&e164("+14155552671")).await;
    assert_eq!(result, Err(CarrierError::NotAvailable));

    let fake = Fake::always(
        400,
        json!({"error": "This number is not available for purchase"}),
    )
    .await;
    let result = plivo(&fake.base_url).buy(&e164("+14155552671")).await;
    assert_eq!(result, Err(CarrierError::NotAvailable));

    let fake = Fake::always(400, json!({"error": "invalid app_id"})).await;
    let result = plivo(&fake.base_url).buy(&e164("+14155552671")).await;
    assert_eq!(result, Err(CarrierError::Rejected("invalid app_id".into())));
}

#[tokio::test]
async fn an_unreadable_success_on_buy_is_unknown() {
    let fake = Fake::always(201, json!({"status": "in-use"})).await;
    let result = twilio(&fake.base_url).buy(&e164("+14155552671")).await;
    assert!(
        matches!(result, Err(CarrierError::UnknownOutcome(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn credentials_never_appear_in_error_messages() {
    // A carrier (or a proxy in front of it) that echoes our Authorization header back.
    let fake = Fake::start(|request| {
        Reply::Json(
            400,
            json!({"message": format!("bad header {} for {TOKEN}", request.authorization)}),
        )
    })
    .await;
    let result = twilio(&fake.base_url).search(&query()).await;
    let Err(CarrierError::Rejected(message)) = result else {
        panic!("{result:?}")
    };
    assert!(!message.contains(TOKEN), "{message}");
    let encoded = fake
        .only_request()
        .authorization
        .trim_start_matches("Basic ")
        .to_owned();
    assert!(!message.contains(&encoded), "{message}");
    assert!(message.contains("[redacted]"), "{message}");
}
