//! Reconciliation finds an orphan planted at the carrier, a ghost planted in our database and a
//! mismatch (the carrier re-issued a number's handle), through the service and through
//! `dialnexa admin reconcile`; `--fix` repairs each, and the repair reads back through the API.

use crate::helpers::{Tenant, TestApp};
use crate::support::process::{Ran, dialnexa};
use serde_json::{Value, json};

const GHOST: &str = "+14155552671";
const MISMATCHED: &str = "+14155550123";

struct Planted {
    tenant: Tenant,
    orphan: String,
    ghost: Value,
    mismatched: Value,
}

async fn control(app: &TestApp, number: &str, action: &str, body: Value) -> Value {
    let r = app
        .client
        .post(format!(
            "{}/_emulator/numbers/{}/{action}",
            app.emulator,
            number.replace('+', "%2B")
        ))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{action} {number}: {}", r.status());
    r.json().await.unwrap()
}

async fn plant(app: &TestApp) -> Planted {
    let tenant = app.tenant(&["US"], &[]).await;
    // A ghost: bought here, then gone at the carrier behind our back.
    let (status, ghost) = app.buy(&tenant, GHOST).await;
    assert_eq!(status, 201, "{ghost}");
    control(app, GHOST, "release", json!({})).await;
    // A mismatch: still ours at the carrier, under a handle (sid) it issued anew.
    let (status, mismatched) = app.buy(&tenant, MISMATCHED).await;
    assert_eq!(status, 201, "{mismatched}");
    let before = app.carrier_number(MISMATCHED).await["sid"].clone();
    let after = control(app, MISMATCHED, "assign", json!({"carrier": "twilio"})).await;
    assert_ne!(after["sid"], before, "a new handle at the carrier");
    // An orphan: owned by our Twilio account at the carrier, unknown here.
    let (_, found) = app.get(&tenant, "/v1/organization-phone-numbers/available?country_iso=US&type=local&area_code=212&limit=1").await;
    let orphan = found["items"][0]["phone_number"]
        .as_str()
        .unwrap()
        .to_owned();
    control(app, &orphan, "assign", json!({"carrier": "twilio"})).await;
    Planted {
        tenant,
        orphan,
        ghost,
        mismatched,
    }
}

/// The carrier handle our row holds for `record`.
async fn our_handle(app: &TestApp, record: &Value) -> Option<String> {
    let id = record["id"].as_str().unwrap();
    app.raw_texts(&format!(
        "SELECT carrier_ref FROM phone_numbers WHERE id = '{id}'"
    ))
    .await
    .remove(0)
    .remove(0)
}

/// What a fix must leave behind, read back through the API and from the carrier.
async fn assert_fixed(app: &TestApp, p: &Planted) {
    assert_eq!(app.carrier_number(&p.orphan).await["available"], true);
    let (_, ghost) = app
        .get(&p.tenant, &crate::lifecycle_helpers::number_path(&p.ghost))
        .await;
    assert_eq!(ghost["status"], "released", "{ghost}");
    assert!(ghost["released_at"].is_string(), "{ghost}");
    let carrier = app.carrier_number(MISMATCHED).await["sid"].clone();
    assert_eq!(
        our_handle(app, &p.mismatched).await.as_deref(),
        carrier.as_str(),
        "the carrier's handle adopted"
    );
    let (_, still) = app
        .get(
            &p.tenant,
            &crate::lifecycle_helpers::number_path(&p.mismatched),
        )
        .await;
    assert_eq!(still["status"], "active", "{still}");
}

#[tokio::test]
async fn reconcile_reports_and_fixes_orphans_ghosts_and_mismatches() {
    let app = TestApp::spawn().await;
    let p = plant(&app).await;

    let report = app.services.reconcile(false).await.unwrap();
    assert_eq!(report.orphans.len(), 1, "{report:?}");
    assert_eq!(report.orphans[0].phone_number, p.orphan);
    assert_eq!(report.ghosts.len(), 1, "{report:?}");
    assert_eq!(report.ghosts[0].phone_number, GHOST);
    assert_eq!(report.mismatches.len(), 1, "{report:?}");
    assert_eq!(report.mismatches[0].phone_number, MISMATCHED);
    assert_eq!(
        report.mismatches[0].ours,
        our_handle(&app, &p.mismatched).await
    );

    let fixed = app.services.reconcile(true).await.unwrap();
    assert_eq!(fixed.fixed.len(), 3, "{fixed:?}");
    assert_fixed(&app, &p).await;
    assert!(app.services.reconcile(false).await.unwrap().is_clean());
}

async fn reconcile_cli(app: &TestApp, flags: &[&str]) -> Ran {
    let state = app.emulator_state.display().to_string();
    let mut args = vec![
        "admin",
        "--database-url",
        &app.database_url,
        "reconcile",
        "--emulator-state",
        &state,
    ];
    args.extend_from_slice(flags);
    dialnexa(&args, &[]).await
}

#[tokio::test]
async fn the_cli_prints_json_fixes_and_exits_non_zero_while_something_differs() {
    let app = TestApp::spawn().await;
    let p = plant(&app).await;
    let out = reconcile_cli(&app, &["--json"]).await;
    assert_eq!(out.code, Some(1), "{out:#?}");
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["orphans"][0]["phone_number"], p.orphan.as_str());
    assert_eq!(report["ghosts"][0]["phone_number"], GHOST);
    assert_eq!(report["mismatches"][0]["phone_number"], MISMATCHED);

    // --fix reports what it found, as the plain run does (exit 1), and repairs it.
    let fix = reconcile_cli(&app, &["--fix"]).await;
    assert_eq!(fix.code, Some(1), "{fix:#?}");
    for kind in ["orphan", "ghost", "mismatch", "fixed:"] {
        assert!(fix.stdout.contains(kind), "{kind} in {fix:#?}");
    }
    assert_fixed(&app, &p).await;

    let clean = reconcile_cli(&app, &[]).await;
    assert_eq!(clean.code, Some(0), "{clean:#?}");
    assert!(
        clean
            .stdout
            .contains("0 orphan(s), 0 ghost(s), 0 mismatch(es)"),
        "{clean:#?}"
    );
}
