//! Property: over any sequence of clock moves, renewal runs and an optional release, the
//! ledger holds exactly one charge per rental period that began before the release (the first
//! always), whatever the order and however long the downtime between runs.

use dialnexa::app::Application;
use dialnexa::config::{CarrierArgs, DatabaseArgs, ServeArgs};
use dialnexa_domain::{BillingPeriod, CountryIso, Provider};
use dialnexa_service::auth::WorkspaceSpec;
use dialnexa_service::purchase::{PurchaseOutcome, PurchaseRequest};
use dialnexa_service::{Caller, ManualClock};
use dialnexa_store::{ChargeFilter, Page};
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
        admin_token: None,
        encryption_key: None,
        api_key_cache_ms: 5_000,
        no_demo: true,
        no_migrate: false,
        failpoints: Default::default(),
        recovery_interval_ms: 60_000,
        renewal_interval_ms: 60_000,
        reconcile_interval_ms: 600_000,
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
    let caller = Caller {
        workspace_id: ws.id,
    };
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
    let expected: Vec<_> = BillingPeriod::due(bought, now, released).collect();
    assert_eq!(
        total as usize,
        expected.len(),
        "bought {bought}, now {now}, released {released:?}"
    );
    for (charge, period) in charges.iter().zip(&expected) {
        assert_eq!(charge.period_start, period.start);
        assert_eq!(charge.period_index, period.index);
    }
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
