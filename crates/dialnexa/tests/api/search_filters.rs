//! Search filters as Twilio users know them: vanity `contains` (letters as keypad digits, `*`
//! for any digit), area code, region, required capabilities, through both carriers.

use crate::helpers::{TestApp, assert_error};
use serde_json::Value;

const BASE: &str = "/v1/organization-phone-numbers/available";

fn items(body: &Value) -> Vec<Value> {
    body["items"].as_array().expect("items").clone()
}

fn digits(item: &Value) -> String {
    item["phone_number"]
        .as_str()
        .unwrap()
        .trim_start_matches('+')
        .to_owned()
}

/// Twilio's `Contains`: the pattern anywhere in the number, `*` matching any one digit.
fn contains(number: &str, pattern: &str) -> bool {
    let p = pattern.as_bytes();
    number
        .as_bytes()
        .windows(p.len())
        .any(|w| w.iter().zip(p).all(|(d, c)| *c == b'*' || c == d))
}

#[tokio::test]
async fn vanity_and_wildcard_patterns_match_like_twilio() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    // STORE on a phone keypad is 78673, GO is 46. Plivo only matches prefixes, so the adapter
    // filters its pages itself: a shorter word keeps the test quick there.
    for (provider, word, keypad, wildcard) in [
        ("twilio", "STORE", "78673", "4*5"),
        ("plivo", "go", "46", "3*0"),
    ] {
        let (status, body) = app
            .get(
                &t,
                &format!(
                    "{BASE}?country_iso=US&type=local&contains={word}&limit=5&provider={provider}"
                ),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let found = items(&body);
        assert!(!found.is_empty(), "{provider}: {body}");
        for item in &found {
            assert!(digits(item).contains(keypad), "{provider}: {item}");
            assert_eq!(item["provider"], provider);
        }
        let (status, body) = app
            .get(
                &t,
                &format!("{BASE}?country_iso=US&type=local&contains={wildcard}&limit=5&provider={provider}"),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let found = items(&body);
        assert!(!found.is_empty(), "{provider}: {body}");
        for item in &found {
            assert!(contains(&digits(item), wildcard), "{provider}: {item}");
        }
    }
}

#[tokio::test]
async fn area_code_region_and_capabilities_narrow_the_results() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (status, body) = app
        .get(
            &t,
            &format!("{BASE}?country_iso=US&type=local&region=TX&limit=5"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let found = items(&body);
    assert!(!found.is_empty(), "{body}");
    for item in &found {
        assert_eq!(item["region"], "TX", "{item}");
    }
    let (status, body) = app
        .get(
            &t,
            &format!("{BASE}?country_iso=US&type=local&area_code=212&limit=3"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(items(&body).len(), 3, "{body}");
    for item in items(&body) {
        assert!(digits(&item).starts_with("1212"), "{item}");
    }
    let (status, body) = app
        .get(
            &t,
            &format!("{BASE}?country_iso=US&type=local&capabilities=voice,sms&limit=5"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(items(&body).len(), 5, "{body}");
    for item in items(&body) {
        let caps = item["capabilities"].as_array().unwrap();
        assert!(
            caps.contains(&"voice".into()) && caps.contains(&"sms".into()),
            "{item}"
        );
        assert_eq!(item["purchasable"], true);
        assert_eq!(item["blocked_by"], Value::Null);
    }
    assert_error(
        &app.get(&t, &format!("{BASE}?country_iso=US&area_code=41a"))
            .await,
        400,
        "invalid_area_code",
    );
}

#[tokio::test]
async fn each_result_says_what_stands_in_the_way() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US", "IN"], &[]).await;
    let blocked = |country: &str, kind: &str| {
        let path = format!("{BASE}?country_iso={country}&type={kind}&limit=2");
        let (app, t) = (&app, &t);
        async move {
            let (status, body) = app.get(t, &path).await;
            assert_eq!(status, 200, "{body}");
            let first = items(&body).remove(0);
            (first["purchasable"].clone(), first["blocked_by"].clone())
        }
    };
    assert_eq!(blocked("US", "local").await, (true.into(), Value::Null));
    assert_eq!(
        blocked("US", "toll_free").await,
        (false.into(), "kyc_required".into())
    );
    assert_eq!(
        blocked("IN", "mobile").await,
        (false.into(), "kyc_required".into())
    );
    assert_eq!(
        blocked("GB", "local").await,
        (false.into(), "country_not_enabled".into())
    );
    app.set_kyc(&t, "IN", dialnexa_domain::KycStatus::Approved)
        .await;
    assert_eq!(blocked("IN", "mobile").await, (true.into(), Value::Null));
}
