//! Webhook deliveries survive `kill -9`: a server killed while deliveries are in flight leaves
//! them to the next one, and a real receiver counting distinct `webhook-id`s misses none.

use crate::harness::{Site, client, send};
use crate::support::eventually;
use crate::support::receiver::{Answer, Receiver};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

const ALLOW: [(&str, &str); 1] = [("DIALNEXA_WEBHOOKS_ALLOW_PRIVATE", "true")];
const TESTS: usize = 40;
const PURCHASES: usize = 5;

async fn post(url: &str, key: &str, body: Value) -> (u16, Value) {
    send(client().post(url).bearer_auth(key).json(&body)).await
}

#[tokio::test]
async fn every_event_is_delivered_after_a_kill_9_in_the_middle_of_deliveries() {
    let site = Site::new().await;
    let mut server = site.serve_env(0, 1_000, &ALLOW).await;
    let key = site.tenant(&server).await;
    // Slow enough that the kill finds attempts in flight.
    let rx = Receiver::start(Answer::Slow(300)).await;
    let (status, created) = post(
        &format!("{}/v1/user-webhooks", server.url),
        &key,
        json!({ "url": rx.url, "events": ["*"], "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["webhook"]["id"].as_str().unwrap().to_owned();

    for n in 0..PURCHASES {
        let number = format!("+1415555267{n}");
        let (status, body) = post(
            &format!("{}/v1/organization-phone-numbers/purchase", server.url),
            &key,
            json!({ "phone_number": number }),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    for _ in 0..TESTS {
        let (status, body) = post(
            &format!("{}/v1/user-webhooks/{id}/test", server.url),
            &key,
            json!({}),
        )
        .await;
        assert_eq!(status, 202, "{body}");
    }
    // Some received, the rest in flight or waiting: now the crash.
    eventually(Duration::from_secs(30), || async {
        match rx.received().len() {
            0 => Err("nothing received yet".to_owned()),
            _ => Ok(()),
        }
    })
    .await;
    server.proc.kill();
    let before = rx.distinct_ids().len();
    assert!(
        before < TESTS + PURCHASES,
        "all {before} delivered before the kill: the test proves nothing"
    );
    drop(server);

    let server = site.serve_env(0, 1_000, &ALLOW).await;
    let expected: HashSet<String> = {
        let (status, log) = send(
            client()
                .get(format!(
                    "{}/v1/user-webhooks/{id}/deliveries?limit=100",
                    server.url
                ))
                .bearer_auth(&key),
        )
        .await;
        assert_eq!(status, 200, "{log}");
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // Every purchase's event was fanned out (before or after the crash) and every test event
    // was queued: the log holds them all, and the receiver gets each, leases of the dead
    // process run out after 30 s.
    eventually(Duration::from_secs(120), || async {
        let (_, log) = send(
            client()
                .get(format!(
                    "{}/v1/user-webhooks/{id}/deliveries?limit=100",
                    server.url
                ))
                .bearer_auth(&key),
        )
        .await;
        let all: HashSet<String> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect();
        let got = rx.distinct_ids();
        let missing: Vec<_> = all.difference(&got).collect();
        if all.len() == TESTS + PURCHASES && missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{} messages, {} received, missing {missing:?}",
                all.len(),
                got.len()
            ))
        }
    })
    .await;
    assert!(expected.len() <= TESTS + PURCHASES);
    let extra: Vec<_> = rx
        .distinct_ids()
        .into_iter()
        .filter(|i| !i.starts_with("msg_"))
        .collect();
    assert!(extra.is_empty(), "{extra:?}");
}
