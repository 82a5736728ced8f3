//! A burst of purchases waits its turn for the database; it is never thrown away. Two thousand
//! purchases in flight at once, through a pool of four connections and a carrier that takes
//! its time: every one is answered 201, none 503, and each is bought once.

use crate::helpers::TestApp;
use serde_json::json;

const PURCHASES: usize = 2_000;

/// The `i`-th of distinct US local numbers the emulator sells without a search
/// (`+1 212 [2-9][3579]X XXXX`).
fn number(i: usize) -> String {
    let line = i % 10_000;
    let third = (i / 10_000) % 10;
    let middle = [3, 5, 7, 9][(i / 100_000) % 4];
    let first = 2 + (i / 400_000) % 8;
    format!("+1212{first}{middle}{third}{line:04}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_purchases_in_flight_through_four_connections_all_succeed() {
    let app = TestApp::spawn_with(|args| {
        args.database.db_max_connections = 4;
        // The product's default: how long a request may wait in line for a connection.
        args.database.db_acquire_timeout_ms = 30_000;
        // A carrier answer that took longer would leave the purchase pending (202), which is
        // not what this test is about.
        args.carriers.carrier_timeout_ms = 60_000;
    })
    .await;
    let tenant = app.tenant(&["US"], &[]).await;
    // Every purchase holds its claim while the carrier takes 200 ms: all of them are in flight
    // together.
    app.set_faults(json!({"buy_latency_ms": 200})).await;

    let buys = (0..PURCHASES).map(|i| {
        let (app, tenant) = (&app, &tenant);
        async move { app.buy(tenant, &number(i)).await }
    });
    let answers = futures::future::join_all(buys).await;

    let mut statuses = std::collections::BTreeMap::new();
    for (status, body) in &answers {
        *statuses.entry(*status).or_insert(0) += 1;
        if *status != 201 {
            panic!("a purchase answered {status}: {body}");
        }
    }
    assert_eq!(statuses.get(&201), Some(&PURCHASES), "{statuses:?}");
    let (_, list) = app
        .get(&tenant, "/v1/organization-phone-numbers?limit=1")
        .await;
    assert_eq!(list["total"], PURCHASES, "{list}");
    let owned = app.carrier_owned().await;
    assert_eq!(owned.len(), PURCHASES, "bought once each at the carrier");
}
