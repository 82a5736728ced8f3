//! Rental billing through the real application with a clock the test moves.

use crate::helpers::TestApp;
use dialnexa_service::ManualClock;
use std::sync::Arc;

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

#[tokio::test]
async fn renewals_charge_each_started_period_once_and_catch_up() {
    let clock = ManualClock::new(ts("2027-01-31T10:00:00Z"));
    let app = TestApp::spawn_with_clock(Arc::new(clock.clone())).await;
    let t = app.tenant(&["US"], &[]).await;
    let (status, bought) = app.buy(&t, "+14155552671").await;
    assert_eq!(status, 201, "{bought}");
    assert_eq!(bought["next_renewal_at"], "2027-02-28T10:00:00.000Z");

    // Four months of downtime: every missed period is charged, each once, even when the worker
    // and a manual run race.
    clock.set(ts("2027-06-01T00:00:00Z"));
    let (a, b) = tokio::join!(app.services.run_renewals(), app.services.run_renewals());
    assert!(a.unwrap() + b.unwrap() <= 4);
    app.services.run_renewals().await.unwrap();

    let (_, charges) = app.get(&t, "/v1/billing/charges?limit=100").await;
    let starts: Vec<&str> = charges["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["period_start"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2027-01-31T10:00:00.000Z",
            "2027-02-28T10:00:00.000Z",
            "2027-03-31T10:00:00.000Z",
            "2027-04-30T10:00:00.000Z",
            "2027-05-31T10:00:00.000Z"
        ]
    );
    assert!(
        charges["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["amount_usd"] == "1.15")
    );
    let (_, now) = app
        .get(
            &t,
            &format!(
                "/v1/organization-phone-numbers/{}",
                bought["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(now["next_renewal_at"], "2027-06-30T10:00:00.000Z");

    // Running again charges nothing new.
    assert_eq!(app.services.run_renewals().await.unwrap(), 0);
}
