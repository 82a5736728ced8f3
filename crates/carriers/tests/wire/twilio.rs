//! What the Twilio adapter puts on the wire and how it reads Twilio's answers.

use crate::fake::{Fake, PN, Reply, TWILIO_SID, basic_auth, e164, twilio};
use dialnexa_carriers::{Carrier, CarrierError, NumberUpdate, OwnedNumber, SearchQuery};
use dialnexa_domain::{Capabilities, CountryIso, NumberType};
use serde_json::json;

fn account_path(tail: &str) -> String {
    format!("/2010-04-01/Accounts/{TWILIO_SID}/{tail}")
}

fn owned() -> OwnedNumber {
    OwnedNumber {
        phone_number: e164("+14155552671"),
        carrier_ref: PN.to_owned(),
        friendly_name: None,
    }
}

#[tokio::test]
async fn buy_posts_the_number_as_a_form() {
    let answer =
        json!({"sid": PN, "phone_number": "+14155552671", "friendly_name": "(415) 555-2671"});
    let fake = Fake::always(201, answer).await;

    let bought = twilio(&fake.base_url)
        .buy(&e164("+14155552671"))
        .await
        .unwrap();

    let request = fake.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, account_path("IncomingPhoneNumbers.json"));
    assert_eq!(request.authorization, basic_auth(TWILIO_SID));
    assert_eq!(request.content_type, "application/x-www-form-urlencoded");
    assert_eq!(request.body, "PhoneNumber=%2B14155552671");
    assert_eq!(
        bought,
        OwnedNumber {
            phone_number: e164("+14155552671"),
            carrier_ref: PN.to_owned(),
            friendly_name: Some("(415) 555-2671".to_owned()),
        }
    );
}

#[tokio::test]
async fn update_posts_friendly_name_and_voice_url_to_the_sid() {
    let fake = Fake::always(200, json!({"sid": PN, "phone_number": "+14155552671"})).await;
    let update = NumberUpdate {
        friendly_name: Some("Sales line".to_owned()),
        voice_url: Some("https://agents.example.com/voice?a=1".to_owned()),
    };

    twilio(&fake.base_url)
        .update(&owned(), &update)
        .await
        .unwrap();

    let request = fake.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path,
        account_path(&format!("IncomingPhoneNumbers/{PN}.json"))
    );
    assert_eq!(request.authorization, basic_auth(TWILIO_SID));
    assert_eq!(request.content_type, "application/x-www-form-urlencoded");
    assert_eq!(
        request.body,
        "FriendlyName=Sales+line&VoiceUrl=https%3A%2F%2Fagents.example.com%2Fvoice%3Fa%3D1"
    );
}

#[tokio::test]
async fn an_empty_update_sends_nothing() {
    let fake = Fake::always(200, json!({})).await;
    twilio(&fake.base_url)
        .update(&owned(), &NumberUpdate::default())
        .await
        .unwrap();
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn release_deletes_the_sid_and_reports_a_missing_one() {
    let fake = Fake::start(|_| Reply::Empty(204)).await;
    twilio(&fake.base_url).release(&owned()).await.unwrap();
    let request = fake.only_request();
    assert_eq!(request.method, "DELETE");
    assert_eq!(
        request.path,
        account_path(&format!("IncomingPhoneNumbers/{PN}.json"))
    );
    assert_eq!(request.authorization, basic_auth(TWILIO_SID));
    assert_eq!(request.body, "");

    let gone =
        json!({"code": 20404, "message": "The requested resource was not found", "status": 404});
    let fake = Fake::always(404, gone).await;
    assert_eq!(
        twilio(&fake.base_url).release(&owned()).await,
        Err(CarrierError::NotFound)
    );
}

#[tokio::test]
async fn a_sid_that_could_change_the_path_is_refused_before_sending() {
    let fake = Fake::start(|_| Reply::Empty(204)).await;
    let evil = OwnedNumber {
        carrier_ref: "../../Calls".to_owned(),
        ..owned()
    };
    let result = twilio(&fake.base_url).release(&evil).await;
    assert!(
        matches!(result, Err(CarrierError::Rejected(_))),
        "{result:?}"
    );
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn search_sends_the_filters_and_reads_capabilities_in_any_case() {
    let answer = json!({"available_phone_numbers": [
        {"phone_number": "+14155552671", "capabilities": {"voice": true, "SMS": true, "MMS": false},
         "region": "CA", "locality": "San Francisco"},
        {"phone_number": "+1000", "capabilities": {"voice": true}},
        {"phone_number": "+14155552672", "capabilities": {"Voice": true, "sms": true, "fax": true}}
    ]});
    let fake = Fake::always(200, answer).await;
    let query = SearchQuery {
        country: CountryIso::parse("US").unwrap(),
        number_type: NumberType::Local,
        area_code: Some("415".to_owned()),
        contains: Some("555*".to_owned()),
        region: Some("CA".to_owned()),
        capabilities: Capabilities::parse_csv("voice,sms").unwrap(),
        limit: 5,
    };

    let found = twilio(&fake.base_url).search(&query).await.unwrap();

    let request = fake.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.path,
        account_path("AvailablePhoneNumbers/US/Local.json")
    );
    assert_eq!(
        request.query,
        "AreaCode=415&Contains=555*&InRegion=CA&VoiceEnabled=true&SmsEnabled=true&PageSize=5"
    );
    assert_eq!(request.authorization, basic_auth(TWILIO_SID));
    // The invalid "+1000" is skipped, not fatal.
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].phone_number, e164("+14155552671"));
    assert_eq!(found[0].capabilities.to_csv(), "voice,sms");
    assert_eq!(found[0].locality.as_deref(), Some("San Francisco"));
    assert_eq!(found[1].capabilities.to_csv(), "voice,sms,fax");
    assert_eq!(found[1].number_type, NumberType::Local);
}

