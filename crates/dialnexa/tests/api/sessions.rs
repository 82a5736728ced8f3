//! Dashboard sessions kept on the server: the cookie is a random id, not the API key; it ends
//! on sign-out (a copied cookie is refused afterwards), at expiry, and when its key is revoked;
//! the sign-in form's token is good only with the pre-session cookie it was made for.

use crate::browser::Browser;
use crate::helpers::TestApp;
use dialnexa_service::ManualClock;
use std::sync::Arc;

fn session_cookie(b: &Browser) -> String {
    b.cookies
        .get("dnx_session")
        .cloned()
        .expect("a session cookie")
}

/// A browser that only has `cookie` as its session, as an attacker replaying it would.
fn replaying(app: &TestApp, cookie: &str) -> Browser {
    let mut b = Browser::new(app);
    b.cookies.insert("dnx_session".into(), cookie.to_owned());
    b
}

#[tokio::test]
async fn the_cookie_is_a_random_id_and_a_copy_dies_with_the_sign_out() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (mut b, token) = Browser::signed_in(&app, &t).await;
    let cookie = session_cookie(&b);
    assert!(!cookie.contains(&t.key) && !t.key.contains(&cookie));
    assert_eq!(cookie.len(), 64);
    assert!(cookie.bytes().all(|c| c.is_ascii_hexdigit()));
    // Two sign-ins with one key are two sessions.
    let (other, _) = Browser::signed_in(&app, &t).await;
    assert_ne!(session_cookie(&other), cookie);

    let mut copy = replaying(&app, &cookie);
    assert_eq!(copy.get("/dashboard/numbers").await.status, 200);

    let out = b.post("/dashboard/sign-out", &[("csrf", &token)]).await;
    assert_eq!(out.status, 303);
    let replayed = copy.get("/dashboard/numbers").await;
    assert_eq!(replayed.status, 303);
    assert!(
        replayed
            .location
            .unwrap()
            .contains("notice=session_expired")
    );
    // The other session goes on, and the key itself still works on the API.
    let mut other = other;
    assert_eq!(other.get("/dashboard/numbers").await.status, 200);
    assert_eq!(app.get(&t, "/v1/workspace").await.0, 200);
}

#[tokio::test]
async fn revoking_the_key_ends_every_session_it_opened() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (mut b, _) = Browser::signed_in(&app, &t).await;
    let caller = app.services.authenticate(&t.key).await.unwrap();
    let second = app
        .services
        .create_api_key(&crate::helpers::operator(), &t.id, "second")
        .await
        .unwrap();
    let (mut kept, _) = Browser::signed_in(
        &app,
        &crate::helpers::Tenant::new(t.id.clone(), second.secret.clone()),
    )
    .await;
    let keys = app.services.list_api_keys(&caller).await.unwrap();
    let first_id = keys
        .iter()
        .find(|k| k.id != second.key.id)
        .unwrap()
        .id
        .to_string();
    // Revoked the way the dashboard's settings and `dialnexa admin` do.
    app.services
        .revoke_api_key(&caller, &first_id)
        .await
        .unwrap();
    let r = b.get("/dashboard/numbers").await;
    assert_eq!(r.status, 303);
    assert!(r.location.unwrap().contains("notice=session_expired"));
    assert_eq!(kept.get("/dashboard/numbers").await.status, 200);
}

#[tokio::test]
async fn a_session_expires_on_the_server_after_twelve_hours() {
    let clock = Arc::new(ManualClock::new("2027-03-01T09:00:00Z".parse().unwrap()));
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    let t = app.tenant(&["US"], &[]).await;
    let (mut b, _) = Browser::signed_in(&app, &t).await;
    clock.advance(jiff::SignedDuration::from_hours(11));
    assert_eq!(b.get("/dashboard/numbers").await.status, 200);
    clock.advance(jiff::SignedDuration::from_hours(1));
    // The browser would still send the cookie if told to keep it longer: the server says no.
    let r = b.get("/dashboard/numbers").await;
    assert_eq!(r.status, 303);
    assert!(r.location.unwrap().contains("notice=session_expired"));
}

#[tokio::test]
async fn the_sign_in_token_is_bound_to_its_pre_session() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;

    // An attacker's own form token does not work with the victim's pre-session cookie.
    let mut attacker = Browser::new(&app);
    let attackers_token = attacker.get("/dashboard/sign-in").await.csrf();
    let mut victim = Browser::new(&app);
    victim.get("/dashboard/sign-in").await;
    let r = victim
        .post(
            "/dashboard/sign-in",
            &[("api_key", &t.key), ("csrf", &attackers_token)],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(!victim.cookies.contains_key("dnx_session"));

    // Nor does a cookie planted with a matching token (the old double-submit check).
    let planted = "ab".repeat(32);
    let mut planted_browser = Browser::new(&app);
    planted_browser
        .cookies
        .insert("dnx_signin".into(), planted.clone());
    let r = planted_browser
        .post(
            "/dashboard/sign-in",
            &[("api_key", &t.key), ("csrf", &planted)],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(!planted_browser.cookies.contains_key("dnx_session"));

    // The form's own token, with its own cookie, signs in.
    assert_eq!(victim.sign_in(&t.key).await.status, 303);
}
