//! The purchase saga dies at each of its steps, or while the carrier hangs after selling.

use crate::harness::{A_MINUTE_ON, FAILPOINT_EXIT, FORTY_DAYS_ON, Site, assert_died, client, send};
use crate::support::eventually;
use dialnexa_service::failpoints::{PURCHASE_AFTER_CLAIM, PURCHASE_STEPS};
use serde_json::{Value, json};
use std::time::Duration;

const NUMBER: &str = "+14155552671";

fn phone_numbers(records: &[Value]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r["phone_number"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_crash_at_any_step_of_a_purchase_loses_nothing_and_bills_once() {
    for step in PURCHASE_STEPS {
        let site = Site::new().await;
        let mut server = site.serve(&format!("{step}=exit"), 0).await;
        let key = site.tenant(&server).await;
        let r = client()
            .post(format!(
                "{}/v1/organization-phone-numbers/purchase",
                server.url
            ))
            .bearer_auth(&key)
            .json(&json!({"phone_number": NUMBER}))
            .send()
            .await;
        assert_died(step, r);
        assert_eq!(
            server.proc.exit_code().await,
            Some(FAILPOINT_EXIT),
            "{step}: the server should exit at the failpoint; {}",
            server.proc.output()
        );
        drop(server);

        let settled = site.recover(step, &key, A_MINUTE_ON, 1).await;
        // Before the carrier was called nothing was bought; after, the number is ours.
        let expected: &[&str] = if step == PURCHASE_AFTER_CLAIM {
            &[]
        } else {
            &[NUMBER]
        };
        assert_eq!(phone_numbers(&settled.active), expected, "{step}");
        drop(settled);

        // Later restarts change nothing but the rent: period 1, charged once.
        let later = site.recover(step, &key, FORTY_DAYS_ON, 2).await;
        assert_eq!(phone_numbers(&later.active), expected, "{step}");
    }
}

#[tokio::test]
async fn killed_while_the_carrier_hangs_after_selling_the_number_is_still_ours() {
    let site = Site::new().await;
    // The server waits for the carrier far longer than the test needs to see the sale.
    let mut server = site.serve_with("", 0, 60_000).await;
    let key = site.tenant(&server).await;
    let http = client();
    // The carrier commits the sale and then hangs; we kill the server while it waits.
    let (status, _) = send(
        http.post(format!("{}/_emulator/faults", server.emulator()))
            .json(&json!({"timeout_after_commit_next": 1})),
    )
    .await;
    assert_eq!(status, 200);
    let purchase = {
        let url = format!("{}/v1/organization-phone-numbers/purchase", server.url);
        let (http, key) = (http.clone(), key.clone());
        tokio::spawn(async move {
            http.post(url)
                .bearer_auth(key)
                .json(&json!({"phone_number": NUMBER}))
                .send()
                .await
        })
    };
    // The emulator reports the sale once it is committed in its own database; until then a
    // kill would test a purchase the carrier never made.
    let number = format!(
        "{}/_emulator/numbers/%2B{}",
        server.emulator(),
        &NUMBER[1..]
    );
    eventually(Duration::from_secs(30), || async {
        let (_, at_carrier) = send(http.get(&number)).await;
        match at_carrier["owner"].as_str() {
            Some(owner) if owner.starts_with("twilio:") => Ok(()),
            _ => Err(at_carrier),
        }
    })
    .await;
    assert!(
        !purchase.is_finished(),
        "the purchase must still wait on the hanging carrier"
    );
    server.proc.kill();
    assert_died("killed", purchase.await.unwrap());
    drop(server);

    let settled = site.recover("killed", &key, A_MINUTE_ON, 1).await;
    assert_eq!(
        phone_numbers(&settled.active),
        [NUMBER],
        "the carrier sold it, so it must be ours"
    );
}
