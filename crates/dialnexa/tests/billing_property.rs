//! Property: over any sequence of clock moves, renewal runs and an optional release, the
//! ledger holds exactly one charge per rental period that began before the release (the first
//! always), whatever the order and however long the downtime between runs. The periods expected
//! are computed here from a table of month lengths, not by the calendar under test.

use dialnexa::app::Application;
use dialnexa::config::{CarrierArgs, DatabaseArgs, ServeArgs};
use dialnexa_domain::{CountryIso, Provider};
use dialnexa_service::auth::WorkspaceSpec;
use dialnexa_service::saga::purchase::{PurchaseOutcome, PurchaseRequest};
use dialnexa_service::{Caller, ManualClock};
use dialnexa_service::{ChargeFilter, Page};
use proptest::prelude::*;
use std::sync::Arc;

fn args(dir: &std::path::Path) -> ServeArgs {
    ServeArgs {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: DatabaseArgs {
            database_url: format!("sqlite://{}", dir.join("db.sqlite").display()),
            db_max_connections: 4,
            db_acquire_timeout_ms: 3000,
        },
        carriers: CarrierArgs {
            emulator: "on".into(),
            emulator_state: None,
            twilio_base_url: None,
            twilio_account_sid: None,
            twilio_auth_token: None,
            plivo_base_url: None,
            plivo_auth_id: None,
            plivo_auth_token: None,
            telnyx_base_url: None,
            telnyx_api_key: None,
            carrier_timeout_ms: 2000,
        },
        ops: Default::default(),
        admin_token: None,
        encryption_key: None,
        api_key_cache_ms: 5_000,
        guards: Default::default(),
        no_demo: true,
        no_migrate: false,
        failpoints: Default::default(),
        recovery_interval_ms: 60_000,
        renewal_interval_ms: 60_000,
        reconcile_interval_ms: 600_000,
        audit_prune_interval_ms: 3_600_000,
        clock_offset_secs: 0,
    }
}

async fn scenario(start: jiff::Timestamp, moves: Vec<i64>, release_after: Option<usize>) {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(start);
    // Built but not served: the workers are not running, the test drives renewals itself.
    let app = Application::build_with_clock(args(dir.path()), Arc::new(clock.clone()))
        .await
        .unwrap();
    let services = app.services().clone();
    let ws = services
        .create_workspace(WorkspaceSpec {
            name: "prop".into(),
            enabled_countries: vec![CountryIso::parse("US").unwrap()],
            default_provider: Provider::Twilio,
            approved_kyc: vec![],
        })
        .await
        .unwrap();
    let caller = Caller::with_key(ws.id, dialnexa_domain::ApiKeyId::generate());
    let req = PurchaseRequest {
        phone_number: "+14155552671".parse().unwrap(),
        provider: None,
        country: None,
        resumed_from: None,
    };
    let PurchaseOutcome::Active(number) = services.purchase(&caller, req).await.unwrap() else {
        panic!("the purchase did not complete");
    };
    let bought = number.activated_at.unwrap();
    let mut released = None;
    for (step, secs) in moves.iter().enumerate() {
        clock.advance(jiff::SignedDuration::from_secs(*secs));
        services.run_renewals().await.unwrap();
        if release_after == Some(step) && released.is_none() {
            let r = services
                .release_number(&caller, number.id.as_str())
                .await
                .unwrap();
            released = Some(r.released_at.expect("a released number has released_at"));
        }
    }
    // One more run after the last move: anything due must be charged by now.
    services.run_renewals().await.unwrap();
    let now = dialnexa_service::Clock::now(&clock);
    let (charges, total) = services
        .list_charges(
            &caller,
            Some(number.id.as_str()),
            ChargeFilter::default(),
            Page {
                page: 1,
                limit: 100,
            },
        )
        .await
        .unwrap();
    // Period k starts k months after the purchase, day clamped to the month's length; it is
    // due once begun, and only if it began before the release (period 0 always).
    let expected: Vec<jiff::Timestamp> = (0..)
        .map(|k| months_after(bought, k))
        .enumerate()
        .take_while(|(k, start)| *k == 0 || (*start <= now && released.is_none_or(|r| *start < r)))
        .map(|(_, start)| start)
        .collect();
    assert_eq!(
        total as usize,
        expected.len(),
        "bought {bought}, now {now}, released {released:?}"
    );
    let mut charges = charges;
    charges.sort_by_key(|c| c.period_index);
    for (k, (charge, start)) in charges.iter().zip(&expected).enumerate() {
        assert_eq!(charge.period_index as usize, k);
        assert_eq!(
            charge.period_start, *start,
            "period {k} of a number bought {bought}"
        );
    }
}

/// `at` moved `months` calendar months on in UTC, the day clamped to the target month's last
/// day (Jan 31 + 1 = Feb 28/29), the time of day kept.
fn months_after(at: jiff::Timestamp, months: u32) -> jiff::Timestamp {
    const DAYS: [i8; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let utc = at.to_zoned(jiff::tz::TimeZone::UTC);
    let (date, time) = (utc.date(), utc.time());
    let index = i64::from(date.year()) * 12 + i64::from(date.month() - 1) + i64::from(months);
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as usize);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let last = if month == 1 && leap { 29 } else { DAYS[month] };
    let day = date.day().min(last);
    let year = i16::try_from(year).expect("a year jiff knows");
    jiff::civil::date(year, month as i8 + 1, day)
        .to_datetime(time)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .expect("a UTC time")
        .timestamp()
}

#[test]
fn months_after_clamps_to_shorter_months() {
    let ts = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
    let jan31 = ts("2028-01-31T10:00:00Z");
    assert_eq!(months_after(jan31, 1), ts("2028-02-29T10:00:00Z"));
    assert_eq!(months_after(jan31, 2), ts("2028-03-31T10:00:00Z"));
    assert_eq!(months_after(jan31, 13), ts("2029-02-28T10:00:00Z"));
    assert_eq!(
        months_after(ts("2027-12-15T00:00:01Z"), 1),
        ts("2028-01-15T00:00:01Z")
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn charges_equal_periods_started_before_release(
        start in 1_790_000_000i64..1_900_000_000i64,
        moves in proptest::collection::vec(1i64..(80 * 86_400), 1..10),
        release_after in proptest::option::of(0usize..10),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(scenario(jiff::Timestamp::from_second(start).unwrap(), moves, release_after));
    }
}
