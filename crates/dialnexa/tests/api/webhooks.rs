//! `/v1/user-webhooks`: the official shapes, bad input, and deliveries to a real local receiver,
//! each verified with the reference `standardwebhooks` library.

use crate::helpers::{Tenant, TestApp, assert_error};
use crate::support::eventually;
use crate::support::receiver::{Answer, Receiver, verify_with_standardwebhooks};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The application with loopback receivers allowed.
pub async fn app_for_receivers() -> TestApp {
    TestApp::spawn_with(|a| a.guards.webhooks_allow_private = true).await
}

pub async fn create(app: &TestApp, t: &Tenant, url: &str, events: Value, secret: &str) -> String {
    let (status, body) = app
        .post(
            t,
            "/v1/user-webhooks",
            json!({ "url": url, "events": events, "secret": secret }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["webhook"]["id"].as_str().unwrap().to_owned()
}

async fn deliveries(app: &TestApp, t: &Tenant, id: &str) -> Vec<Value> {
    let (status, body) = app
        .get(t, &format!("/v1/user-webhooks/{id}/deliveries"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn webhooks_are_created_read_listed_changed_and_deleted_in_the_official_shapes() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let other = app.tenant(&["US"], &[]).await;
    let secret = "a-long-random-secret-of-the-customer";
    let (status, created) = app
        .post(
            &t,
            "/v1/user-webhooks",
            json!({
                "url": "https://hooks.example.com/dialnexa",
                "events": ["phone_number.purchased", "phone_number.released"],
                "is_active": true,
                "secret": secret,
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["message"], "Webhook created successfully");
    let w = &created["webhook"];
    let id = w["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("wh_"), "{w}");
    assert_eq!(w["url"], "https://hooks.example.com/dialnexa");
    assert_eq!(
        w["events"],
        json!(["phone_number.purchased", "phone_number.released"])
    );
    assert_eq!(w["is_active"], true);
    assert_eq!(w["secret"], "********");
    assert!(w["createdAt"].as_str().unwrap().ends_with('Z'), "{w}");

    let (status, got) = app.get(&t, &format!("/v1/user-webhooks/{id}")).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["webhook"]["id"], id.as_str());
    assert_eq!(got["webhook"]["secret"], "********");

    let (status, list) = app.get(&t, "/v1/user-webhooks?page=1&limit=10").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 1);
    assert_eq!(list["totalPages"], 1);
    assert_eq!(list["limit"], 10);
    assert_eq!(list["webhooks"][0]["id"], id.as_str());

    // The secret is kept sealed, never as given, and never answered.
    let raw = app.raw_texts("SELECT secret_sealed FROM webhooks").await;
    assert_eq!(raw.len(), 1);
    assert!(!raw[0][0].as_deref().unwrap().contains(secret));
    for body in [&created, &got, &list] {
        assert!(!body.to_string().contains(secret), "{body}");
    }

    // Another workspace sees nothing, exactly as for an id that does not exist.
    let (status, theirs) = app.get(&other, "/v1/user-webhooks").await;
    assert_eq!((status, theirs["total"].clone()), (200, json!(0)));
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({ "is_active": false }))),
        (Method::DELETE, None),
    ] {
        let path = format!("/v1/user-webhooks/{id}");
        let answer = app.request(method, &other, &path, body).await;
        assert_error(&answer, 404, "not_found");
    }

    let (status, patched) = app
        .request(
            Method::PATCH,
            &t,
            &format!("/v1/user-webhooks/{id}"),
            Some(json!({ "is_active": false, "events": ["*"] })),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["message"], "Webhook updated successfully");
    assert_eq!(patched["webhook"]["is_active"], false);
    assert_eq!(patched["webhook"]["events"], json!(["*"]));
    assert_eq!(
        patched["webhook"]["url"],
        "https://hooks.example.com/dialnexa"
    );

    let path = format!("/v1/user-webhooks/{id}");
    let (status, deleted) = app.request(Method::DELETE, &t, &path, None).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["message"], "Webhook deleted successfully");
    assert_eq!(deleted["id"], id.as_str());
    assert_error(&app.get(&t, &path).await, 404, "not_found");
}

#[tokio::test]
async fn bad_urls_missing_secrets_and_unknown_events_are_refused() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let ok = json!({ "url": "https://hooks.example.com/x", "events": ["*"], "secret": "s3cret" });
    let with = |field: &str, value: Value| {
        let mut body = ok.clone();
        if value.is_null() {
            body.as_object_mut().unwrap().remove(field);
        } else {
            body[field] = value;
        }
        body
    };
    let cases = [
        (with("secret", Value::Null), "missing_secret"),
        (with("secret", json!("")), "missing_secret"),
        (with("url", Value::Null), "missing_url"),
        (with("url", json!("not a url")), "invalid_url"),
        (
            with("url", json!("http://hooks.example.com/x")),
            "invalid_url",
        ),
        (with("url", json!("https://127.0.0.1/x")), "private_url"),
        (with("url", json!("https://10.0.0.8/x")), "private_url"),
        (
            with("url", json!("https://169.254.169.254/latest")),
            "private_url",
        ),
        (
            with("url", json!("https://localhost:8443/x")),
            "private_url",
        ),
        (with("events", json!(["call.completed"])), "unknown_event"),
        (with("events", json!([])), "invalid_events"),
    ];
    for (body, code) in cases {
        let answer = app.post(&t, "/v1/user-webhooks", body.clone()).await;
        assert_error(&answer, 400, code);
        if code == "unknown_event" {
            let message = answer.1["message"].as_str().unwrap();
            assert!(message.contains("phone_number.purchased"), "{message}");
            assert!(message.contains("reconcile.drift"), "{message}");
        }
    }
    let (_, list) = app.get(&t, "/v1/user-webhooks").await;
    assert_eq!(list["total"], 0, "{list}");
}

