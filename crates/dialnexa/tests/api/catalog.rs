//! Reference data: country rules (checked against libphonenumber itself), the workspace's
//! enabled network groups, and rental pricing.

use crate::helpers::{Tenant, TestApp, assert_error};
use phonenumber::metadata::DATABASE;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The national-number lengths libphonenumber allows for a region, over all its number types.
fn lengths(meta: &phonenumber::metadata::Metadata) -> BTreeSet<u64> {
    let d = meta.descriptors();
    [
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.personal_number(),
        d.voip(),
        d.pager(),
        d.uan(),
        d.voicemail(),
    ]
    .into_iter()
    .flatten()
    .flat_map(|d| d.possible_length().iter().map(|&l| u64::from(l)))
    .collect()
}

fn examples(meta: &phonenumber::metadata::Metadata) -> Vec<String> {
    let d = meta.descriptors();
    [d.fixed_line(), d.mobile(), d.toll_free()]
        .into_iter()
        .flatten()
        .filter_map(|d| d.example().map(str::to_owned))
        .collect()
}

async fn get_array(app: &TestApp, t: &Tenant, path: &str) -> Vec<Value> {
    let (status, body) = app.get(t, path).await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .expect("the spec answers a plain array")
        .clone()
}

#[tokio::test]
async fn country_rules_agree_with_libphonenumber() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let rules = get_array(&app, &t, "/v1/phone-country-rules/countries").await;
    let geographic = DATABASE
        .iter()
        .filter(|m| m.id().len() == 2 && m.id().bytes().all(|b| b.is_ascii_uppercase()))
        .count();
    assert_eq!(rules.len(), geographic, "every region libphonenumber knows");

    let mut checked_examples = 0;
    for rule in &rules {
        let iso = rule["country_iso"].as_str().unwrap();
        let meta = DATABASE
            .by_id(iso)
            .unwrap_or_else(|| panic!("{iso} unknown"));
        assert_eq!(rule["id"], format!("pcr_{}", iso.to_lowercase()));
        assert_eq!(
            rule["calling_code"],
            meta.country_code().to_string(),
            "{iso}"
        );
        let want = lengths(meta);
        let got: BTreeSet<u64> = rule["national_number_lengths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_u64().unwrap())
            .collect();
        assert_eq!(got, want, "{iso} lengths");
        assert_eq!(rule["max_length"].as_u64(), want.last().copied(), "{iso}");
        assert_eq!(rule["min_length"].as_u64(), want.first().copied(), "{iso}");
        assert_eq!(rule["is_deleted"], false);
        assert!(!rule["country_name"].as_str().unwrap().is_empty(), "{iso}");
        let prefixes: Vec<&str> = rule["prefixes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        assert!(!prefixes.is_empty(), "{iso}");

        // libphonenumber's own example numbers fit the rule.
        for example in examples(meta) {
            let e164 = format!("+{}{example}", meta.country_code());
            let Ok(parsed) = phonenumber::parse(None, &e164) else {
                continue;
            };
            if !phonenumber::is_valid(&parsed) {
                continue;
            }
            assert!(want.contains(&(example.len() as u64)), "{iso} {example}");
            assert!(
                prefixes.iter().any(|p| example.starts_with(p)),
                "{iso}: {example} starts with none of {prefixes:?}"
            );
            checked_examples += 1;
        }
    }
    assert!(checked_examples > 300, "{checked_examples}");

    let us = rules.iter().find(|r| r["country_iso"] == "US").unwrap();
    assert_eq!(
        (&us["calling_code"], &us["max_length"], &us["country_name"]),
        (&json!("1"), &json!(10), &json!("United States of America"))
    );
    let india = rules.iter().find(|r| r["country_iso"] == "IN").unwrap();
    assert_eq!(india["calling_code"], "91");
    let prefixes = india["prefixes"].as_array().unwrap();
    assert!(prefixes.contains(&json!("9")), "{prefixes:?}");
}

#[tokio::test]
async fn enabled_network_groups_follow_the_workspace() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US", "IN"], &[]).await;
    let groups = get_array(&app, &t, "/v1/phone-country-rules/enabled-network-groups").await;
    let isos: Vec<&str> = groups
        .iter()
        .map(|g| g["countryRule"]["country_iso"].as_str().unwrap())
        .collect();
    assert_eq!(isos, ["IN", "US"]);
    let india = &groups[0];
    assert_eq!(india["prefix_mode"], "allow_only_listed");
    assert_eq!(india["from_phone_number_country_code"], Value::Null);
    assert_eq!(india["countryRule"]["calling_code"], "91");
    assert_eq!(india["countryRule"]["country_name"], "India");
    assert!(
        !india["countryRule"]["prefixes"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    app.put(
        &t,
        "/v1/workspace/telephony-config",
        json!({"enabled_countries": ["GB"]}),
    )
    .await;
    let groups = get_array(&app, &t, "/v1/phone-country-rules/enabled-network-groups").await;
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["countryRule"]["calling_code"], "44");
    let other = app.tenant(&[], &[]).await;
    assert!(
        get_array(
            &app,
            &other,
            "/v1/phone-country-rules/enabled-network-groups"
        )
        .await
        .is_empty()
    );
}

#[tokio::test]
async fn pricing_lists_each_provider_country_and_type() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let all = get_array(&app, &t, "/v1/phone-number-pricing").await;
    let find = |provider: &str, iso: &str, kind: &str| {
        all.iter()
            .find(|p| p["provider"] == provider && p["country_iso"] == iso && p["type"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("{provider} {iso} {kind}"))
    };
    let twilio = find("twilio", "US", "local");
    assert_eq!(twilio["monthly_cost_usd"], "1.15");
    assert_eq!(twilio["credit_cost"], "1.1500");
    assert_eq!(twilio["telephony_provider_id"], "tp_twilio");
    assert_eq!(twilio["telephonyProvider"]["name"], "Twilio");
    assert_eq!(twilio["country_name"], "United States of America");
    assert_eq!(find("plivo", "US", "local")["monthly_cost_usd"], "0.80");
    assert_eq!(
        find("twilio", "US", "toll_free")["monthly_cost_usd"],
        "2.15"
    );

    let filtered = get_array(
        &app,
        &t,
        "/v1/phone-number-pricing?country_iso=gb&provider=plivo&type=mobile",
    )
    .await;
    assert_eq!(filtered.len(), 1, "{filtered:?}");
    assert_eq!(filtered[0]["monthly_cost_usd"], "1.00");
    let by_id = get_array(
        &app,
        &t,
        "/v1/phone-number-pricing?telephony_provider_id=tp_plivo",
    )
    .await;
    assert!(!by_id.is_empty() && by_id.iter().all(|p| p["provider"] == "plivo"));

    assert_error(
        &app.get(&t, "/v1/phone-number-pricing?country_iso=XX").await,
        400,
        "invalid_country",
    );
    assert_error(
        &app.get(&t, "/v1/phone-number-pricing?type=premium").await,
        400,
        "invalid_type",
    );
    let anonymous = app
        .client
        .get(app.url("/v1/phone-number-pricing"))
        .send()
        .await
        .unwrap();
    assert_error(
        &crate::helpers::decode(anonymous).await,
        401,
        "unauthorized",
    );
}
