//! A quantity order whose server dies mid-way (killed while buying, or stopped at each of the
//! order saga's steps) resumes after a restart, buys each number once, and leaves DESIGN.md's
//! invariants true.

use crate::harness::{A_MINUTE_ON, FAILPOINT_EXIT, Site, client, get, send};
use crate::support::eventually;
use crate::support::process::Server;
use dialnexa_service::saga::order::{AFTER_FIRST_PURCHASE, AFTER_HOLD};
use serde_json::{Value, json};
use std::time::Duration;

/// Slow carrier calls, so the test sees the order under way (and the order's answer leaves
/// before a failpoint stops the server). The emulator forgets it when the server dies.
async fn slow_carrier(server: &Server) {
    let (status, body) = send(
        client()
            .post(format!("{}/_emulator/faults", server.emulator()))
            .json(&json!({"latency_ms": 200, "buy_latency_ms": 200})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn place(server: &Server, key: &str, quantity: u32) -> String {
    let (status, order) = send(
        client()
            .post(format!(
                "{}/v1/organization-phone-numbers/orders",
                server.url
            ))
            .bearer_auth(key)
            .json(&json!({"country_iso": "US", "area_code": "212", "quantity": quantity})),
    )
    .await;
    assert_eq!(status, 202, "{order}");
    order["id"].as_str().unwrap().to_owned()
}

async fn order_where(server: &Server, key: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    eventually(Duration::from_secs(60), || async {
        let (status, order) = get(
            server,
            key,
            &format!("/v1/organization-phone-numbers/orders/{id}"),
        )
        .await;
        if status == 200 && done(&order) {
            Ok(order)
        } else {
            Err(format!("{status} {order}"))
        }
    })
    .await
}

/// Restart, let the worker finish the order, then check the site's invariants.
async fn resumes_and_completes(site: &Site, label: &str, key: &str, id: &str, quantity: u64) {
    let server = site.serve("", A_MINUTE_ON).await;
    let order = order_where(&server, key, id, |o| o["status"] != "pending").await;
    assert_eq!(order["status"], "completed", "{label}: {order}");
    assert_eq!(order["bought"], quantity, "{label}: {order}");
    drop(server);
    let settled = site.recover(label, key, A_MINUTE_ON, 1).await;
    assert_eq!(settled.active.len() as u64, quantity, "{label}");
}

#[tokio::test]
async fn an_order_killed_while_buying_resumes_and_buys_each_number_once() {
    let site = Site::new().await;
    let mut server = site.serve("", 0).await;
    let key = site.tenant(&server).await;
    slow_carrier(&server).await;
    let id = place(&server, &key, 4).await;
    order_where(&server, &key, &id, |o| o["bought"].as_u64() >= Some(1)).await;
    server.proc.kill();
    drop(server);
    resumes_and_completes(&site, "killed", &key, &id, 4).await;
}

#[tokio::test]
async fn an_order_stopped_at_each_step_resumes_after_a_restart() {
    for step in [AFTER_HOLD, AFTER_FIRST_PURCHASE] {
        let site = Site::new().await;
        let mut server = site.serve(&format!("{step}=exit"), 0).await;
        let key = site.tenant(&server).await;
        slow_carrier(&server).await;
        let id = place(&server, &key, 3).await;
        assert_eq!(
            server.proc.exit_code().await,
            Some(FAILPOINT_EXIT),
            "{step}: the server should exit at the failpoint; {}",
            server.proc.output()
        );
        drop(server);
        resumes_and_completes(&site, step, &key, &id, 3).await;
    }
}
