//! `GET /metrics`: each request, purchase, release and carrier call counted once, by outcome,
//! on the listener `--metrics-listen` names rather than the public one; the gauges read at
//! scrape time; renewals counted by the worker that charges them.

use crate::support::eventually;
use crate::{Site, buy, client, faults, send, tenant};
use serde_json::json;
use std::time::Duration;

/// The value of one series in a scrape (`name{labels}` exactly as rendered), if present.
fn series(scrape: &str, name_and_labels: &str) -> Option<f64> {
    scrape.lines().find_map(|line| {
        let value = line.strip_prefix(name_and_labels)?.strip_prefix(' ')?;
        Some(value.trim().parse().expect("a sample value"))
    })
}

#[track_caller]
fn assert_series(scrape: &str, name_and_labels: &str, expected: f64) {
    assert_eq!(
        series(scrape, name_and_labels),
        Some(expected),
        "{name_and_labels} in:\n{scrape}"
    );
}

async fn scrape(url: &str) -> String {
    let r = client()
        .get(url)
        .send()
        .await
        .expect("the metrics listener answers");
    assert_eq!(r.status(), 200);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    assert_eq!(
        r.headers()
            .get("x-content-type-options")
            .map(|v| v.to_str().unwrap()),
        Some("nosniff"),
        "the scrape says nosniff like every other answer"
    );
    r.text().await.unwrap()
}

#[tokio::test]
async fn metrics_count_each_request_purchase_release_and_carrier_call_by_outcome() {
    let site = Site::new().await;
    // Recovery only at start-up, so the purchase left pending stays pending for the gauge.
    let mut server = site
        .serve(
            &[
                "--metrics-listen",
                "127.0.0.1:0",
                "--recovery-interval-ms",
                "600000",
                "--db-max-connections",
                "4",
            ],
            &[],
        )
        .await;
    let metrics = server.proc.line("metrics on ").await;
    let (public, _) = send(client().get(format!("{}/metrics", server.url))).await;
    assert_eq!(public, 404, "/metrics is off the public listener");
    let (_, key) = tenant(&server).await;

    let (status, bought) = buy(&server, &key, "+14155552671").await;
    assert_eq!(status, 201, "{bought}");
    let (status, again) = buy(&server, &key, "+14155552671").await;
    assert_eq!((status, &again["code"]), (409, &json!("number_taken")));
    let (status, released) = send(
        client()
            .delete(format!(
                "{}/v1/organization-phone-numbers/{}",
                server.url,
                bought["id"].as_str().unwrap()
            ))
            .bearer_auth(&key),
    )
    .await;
    assert_eq!(status, 200, "{released}");
    // A carrier that says "slow down": the purchase fails, nothing was bought.
    faults(&server, json!({"fail_next": 1, "fail_status": 429})).await;
    let (status, refused) = buy(&server, &key, "+14155552672").await;
    assert_eq!(
        (status, &refused["code"]),
        (503, &json!("carrier_unavailable"))
    );
    // A carrier error on a buy: its outcome is unknown, the purchase is left pending.
    faults(&server, json!({"fail_next": 1, "fail_status": 503})).await;
    let (status, pending) = buy(&server, &key, "+14155552673").await;
    assert_eq!((status, &pending["status"]), (202, &json!("pending")));

    let text = scrape(&metrics).await;
    let purchases = "dialnexa_purchases_total";
    assert_series(&text, &format!("{purchases}{{outcome=\"active\"}}"), 1.0);
    assert_series(
        &text,
        &format!("{purchases}{{outcome=\"number_taken\"}}"),
        1.0,
    );
    assert_series(
        &text,
        &format!("{purchases}{{outcome=\"carrier_unavailable\"}}"),
        1.0,
    );
    assert_series(&text, &format!("{purchases}{{outcome=\"pending\"}}"), 1.0);
    assert_series(&text, "dialnexa_releases_total{outcome=\"released\"}", 1.0);

    let buys = "dialnexa_carrier_calls_total{carrier=\"twilio\",operation=\"buy\"";
    assert_series(&text, &format!("{buys},outcome=\"ok\"}}"), 1.0);
    assert_series(&text, &format!("{buys},outcome=\"transient\"}}"), 1.0);
    assert_series(&text, &format!("{buys},outcome=\"unknown_outcome\"}}"), 1.0);
    assert_series(
        &text,
        "dialnexa_carrier_calls_total{carrier=\"twilio\",operation=\"release\",outcome=\"ok\"}",
        1.0,
    );
    assert_series(
        &text,
        "dialnexa_carrier_call_duration_seconds_count{carrier=\"twilio\",operation=\"buy\",outcome=\"ok\"}",
        1.0,
    );

    let route = "route=\"/v1/organization-phone-numbers/purchase\",method=\"POST\"";
    for status in ["201", "409", "503", "202"] {
        assert_series(
            &text,
            &format!("dialnexa_http_requests_total{{{route},status=\"{status}\"}}"),
            1.0,
        );
    }
    assert_series(
        &text,
        &format!("dialnexa_http_request_duration_seconds_count{{{route},status=\"201\"}}"),
        1.0,
    );
    assert_series(
        &text,
        "dialnexa_http_requests_total{route=\"/v1/organization-phone-numbers/{id}\",method=\"DELETE\",status=\"200\"}",
        1.0,
    );
    assert_series(&text, "dialnexa_pending_purchases", 1.0);
    // Every connection comes back: a background worker (the webhook worker woken by these
    // purchases, recovery) may hold one at the moment of a scrape, never for long.
    eventually(Duration::from_secs(10), || async {
        let text = scrape(&metrics).await;
        let in_use = series(&text, "dialnexa_db_connections{state=\"in_use\"}");
        let idle = series(&text, "dialnexa_db_connections{state=\"idle\"}");
        if in_use == Some(0.0) && idle.is_some_and(|n| n >= 1.0) {
            Ok(())
        } else {
            Err(format!("in use {in_use:?}, idle {idle:?}"))
        }
    })
    .await;
    assert_series(&text, "dialnexa_db_connections_max", 4.0);
    // The scrape itself is not an API request.
    assert!(!text.contains("route=\"/metrics\""), "{text}");
}

#[tokio::test]
async fn renewals_are_counted_by_the_worker_that_charges_them() {
    let site = Site::new().await;
    let first = site.serve(&[], &[]).await;
    let (_, key) = tenant(&first).await;
    assert_eq!(buy(&first, &key, "+14155552671").await.0, 201);
    drop(first);
    // Forty days on, period 1 has begun and the renewal worker charges it, once.
    let mut later = site
        .serve(
            &[
                "--metrics-listen",
                "127.0.0.1:0",
                "--clock-offset-secs",
                &(40 * 86_400).to_string(),
                "--renewal-interval-ms",
                "200",
            ],
            &[],
        )
        .await;
    let metrics = later.proc.line("metrics on ").await;
    eventually(Duration::from_secs(30), || async {
        let text = scrape(&metrics).await;
        match series(&text, "dialnexa_renewals_charged_total") {
            Some(1.0) => Ok(()),
            other => Err(format!("renewals charged: {other:?}")),
        }
    })
    .await;
    let charges = site.db.count("SELECT COUNT(*) FROM charges", &[]).await;
    assert_eq!(charges, 2, "the first period and one renewal");
}
