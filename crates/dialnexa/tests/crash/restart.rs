//! `Idempotency-Key` across restarts: a kept answer is replayed by the next process, and a key
//! whose request died with its process is taken over after 90 s by a retry, which then returns
//! what the first attempt bought instead of buying again.

use crate::harness::{A_MINUTE_ON, FAILPOINT_EXIT, Site, assert_died, client, numbers, send};
use dialnexa_service::failpoints::PURCHASE_AFTER_CARRIER;
use serde_json::{Value, json};

const NUMBER: &str = "+14155552671";

/// Status, `Idempotent-Replayed` and `Retry-After` headers, and body.
struct Answer {
    status: u16,
    replayed: Option<String>,
    retry_after: Option<String>,
    body: Value,
}

async fn buy(url: &str, key: &str, idempotency_key: &str, number: &str) -> Answer {
    let r = client()
        .post(format!("{url}/v1/organization-phone-numbers/purchase"))
        .bearer_auth(key)
        .header("Idempotency-Key", idempotency_key)
        .json(&json!({"phone_number": number}))
        .send()
        .await
        .expect("the server answers");
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    Answer {
        status: r.status().as_u16(),
        replayed: header("idempotent-replayed"),
        retry_after: header("retry-after"),
        body: r.json().await.unwrap_or(Value::Null),
    }
}

#[tokio::test]
async fn a_kept_answer_is_replayed_by_the_next_process() {
    let site = Site::new().await;
    let server = site.serve("", 0).await;
    let key = site.tenant(&server).await;
    let first = buy(&server.url, &key, "order-7", NUMBER).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.replayed, None);
    drop(server);

    let server = site.serve("", 0).await;
    let again = buy(&server.url, &key, "order-7", NUMBER).await;
    assert_eq!(
        (again.status, again.replayed.as_deref(), &again.body),
        (201, Some("true"), &first.body)
    );
    let other = buy(&server.url, &key, "order-7", "+14155550123").await;
    assert_eq!(
        (other.status, &other.body["code"]),
        (422, &json!("idempotency_key_reused")),
        "{}",
        other.body
    );
    let (_, charges) = send(
        client()
            .get(format!("{}/v1/billing/charges", server.url))
            .bearer_auth(&key),
    )
    .await;
    assert_eq!(charges["total"], 1, "bought once: {charges}");
}

#[tokio::test]
async fn a_retry_after_the_takeover_time_returns_what_the_dead_attempt_bought() {
    let site = Site::new().await;
    let mut server = site
        .serve(&format!("{PURCHASE_AFTER_CARRIER}=exit"), 0)
        .await;
    let key = site.tenant(&server).await;
    let r = client()
        .post(format!(
            "{}/v1/organization-phone-numbers/purchase",
            server.url
        ))
        .bearer_auth(&key)
        .header("Idempotency-Key", "order-9")
        .json(&json!({"phone_number": NUMBER}))
        .send()
        .await;
    assert_died("first attempt", r);
    assert_eq!(server.proc.exit_code().await, Some(FAILPOINT_EXIT));
    drop(server);

    // Right after the crash the key still looks in flight: come back later.
    let server = site.serve("", 0).await;
    let early = buy(&server.url, &key, "order-9", NUMBER).await;
    assert_eq!(
        (early.status, &early.body["code"]),
        (409, &json!("idempotency_in_progress")),
        "{}",
        early.body
    );
    let wait: u64 = early
        .retry_after
        .as_deref()
        .and_then(|s| s.parse().ok())
        .expect("409 idempotency_in_progress carries Retry-After in seconds");
    assert!(wait >= 1);
    drop(server);

    // Past the takeover time (90 s, on the service's clock) the retry takes the key over.
    // Recovery settles the first attempt first, so the retry meets its number active.
    let settled = site.recover("takeover", &key, 2 * A_MINUTE_ON, 1).await;
    let first = settled.active[0]["id"].clone();
    let retry = buy(&settled.server.url, &key, "order-9", NUMBER).await;
    assert_eq!(retry.status, 201, "{}", retry.body);
    assert_eq!(retry.replayed, None, "taken over, not replayed");
    assert_eq!(retry.body["id"], first, "the first attempt's number");
    assert_eq!(retry.body["status"], "active");
    // Bought once: one row, one carrier number, one charge (the invariants again).
    drop(settled);
    let settled = site.recover("takeover", &key, 2 * A_MINUTE_ON, 1).await;
    assert_eq!(settled.active.len(), 1);
    assert_eq!(
        numbers(&settled.server, &key, "failed").await,
        Vec::<Value>::new()
    );
    // The retry's answer is kept like any other.
    let replay = buy(&settled.server.url, &key, "order-9", NUMBER).await;
    assert_eq!(
        (replay.status, replay.replayed.as_deref(), &replay.body),
        (201, Some("true"), &retry.body)
    );
}
