//! `dialnexa numbers …`, the API client, against a running application.

use crate::helpers::TestApp;

/// Runs the CLI without blocking the runtime that serves its requests.
async fn dialnexa(app: &TestApp, key: &str, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_dialnexa"))
        .args(["numbers", "--api-url", &app.url(""), "--api-key", key])
        .args(args)
        .env("DIALNEXA_LOG", "error")
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_cli_searches_buys_and_lists() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let search = dialnexa(
        &app,
        &t.key,
        &[
            "search",
            "--country",
            "US",
            "--area-code",
            "415",
            "--limit",
            "2",
        ],
    )
    .await;
    assert!(
        search.status.success(),
        "{}",
        String::from_utf8_lossy(&search.stderr)
    );
    let table = String::from_utf8_lossy(&search.stdout);
    assert!(table.starts_with("PHONE_NUMBER"), "{table}");
    assert_eq!(
        table.lines().filter(|l| l.starts_with("+1415")).count(),
        2,
        "{table}"
    );

    let buy = dialnexa(&app, &t.key, &["--json", "buy", "+14155552671"]).await;
    assert!(
        buy.status.success(),
        "{}",
        String::from_utf8_lossy(&buy.stderr)
    );
    let bought: serde_json::Value = serde_json::from_slice(&buy.stdout).unwrap();
    assert_eq!(bought["status"], "active");

    // The error envelope becomes one readable line and a failing exit code.
    let again = dialnexa(&app, &t.key, &["buy", "+14155552671"]).await;
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("409 number_taken"), "{err}");

    let list = dialnexa(&app, &t.key, &["list"]).await;
    let table = String::from_utf8_lossy(&list.stdout);
    assert!(table.contains(bought["id"].as_str().unwrap()), "{table}");
    assert!(table.contains("1 of 1"), "{table}");
}
