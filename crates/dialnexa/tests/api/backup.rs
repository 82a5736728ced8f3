//! README "Operating it", backups: a copy made with `VACUUM INTO` while the server runs holds
//! every committed number, and with `dialnexa-secret.key` copied beside it the SIP trunk
//! passwords open again; without the key they do not. SQLite only: PostgreSQL deployments back
//! up with PostgreSQL's own tools.

use crate::helpers::{TestApp, serve_args};
use dialnexa::app::Application;
use dialnexa_service::numbers::NumberQuery;
use serde_json::json;
use sqlx::Connection;
use std::path::Path;

const PASSWORD: &str = "Backed-Up-Secret-42";

/// A server on the backup in `dir`, as an operator restoring it would start one.
async fn restored(dir: &Path) -> Application {
    let url = format!("sqlite://{}", dir.join("dialnexa.db").display());
    Application::build(serve_args(url, dir))
        .await
        .expect("a server starts on the backup")
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_numbers_and_with_the_key_file_their_secrets() {
    let app = TestApp::spawn().await;
    let Some(live) = app.database_url.strip_prefix("sqlite://") else {
        eprintln!("skipped on PostgreSQL: the SQLite file's backup");
        return;
    };
    let t = app.tenant(&["US"], &[]).await;
    assert_eq!(app.buy(&t, "+14155552671").await.0, 201);
    let (status, trunk) = app
        .post(
            &t,
            "/v1/organization-phone-numbers/sip-trunks",
            json!({
                "phoneNumber": "+14155552672",
                "terminationUri": "31974861099010243.zt.plivo.com:5060",
                "authMode": "userpass",
                "sipTrunkUserName": "sip-user",
                "sipTrunkPassword": PASSWORD,
            }),
        )
        .await;
    assert_eq!(status, 201, "{trunk}");
    let trunk_id = trunk["id"].as_str().unwrap().to_owned();

    // The backup, while the server runs (what `sqlite3 dialnexa.db "VACUUM INTO '…'"` does).
    let with_key = tempfile::tempdir().unwrap();
    let without_key = tempfile::tempdir().unwrap();
    let mut conn = sqlx::SqliteConnection::connect(&app.database_url)
        .await
        .unwrap();
    for dir in [&with_key, &without_key] {
        let target = dir.path().join("dialnexa.db");
        sqlx::query(&format!("VACUUM INTO '{}'", target.display()))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn.close().await.unwrap();
    let key_file = Path::new(live).with_file_name(dialnexa::secret_key::KEY_FILE);
    std::fs::copy(
        &key_file,
        with_key.path().join(dialnexa::secret_key::KEY_FILE),
    )
    .unwrap();
    // Bought after the backup: not in it.
    assert_eq!(app.buy(&t, "+14155552673").await.0, 201);

    let restored_app = restored(with_key.path()).await;
    let services = restored_app.services();
    let caller = services
        .authenticate(&t.key)
        .await
        .expect("the key is in the backup");
    let (numbers, total) = services
        .list_numbers(&caller, &NumberQuery::default().parse().unwrap())
        .await
        .unwrap();
    let mut held: Vec<String> = numbers.iter().map(|n| n.phone_number.to_string()).collect();
    held.sort();
    assert_eq!(total, 2);
    assert_eq!(held, ["+14155552671", "+14155552672"]);
    let credentials = services
        .sip_trunk_credentials(&caller, &trunk_id)
        .await
        .expect("the key file opens the sealed password");
    assert_eq!(
        credentials,
        Some(("sip-user".to_owned(), PASSWORD.to_owned()))
    );

    // Restored without the key file: a new key is made, and the old secrets stay sealed.
    let keyless = restored(without_key.path()).await;
    let caller = keyless.services().authenticate(&t.key).await.unwrap();
    assert!(
        keyless
            .services()
            .sip_trunk_credentials(&caller, &trunk_id)
            .await
            .is_err()
    );
}
