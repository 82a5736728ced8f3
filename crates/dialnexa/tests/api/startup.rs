//! Start-up: migrations on start, or only by `dialnexa migrate` when told not to; liveness and
//! readiness; the workers' documented default intervals.

use crate::helpers::{TestApp, serve_args, test_database_url};
use crate::support::process::dialnexa;
use clap::Parser;
use dialnexa::app::Application;
use dialnexa::cli::{Cli, Command};
use serde_json::json;

#[tokio::test]
async fn no_migrate_leaves_the_schema_to_dialnexa_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let url = test_database_url(dir.path()).await;
    let url = if url.starts_with("sqlite:") {
        url
    } else {
        // The template database is already migrated; start from an empty one instead.
        dialnexa_store::testing::empty_postgres_database().await
    };
    let mut args = serve_args(url.clone(), dir.path());
    args.no_migrate = true;
    let refused = Application::build(args.clone())
        .await
        .err()
        .expect("an unmigrated database cannot serve");
    let message = format!("{refused:#}");
    assert!(message.contains("dialnexa migrate"), "{message}");

    let migrated = dialnexa(&["migrate", "--database-url", &url], &[]).await;
    assert!(
        migrated.ok().contains("migrations applied"),
        "{migrated:#?}"
    );
    let app = Application::build(args)
        .await
        .expect("serves once migrated");
    app.services().ready().await.unwrap();
}

#[tokio::test]
async fn health_says_the_process_serves_and_ready_that_the_database_commits() {
    let app = TestApp::spawn().await;
    for (path, status) in [("/health", "ok"), ("/ready", "ready")] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body, json!({ "status": status }), "{path}");
    }
    // Not ready while the database cannot commit; alive all the same.
    app.faults.fail_commits(true);
    let r = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let r = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    app.faults.fail_commits(false);
    // A database that is gone altogether: scale_out.rs, which can take PostgreSQL away.
}

#[test]
fn the_workers_run_at_the_documented_intervals_by_default() {
    let cli = Cli::try_parse_from(["dialnexa", "serve"]).expect("serve needs no flags");
    let Command::Serve(args) = cli.command else {
        panic!("not serve: {:?}", cli.command)
    };
    // README: recovery "at start-up and every 5 s", reconciliation "every 10 minutes",
    // verified keys trusted for 5,000 ms, audit rows past their 400 days deleted "every hour".
    assert_eq!(args.recovery_interval_ms, 5_000);
    assert_eq!(args.reconcile_interval_ms, 600_000);
    assert_eq!(args.api_key_cache_ms, 5_000);
    assert_eq!(args.audit_prune_interval_ms, 3_600_000);
}