#[tokio::test]
async fn a_purchase_is_delivered_signed_as_standard_webhooks_verifies_it() {
    let app = app_for_receivers().await;
    let t = app.tenant(&["US"], &[]).await;
    let rx = Receiver::start(Answer::Ok).await;
    let plain = Receiver::start(Answer::Ok).await;
    let only_releases = Receiver::start(Answer::Ok).await;
    let all = create(&app, &t, &rx.url, json!(["*"]), SECRET).await;
    create(
        &app,
        &t,
        &plain.url,
        json!(["phone_number.purchased"]),
        "plain secret",
    )
    .await;
    create(
        &app,
        &t,
        &only_releases.url,
        json!(["phone_number.released"]),
        "x",
    )
    .await;

    let (status, bought) = app.buy(&t, "+14155552671").await;
    assert_eq!(status, 201, "{bought}");
    let got = eventually(WAIT, || async {
        match rx.of_type("phone_number.purchased").pop() {
            Some(r) => Ok(r),
            None => Err(format!("{} requests", rx.received().len())),
        }
    })
    .await;
    let event = got.json();
    assert_eq!(event["data"]["id"], bought["id"]);
    assert_eq!(event["data"]["phone_number"], "+14155552671");
    assert_eq!(event["data"]["status"], "active");
    // The number as GET shows it, field for field.
    let path = format!(
        "/v1/organization-phone-numbers/{}",
        bought["id"].as_str().unwrap()
    );
    let (_, shown) = app.get(&t, &path).await;
    for (field, value) in shown.as_object().unwrap() {
        assert_eq!(&event["data"][field], value, "{field}: {event} / {shown}");
    }
    assert!(
        event["timestamp"].as_str().unwrap().ends_with('Z'),
        "{event}"
    );
    assert!(got.id().starts_with("msg_"), "{:?}", got.headers);
    assert_eq!(got.headers["content-type"], "application/json");
    let other = eventually(WAIT, || async {
        plain.received().pop().ok_or("nothing yet")
    })
    .await;
    verify_with_standardwebhooks(&[(SECRET, &got), ("plain secret", &other)]);

    // A delivery whose body was changed on the way is refused by the same library: the check
    // above can fail.
    let mut forged = got.clone();
    forged.body = forged.body.replace("+14155552671", "+14155552672");
    let refused = std::panic::catch_unwind(|| verify_with_standardwebhooks(&[(SECRET, &forged)]));
    assert!(refused.is_err(), "a changed body must not verify");

    // The delivery log says what happened.
    let log = eventually(WAIT, || async {
        let log = deliveries(&app, &t, &all).await;
        match log.first() {
            Some(d) if d["status"] == "delivered" => Ok(log),
            _ => Err(format!("{log:?}")),
        }
    })
    .await;
    assert_eq!(log[0]["event"], "phone_number.purchased");
    assert_eq!(log[0]["id"], got.id());
    assert_eq!(log[0]["attempts"][0]["status_code"], 200);
    // Subscribed to releases only: nothing.
    assert!(only_releases.received().is_empty());
}

