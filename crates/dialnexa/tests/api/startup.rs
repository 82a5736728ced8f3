//! Start-up: migrations on start, or only by `dialnexa migrate` when told not to.

use crate::helpers::{serve_args, test_database_url};
use dialnexa::app::Application;

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
    let refused = Application::build(args.clone()).await;
    assert!(refused.is_err(), "an unmigrated database cannot serve");

    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_dialnexa"))
        .args(["migrate", "--database-url", &url])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));
    let app = Application::build(args)
        .await
        .expect("serves once migrated");
    app.services().ready().await.unwrap();
}
