//! Throttling: a token bucket per API key (`--rate-limit-rps`, bursts of twice that, carrier
//! searches costing more), its headers on every answer, 429 in the envelope with
//! `Retry-After`; and wrong admin tokens or dashboard keys counted per client address.

use crate::browser::Browser;
use crate::helpers::{TestApp, assert_error, decode};

const LIST: &str = "/v1/organization-phone-numbers";
const SEARCH: &str = "/v1/organization-phone-numbers/available?country_iso=US";

fn header(r: &reqwest::Response, name: &str) -> Option<u64> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().parse().unwrap())
}

#[tokio::test]
async fn a_key_past_its_bucket_gets_429_and_others_do_not() {
    // One request a second, in a bucket of two.
    let app = TestApp::spawn_with(|a| a.guards.rate_limit_rps = 1).await;
    let t = app.tenant(&["US"], &[]).await;
    let other = app.tenant(&["US"], &[]).await;

    let first = app
        .client
        .get(app.url(LIST))
        .bearer_auth(&t.key)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(header(&first, "x-ratelimit-limit"), Some(2));
    assert_eq!(header(&first, "x-ratelimit-remaining"), Some(1));
    assert_eq!(header(&first, "x-ratelimit-reset"), Some(1));

    // Far faster than one a second: the bucket runs dry.
    let mut refused = None;
    for _ in 0..50 {
        let r = app
            .client
            .get(app.url(LIST))
            .bearer_auth(&t.key)
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            refused = Some(r);
            break;
        }
        assert_eq!(r.status(), 200);
    }
    let refused = refused.expect("a 429 once the bucket is empty");
    assert!(header(&refused, "retry-after").is_some_and(|s| s >= 1));
    assert_eq!(header(&refused, "x-ratelimit-limit"), Some(2));
    assert_eq!(header(&refused, "x-ratelimit-remaining"), Some(0));
    assert!(header(&refused, "x-ratelimit-reset").is_some());
    assert_error(&decode(refused).await, 429, "rate_limited");

    // Another key has a bucket of its own.
    let r = app
        .client
        .get(app.url(LIST))
        .bearer_auth(&other.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_carrier_search_takes_more_than_a_read() {
    let app = TestApp::spawn_with(|a| a.guards.rate_limit_rps = 1).await;
    let reader = app.tenant(&["US"], &[]).await;
    let searcher = app.tenant(&["US"], &[]).await;
    let r = app
        .client
        .get(app.url(LIST))
        .bearer_auth(&reader.key)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&r, "x-ratelimit-remaining"), Some(1));
    // A search takes the whole bucket of two (it would take 10 of a bigger one).
    let r = app
        .client
        .get(app.url(SEARCH))
        .bearer_auth(&searcher.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-ratelimit-remaining"), Some(0));
}

#[tokio::test]
async fn zero_turns_the_limit_off() {
    let app = TestApp::spawn_with(|a| a.guards.rate_limit_rps = 0).await;
    let t = app.tenant(&["US"], &[]).await;
    for _ in 0..30 {
        let r = app
            .client
            .get(app.url(SEARCH))
            .bearer_auth(&t.key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers().get("x-ratelimit-limit").is_none());
    }
}

/// A client whose requests come from `ip` (any 127.0.0.0/8 address is this machine).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(Some(ip.parse().unwrap()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn ten_wrong_admin_tokens_from_one_address_lock_it_out() {
    let app = TestApp::spawn().await;
    let admin = |client: &reqwest::Client, token: &str| {
        client
            .get(app.url("/v1/admin/workspaces"))
            .bearer_auth(token)
            .send()
    };
    let guesser = client_from("127.0.0.1");
    for i in 0..10 {
        let r = admin(&guesser, &format!("guess-{i}")).await.unwrap();
        assert_eq!(r.status(), 401);
    }
    // The eleventh try is refused whatever it carries, the right token too.
    let r = admin(&guesser, "test-admin-token").await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(header(&r, "retry-after").is_some_and(|s| (1..=60).contains(&s)));
    assert_error(&decode(r).await, 429, "rate_limited");
    // Another address is not locked out.
    let r = admin(&client_from("127.0.0.2"), "test-admin-token")
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn ten_wrong_keys_at_the_dashboards_sign_in_lock_that_address_out() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let mut b = Browser::new(&app);
    b.client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(Some("127.0.0.3".parse().unwrap()))
        .build()
        .unwrap();
    for i in 0..10 {
        let r = b.sign_in(&format!("dnx_live_wrong{i:0>27}")).await;
        assert_eq!(r.status, 401, "{}", r.body);
    }
    let r = b.sign_in(&t.key).await;
    assert_eq!(r.status, 429);
    r.assert_html();
    assert!(r.body.contains("Too many wrong keys"), "{}", r.body);
    assert!(!r.set_cookies.iter().any(|c| c.starts_with("dnx_session=")));

    let mut elsewhere = Browser::new(&app);
    assert_eq!(elsewhere.sign_in(&t.key).await.status, 303);
}