#[tokio::test]
async fn search_picks_the_resource_for_each_number_type() {
    let fake = Fake::always(200, json!({"available_phone_numbers": []})).await;
    let carrier = twilio(&fake.base_url);
    for (number_type, resource) in [
        (NumberType::Mobile, "GB/Mobile.json"),
        (NumberType::TollFree, "GB/TollFree.json"),
    ] {
        let query = SearchQuery {
            country: CountryIso::parse("gb").unwrap(),
            number_type,
            area_code: None,
            contains: None,
            region: None,
            capabilities: Capabilities::default(),
            limit: 20,
        };
        assert!(carrier.search(&query).await.unwrap().is_empty());
        let last = fake.requests().pop().unwrap();
        assert_eq!(
            last.path,
            account_path(&format!("AvailablePhoneNumbers/{resource}"))
        );
        assert_eq!(last.query, "PageSize=20");
    }
}

#[tokio::test]
async fn list_owned_follows_next_page_uri() {
    let next = account_path("IncomingPhoneNumbers.json?PageSize=1000&Page=1&PageToken=PAabc");
    let fake = Fake::start(move |request| {
        if request.query.contains("PageToken=PAabc") {
            Reply::Json(
                200,
                json!({"incoming_phone_numbers": [
                {"sid": "PN2", "phone_number": "+14155552673", "friendly_name": "c"}
            ], "next_page_uri": null}),
            )
        } else {
            Reply::Json(
                200,
                json!({"incoming_phone_numbers": [
                {"sid": "PN0", "phone_number": "+14155552671", "friendly_name": "a"},
                {"sid": "PN1", "phone_number": "+14155552672", "friendly_name": null}
            ], "next_page_uri": next}),
            )
        }
    })
    .await;

    let owned = twilio(&fake.base_url).list_owned().await.unwrap();

    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].query, "PageSize=1000");
    assert_eq!(requests[1].path, account_path("IncomingPhoneNumbers.json"));
    assert_eq!(requests[1].query, "PageSize=1000&Page=1&PageToken=PAabc");
    assert_eq!(requests[1].authorization, basic_auth(TWILIO_SID));
    let refs: Vec<_> = owned.iter().map(|o| o.carrier_ref.as_str()).collect();
    assert_eq!(refs, ["PN0", "PN1", "PN2"]);
    assert_eq!(owned[1].friendly_name, None);
}

#[tokio::test]
async fn fetch_owned_wants_the_exact_number() {
    let fake = Fake::always(
        200,
        json!({"incoming_phone_numbers": [
            {"sid": "PNpartial", "phone_number": "+14155552672"},
            {"sid": PN, "phone_number": "+14155552671", "friendly_name": "Support"}
        ]}),
    )
    .await;

    let found = twilio(&fake.base_url)
        .fetch_owned(&e164("+14155552671"))
        .await
        .unwrap();

    let request = fake.only_request();
    assert_eq!(request.path, account_path("IncomingPhoneNumbers.json"));
    assert_eq!(request.query, "PhoneNumber=%2B14155552671");
    assert_eq!(found.unwrap().carrier_ref, PN);

    let fake = Fake::always(200, json!({"incoming_phone_numbers": []})).await;
    assert_eq!(
        twilio(&fake.base_url)
            .fetch_owned(&e164("+14155552671"))
            .await,
        Ok(None)
    );
}

#[tokio::test]
async fn search_in_a_country_without_inventory_is_empty() {
    let gone =
        json!({"code": 20404, "message": "The requested resource was not found", "status": 404});
    let fake = Fake::always(404, gone).await;
    let query = SearchQuery {
        country: CountryIso::parse("VA").unwrap(),
        number_type: NumberType::Mobile,
        area_code: None,
        contains: None,
        region: None,
        capabilities: Capabilities::default(),
        limit: 5,
    };
    assert_eq!(twilio(&fake.base_url).search(&query).await, Ok(Vec::new()));
}
