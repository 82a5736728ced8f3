//! Reconciliation finds an orphan planted at the carrier and a ghost planted in our database,
//! through the service and through `dialnexa admin reconcile`.

use crate::helpers::TestApp;
use serde_json::{Value, json};

async fn plant(app: &TestApp) -> (String, String) {
    let t = app.tenant(&["US"], &[]).await;
    // A ghost: bought here, then gone at the carrier behind our back.
    let (status, bought) = app.buy(&t, "+14155552671").await;
    assert_eq!(status, 201);
    let ghost = bought["phone_number"].as_str().unwrap().to_owned();
    let r = app
        .client
        .post(format!(
            "{}/_emulator/numbers/%2B14155552671/release",
            app.emulator
        ))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    // An orphan: owned by our Twilio account at the carrier, unknown here.
    let (_, found) = app.get(&t, "/v1/organization-phone-numbers/available?country_iso=US&type=local&area_code=212&limit=1").await;
    let orphan = found["items"][0]["phone_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .client
        .post(format!(
            "{}/_emulator/numbers/{}/assign",
            app.emulator,
            orphan.replace('+', "%2B")
        ))
        .json(&json!({"carrier": "twilio"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    (orphan, ghost)
}

#[tokio::test]
async fn reconcile_reports_and_fixes_orphans_and_ghosts() {
    let app = TestApp::spawn().await;
    let (orphan, ghost) = plant(&app).await;

    let report = app.services.reconcile(false).await.unwrap();
    assert_eq!(report.orphans.len(), 1, "{report:?}");
    assert_eq!(report.orphans[0].phone_number, orphan);
    assert_eq!(report.ghosts.len(), 1, "{report:?}");
    assert_eq!(report.ghosts[0].phone_number, ghost);
    assert!(report.mismatches.is_empty());

    let fixed = app.services.reconcile(true).await.unwrap();
    assert_eq!(fixed.fixed.len(), 2, "{fixed:?}");
    // The orphan is back on the market, the ghost is released here; nothing is left to find.
    assert_eq!(app.carrier_number(&orphan).await["available"], true);
    assert!(app.services.reconcile(false).await.unwrap().is_clean());
}

#[tokio::test]
async fn the_cli_prints_json_and_exits_non_zero_when_something_differs() {
    let app = TestApp::spawn().await;
    let (orphan, ghost) = plant(&app).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dialnexa"))
        .args([
            "admin",
            "--database-url",
            &app.database_url,
            "reconcile",
            "--json",
        ])
        .args([
            "--emulator-state",
            &app.emulator_state.display().to_string(),
        ])
        .env("DIALNEXA_LOG", "error")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["orphans"][0]["phone_number"], orphan.as_str());
    assert_eq!(report["ghosts"][0]["phone_number"], ghost.as_str());
    assert_eq!(report["mismatches"], json!([]));

    let fix = std::process::Command::new(env!("CARGO_BIN_EXE_dialnexa"))
        .args([
            "admin",
            "--database-url",
            &app.database_url,
            "reconcile",
            "--fix",
        ])
        .args([
            "--emulator-state",
            &app.emulator_state.display().to_string(),
        ])
        .env("DIALNEXA_LOG", "error")
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&fix.stdout);
    assert!(
        table.contains("orphan") && table.contains("ghost"),
        "{table}"
    );
    let clean = std::process::Command::new(env!("CARGO_BIN_EXE_dialnexa"))
        .args(["admin", "--database-url", &app.database_url, "reconcile"])
        .args([
            "--emulator-state",
            &app.emulator_state.display().to_string(),
        ])
        .env("DIALNEXA_LOG", "error")
        .output()
        .unwrap();
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );
}