#[tokio::test]
async fn a_receiver_that_hangs_holds_up_no_other_endpoint() {
    let app = app_for_receivers().await;
    let t = app.tenant(&["US"], &[]).await;
    let hanging = Receiver::start(Answer::Hang).await;
    let fine = Receiver::start(Answer::Ok).await;
    create(&app, &t, &hanging.url, json!(["*"]), SECRET).await;
    create(&app, &t, &fine.url, json!(["*"]), SECRET).await;
    let numbers = ["+14155552671", "+14155552672", "+14155552673"];
    for n in numbers {
        let (status, body) = app.buy(&t, n).await;
        assert_eq!(status, 201, "{body}");
    }
    eventually(WAIT, || async {
        let got = fine.of_type("phone_number.purchased").len();
        if got == numbers.len() {
            Ok(())
        } else {
            Err(format!("{got} of {} delivered", numbers.len()))
        }
    })
    .await;
    assert!(
        !hanging.received().is_empty(),
        "the hanging receiver was called too"
    );
}

#[tokio::test]
async fn the_dashboard_lists_webhooks_and_their_recent_deliveries() {
    let app = app_for_receivers().await;
    let t = app.tenant(&["US"], &[]).await;
    let rx = Receiver::start(Answer::Ok).await;
    let id = create(&app, &t, &rx.url, json!(["*"]), SECRET).await;
    let (status, body) = app
        .post(&t, &format!("/v1/user-webhooks/{id}/test"), json!({}))
        .await;
    assert_eq!(status, 202, "{body}");
    eventually(WAIT, || async {
        let log = deliveries(&app, &t, &id).await;
        match log.first() {
            Some(d) if d["status"] == "delivered" => Ok(()),
            _ => Err(format!("{log:?}")),
        }
    })
    .await;

    let mut b = crate::browser::Browser::new(&app);
    assert_eq!(b.sign_in(&t.key).await.status, 303);
    let page = b.get("/dashboard/webhooks").await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_html();
    assert!(page.body.contains(&rx.url), "{}", page.body);
    assert!(page.body.contains("webhook.test"), "{}", page.body);
    assert!(page.body.contains("delivered"), "{}", page.body);
    assert!(!page.body.contains(SECRET));
}

#[tokio::test]
async fn two_servers_on_one_database_send_each_message_once() {
    let first = app_for_receivers().await;
    let second = first
        .beside(|a| a.guards.webhooks_allow_private = true)
        .await;
    let t = first.tenant(&["US"], &[]).await;
    let rx = Receiver::start(Answer::Ok).await;
    let id = create(&first, &t, &rx.url, json!(["*"]), SECRET).await;
    let events = 40;
    for n in 0..events {
        let app = if n % 2 == 0 { &first } else { &second };
        let (status, body) = app
            .post(&t, &format!("/v1/user-webhooks/{id}/test"), json!({}))
            .await;
        assert_eq!(status, 202, "{body}");
    }
    eventually(WAIT, || async {
        let got = rx.distinct_ids().len();
        if got == events {
            Ok(())
        } else {
            Err(format!("{got} of {events}"))
        }
    })
    .await;
    // Both servers' workers ran; neither sent a message the other had claimed.
    let all = rx.received();
    assert_eq!(all.len(), events, "one request per message: {}", all.len());
}

#[tokio::test]
async fn webhook_changes_are_audited_without_their_secret() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let secret = "an-audited-change-never-shows-this";
    let id = create(
        &app,
        &t,
        "https://hooks.example.com/audited",
        json!(["phone_number.purchased"]),
        secret,
    )
    .await;
    let path = format!("/v1/user-webhooks/{id}");
    let (status, _) = app
        .request(Method::PATCH, &t, &path, Some(json!({"is_active": false})))
        .await;
    assert_eq!(status, 200);
    let (status, _) = app.request(Method::DELETE, &t, &path, None).await;
    assert_eq!(status, 200);
    let refused = app.request(Method::DELETE, &t, &path, None).await;
    assert_error(&refused, 404, "not_found");

    let (_, log) = app.get(&t, "/v1/audit-events?limit=100").await;
    assert!(!log.to_string().contains(secret), "{log}");
    let mut seen: Vec<(String, String)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource_id"] == id.as_str())
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(),
        [
            "webhook.create",
            "webhook.delete",
            "webhook.delete",
            "webhook.update"
        ],
        "{log}"
    );
    let created = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "webhook.create")
        .unwrap();
    assert_eq!(
        created["detail"]["url"], "https://hooks.example.com/audited",
        "{created}"
    );
}
