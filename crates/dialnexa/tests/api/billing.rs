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
    // The renewal worker only runs at start-up: the runs below are the only ones.
    let app = TestApp::spawn_configured(Arc::new(clock.clone()), |args| {
        args.renewal_interval_ms = 3_600_000
    })
    .await;
    let t = app.tenant(&["US"], &[]).await;
    let (status, bought) = app.buy(&t, "+14155552671").await;
    assert_eq!(status, 201, "{bought}");
    assert_eq!(bought["next_renewal_at"], "2027-02-28T10:00:00.000Z");

    // Four months of downtime: every missed period is charged, each once, even when two runs
    // race.
    clock.set(ts("2027-06-01T00:00:00Z"));
    let (a, b) = tokio::join!(app.services.run_renewals(), app.services.run_renewals());
    let (a, b) = (a.unwrap(), b.unwrap());
    // Periods 1 to 4 (Feb 28, Mar 31, Apr 30, May 31), each charged by one of the two runs.
    assert_eq!(a + b, 4, "{a} + {b} charges for 4 periods");
    assert_eq!(app.services.run_renewals().await.unwrap(), 0);
    // One `phone_number.renewed` per charge, written with it: a run that lost the race to
    // charge a period wrote no event for it.
    let renewed = app
        .raw_texts("SELECT payload FROM outbox WHERE event_type = 'phone_number.renewed'")
        .await;
    let mut periods: Vec<i64> = renewed
        .iter()
        .map(|row| {
            let payload: serde_json::Value =
                serde_json::from_str(row[0].as_deref().unwrap()).unwrap();
            payload["period_index"].as_i64().unwrap()
        })
        .collect();
    periods.sort_unstable();
    assert_eq!(periods, [1, 2, 3, 4], "{renewed:?}");

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

    // The ledger filtered by period start: `period_from` inclusive, `period_to` exclusive.
    let starts_between = |query: &str| {
        let path = format!("/v1/billing/charges?limit=100&{query}");
        let (app, t) = (&app, &t);
        async move {
            let (status, page) = app.get(t, &path).await;
            assert_eq!(status, 200, "{page}");
            let starts: Vec<String> = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["period_start"].as_str().unwrap()[..10].to_owned())
                .collect();
            assert_eq!(page["total"], starts.len(), "{page}");
            starts
        }
    };
    assert_eq!(
        starts_between("period_from=2027-03-31T10:00:00Z").await,
        ["2027-03-31", "2027-04-30", "2027-05-31"]
    );
    assert_eq!(
        starts_between("period_to=2027-03-31T10:00:00Z").await,
        ["2027-01-31", "2027-02-28"]
    );
    assert_eq!(
        starts_between("period_from=2027-02-28T10:00:00Z&period_to=2027-04-30T10:00:00Z").await,
        ["2027-02-28", "2027-03-31"]
    );
    assert!(
        starts_between("period_from=2027-06-01T00:00:00Z")
            .await
            .is_empty()
    );

    // Running again charges nothing new.
    assert_eq!(app.services.run_renewals().await.unwrap(), 0);
}
