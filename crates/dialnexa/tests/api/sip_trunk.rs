//! Bring your own SIP trunk: the spec's request, its validation, the 409 for a number held
//! anywhere, sealed passwords, and what release means for such a number.

use crate::helpers::{TEST_ENCRYPTION_KEY, TestApp, assert_error, serve_args};
use crate::lifecycle_helpers::{bought, number_path};
use serde_json::{Value, json};

const LINK: &str = "/v1/organization-phone-numbers/sip-trunks";
const PASSWORD: &str = "Pl41nT3xt-Never-Stored";

fn userpass(number: &str) -> Value {
    json!({
        "phoneNumber": number,
        "terminationUri": "31974861099010243.zt.plivo.com:5060",
        "authMode": "userpass",
        "sipTrunkUserName": "sip-user",
        "sipTrunkPassword": PASSWORD,
        "nickname": "US BYOC Line"
    })
}

#[tokio::test]
async fn a_linked_number_is_active_unbilled_and_shows_no_secret() {
    let app = TestApp::spawn().await;
    // US is not enabled: bring-your-own numbers skip the country rule.
    let t = app.tenant(&["GB"], &[]).await;
    let (status, body) = app.post(&t, LINK, userpass("+14155552671")).await;
    assert_eq!(status, 201, "{body}");
    assert!(body["id"].as_str().unwrap().starts_with("phn_"));
    assert_eq!(body["phone_number"], "+14155552671");
    assert_eq!(body["country_code"], "US");
    assert_eq!(body["provider"], "sip_trunk");
    assert_eq!(body["status"], "active");
    assert_eq!(body["sip_trunk_enabled"], true);
    assert_eq!(body["nickname"], "US BYOC Line");
    assert_eq!(body["monthly_cost_usd"], "0.00");
    assert_eq!(body["next_renewal_at"], Value::Null);
    assert_eq!(
        body["sip_trunk"],
        json!({
            "termination_uri": "31974861099010243.zt.plivo.com:5060",
            "auth_mode": "userpass",
            "username": "sip-user",
            "password_set": true
        })
    );
    assert!(!body.to_string().contains(PASSWORD));
    let (_, got) = app.get(&t, &number_path(&body)).await;
    assert_eq!(got["sip_trunk"], body["sip_trunk"]);
    assert!(!got.to_string().contains(PASSWORD));
    let (_, list) = app
        .get(&t, "/v1/organization-phone-numbers?provider=sip_trunk")
        .await;
    assert_eq!(list["total"], 1);
    assert!(!list.to_string().contains(PASSWORD));

    // Not bought: the carriers never heard of it. Not billed: no charge, no renewal.
    assert_eq!(
        app.carrier_number("+14155552671").await["owner"],
        Value::Null
    );
    assert_eq!(app.get(&t, "/v1/billing/charges").await.1["total"], 0);
    app.services.run_renewals().await.unwrap();
    assert_eq!(app.get(&t, "/v1/billing/charges").await.1["total"], 0);

    // The component that places calls can still open the password.
    let caller = t.caller();
    let creds = app
        .services
        .sip_trunk_credentials(&caller, body["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(creds, Some(("sip-user".to_owned(), PASSWORD.to_owned())));
}

#[tokio::test]
async fn sip_trunk_requests_are_validated() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let base = |number: &str| userpass(number);
    let with = |number: &str, changes: Value| {
        let mut body = base(number);
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let ip = |number: &str, uri: &str| json!({"phoneNumber": number, "terminationUri": uri, "authMode": "ip"});
    // (body, expected status, expected code or the normalised termination URI)
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            with("+14155552671", json!({})),
            201,
            "31974861099010243.zt.plivo.com:5060",
        ),
        (
            with(
                "+14155552672",
                json!({"terminationUri": "Trunk.Example.COM"}),
            ),
            201,
            "trunk.example.com",
        ),
        (
            ip("+14155552673", "203.0.113.7:5080"),
            201,
            "203.0.113.7:5080",
        ),
        (
            ip("+14155552674", "[2001:db8::1]:5060"),
            201,
            "[2001:db8::1]:5060",
        ),
        (
            with("+14155552675", json!({"authMode": null})),
            201,
            "31974861099010243.zt.plivo.com:5060",
        ),
        (
            json!({"phone_number": "+14155552676", "termination_uri": "trunk.example.com:5061",
                   "auth_mode": "userpass", "sip_trunk_user_name": "u", "sip_trunk_password": "p"}),
            201,
            "trunk.example.com:5061",
        ),
        (
            with(
                "+14155552677",
                json!({"terminationUri": "sip:trunk.example.com"}),
            ),
            400,
            "invalid_termination_uri",
        ),
        (
            with(
                "+14155552677",
                json!({"terminationUri": "sips:trunk.example.com:5061"}),
            ),
            400,
            "invalid_termination_uri",
        ),
        (
            with(
                "+14155552677",
                json!({"terminationUri": "udp://trunk.example.com"}),
            ),
            400,
            "invalid_termination_uri",
        ),
        (
            with(
                "+14155552677",
                json!({"terminationUri": "trunk.example.com/pbx"}),
            ),
            400,
            "invalid_termination_uri",
        ),
        (
            with(
                "+14155552677",
                json!({"terminationUri": "trunk.example.com;transport=tcp"}),
            ),
            400,
            "invalid_termination_uri",
        ),
        (
            with(
                "+14155552677",
                json!({"terminationUri": "user@trunk.example.com"}),
            ),
            400,
            "invalid_termination_uri",
        ),
        (
            with(
                "+14155552677",
                json!({"terminationUri": "bad_host.example.com"}),
            ),
            400,
            "invalid_termination_uri",
        ),
        (
            with("+14155552677", json!({"terminationUri": "localhost"})),
            400,
            "invalid_termination_uri",
        ),
        (
            with("+14155552677", json!({"terminationUri": "300.1.2.3"})),
            400,
            "invalid_termination_uri",
        ),
        (
            with(
                "+14155552677",
                json!({"terminationUri": "trunk.example.com:0"}),
            ),
            400,
            "invalid_termination_uri",
        ),
        (
            with(
                "+14155552677",
                json!({"terminationUri": "trunk.example.com:65536"}),
            ),
            400,
            "invalid_termination_uri",
        ),
        (
            with(
                "+14155552677",
                json!({"terminationUri": "trunk.example.com:sip"}),
            ),
            400,
            "invalid_termination_uri",
        ),
        (
            with("+14155552677", json!({"terminationUri": ""})),
            400,
            "invalid_termination_uri",
        ),
        (
            with("+14155552677", json!({"terminationUri": null})),
            400,
            "invalid_termination_uri",
        ),
        (
            with("+14155552677", json!({"sipTrunkPassword": null})),
            400,
            "missing_sip_credentials",
        ),
        (
            with("+14155552677", json!({"sipTrunkUserName": null})),
            400,
            "missing_sip_credentials",
        ),
        (
            with("+14155552677", json!({"sipTrunkUserName": ""})),
            400,
            "missing_sip_credentials",
        ),
        (
            with("+14155552677", json!({"authMode": "ip"})),
            400,
            "unexpected_sip_credentials",
        ),
        (
            with(
                "+14155552677",
                json!({"authMode": "ip", "sipTrunkUserName": null}),
            ),
            400,
            "unexpected_sip_credentials",
        ),
        (
            with(
                "+14155552677",
                json!({"authMode": "ip", "sipTrunkPassword": null}),
            ),
            400,
            "unexpected_sip_credentials",
        ),
        (
            with("+14155552677", json!({"authMode": "digest"})),
            400,
            "invalid_auth_mode",
        ),
        (
            with("+14155552677", json!({"sipTrunkUserName": "x".repeat(129)})),
            400,
            "invalid_sip_credentials",
        ),
        (
            with("+14155552677", json!({"nickname": "n".repeat(256)})),
            400,
            "invalid_nickname",
        ),
        (with("14155552677", json!({})), 400, "invalid_phone_number"),
        (with("+99912345678", json!({})), 400, "invalid_phone_number"),
        (
            with("+14155552677", json!({"phoneNumber": null})),
            400,
            "missing_field",
        ),
    ];
    let mut created = 0;
    for (body, status, expected) in &cases {
        let r = app.post(&t, LINK, body.clone()).await;
        if *status == 201 {
            assert_eq!(r.0, 201, "{body} → {}", r.1);
            assert_eq!(r.1["sip_trunk"]["termination_uri"], *expected, "{body}");
            let mode = body.get("authMode").or(body.get("auth_mode")).cloned();
            let want_mode = mode.unwrap_or(json!("userpass"));
            assert_eq!(r.1["sip_trunk"]["auth_mode"], want_mode, "{body}");
            assert_eq!(
                r.1["sip_trunk"]["password_set"],
                want_mode == "userpass",
                "{body}"
            );
            created += 1;
        } else {
            assert_error(&r, *status, expected);
        }
    }
    // Refused requests left nothing behind.
    let (_, list) = app
        .get(&t, "/v1/organization-phone-numbers?limit=100")
        .await;
    assert_eq!(list["total"], created, "{list}");
    assert_eq!(
        app.raw_texts("SELECT phone_number_id FROM sip_trunks")
            .await
            .len(),
        created
    );
}

#[tokio::test]
async fn a_number_held_in_any_workspace_is_already_registered() {
    let app = TestApp::spawn().await;
    let a = app.tenant(&["US"], &[]).await;
    let b = app.tenant(&["US"], &[]).await;
    bought(&app, &a, "+14155552671").await;
    let r = app.post(&b, LINK, userpass("+14155552671")).await;
    assert_error(&r, 409, "phone_number_already_registered");
    assert!(
        r.1["message"]
            .as_str()
            .unwrap()
            .starts_with("Phone number already registered")
    );
    assert_error(
        &app.post(&a, LINK, userpass("+14155552671")).await,
        409,
        "phone_number_already_registered",
    );

    assert_eq!(app.post(&a, LINK, userpass("+14155550199")).await.0, 201);
    assert_error(
        &app.post(&b, LINK, userpass("+14155550199")).await,
        409,
        "phone_number_already_registered",
    );
    assert_error(
        &app.post(&a, LINK, userpass("+14155550199")).await,
        409,
        "phone_number_already_registered",
    );
    // And a purchase of a linked number is refused like any held number.
    assert_error(&app.buy(&b, "+14155550199").await, 409, "number_taken");
    assert_eq!(
        app.get(&b, "/v1/organization-phone-numbers").await.1["total"],
        0
    );
}

#[tokio::test]
async fn the_database_holds_no_plaintext_sip_password() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (status, body) = app.post(&t, LINK, userpass("+14155552671")).await;
    assert_eq!(status, 201, "{body}");

    let rows = app
        .raw_texts("SELECT phone_number_id, username, password_encrypted FROM sip_trunks")
        .await;
    assert_eq!(rows.len(), 1);
    let sealed = rows[0][2].clone().expect("a sealed password");
    assert_eq!(rows[0][0].as_deref(), body["id"].as_str());
    assert_eq!(rows[0][1].as_deref(), Some("sip-user"));
    assert!(sealed.starts_with("v1:"), "{sealed}");
    assert!(!sealed.contains(PASSWORD), "{sealed}");
    for table in ["phone_numbers", "outbox", "sip_trunks"] {
        let dump = app
            .raw_texts(&format!("SELECT * FROM {table}"))
            .await
            .concat()
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("|");
        assert!(!dump.contains(PASSWORD), "plaintext in {table}");
    }
    // On SQLite, not a byte of it anywhere in the files either (WAL included); the key lives
    // beside the database, readable by its owner only.
    if let Some(db) = app.sqlite_path() {
        for file in [db.clone(), db.with_extension("db-wal")] {
            if let Ok(bytes) = std::fs::read(&file) {
                let found = bytes
                    .windows(PASSWORD.len())
                    .any(|w| w == PASSWORD.as_bytes());
                assert!(!found, "plaintext in {}", file.display());
            }
        }
        let key = db.with_file_name("dialnexa-secret.key");
        let meta = std::fs::metadata(&key).expect("the generated key file");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        }
        let text = std::fs::read_to_string(&key).unwrap();
        assert!(dialnexa_service::cipher::EncryptionKey::from_base64(&text).is_ok());
    }
}

#[tokio::test]
async fn releasing_a_sip_trunk_number_only_unlinks_it() {
    let app = TestApp::spawn().await;
    let a = app.tenant(&["US"], &[]).await;
    let b = app.tenant(&["US"], &[]).await;
    let (_, linked) = app.post(&a, LINK, userpass("+14155552671")).await;
    let (status, released) = app.delete(&a, &number_path(&linked)).await;
    assert_eq!(status, 200, "{released}");
    assert_eq!(released["status"], "released");
    assert!(released["released_at"].is_string());
    assert_eq!(released.get("sip_trunk"), None, "credentials are dropped");
    assert!(
        app.raw_texts("SELECT phone_number_id FROM sip_trunks")
            .await
            .is_empty()
    );
    assert_eq!(
        app.carrier_number("+14155552671").await["owner"],
        Value::Null
    );
    assert_error(
        &app.delete(&a, &number_path(&linked)).await,
        404,
        "not_found",
    );
    // Free for anyone to link (or buy) again.
    assert_eq!(app.post(&b, LINK, userpass("+14155552671")).await.0, 201);
}

#[tokio::test]
async fn the_encryption_key_comes_from_configuration() {
    use dialnexa::app::Application;
    use dialnexa::secret_key;
    let dir = tempfile::tempdir().unwrap();

    // PostgreSQL without a key: refuse to start, before touching the database.
    let mut args = serve_args("postgres://nobody@127.0.0.1:1/none".into(), dir.path());
    args.encryption_key = None;
    let err = Application::build(args).await.err().expect("refused");
    let message = format!("{err:#}");
    assert!(message.contains("DIALNEXA_ENCRYPTION_KEY"), "{message}");
    assert!(message.contains("--encryption-key"), "{message}");

    // A given key must be 32 bytes of base64.
    let mut args = serve_args(
        format!("sqlite://{}", dir.path().join("a.db").display()),
        dir.path(),
    );
    args.encryption_key = Some("too-short".into());
    let refused = format!("{:#}", secret_key::resolve(&args).expect_err("refused"));
    for says in ["--encryption-key", "32 random bytes in base64"] {
        assert!(refused.contains(says), "{says} in {refused}");
    }
    args.encryption_key = Some(TEST_ENCRYPTION_KEY.into());
    assert_eq!(
        secret_key::resolve(&args).unwrap(),
        dialnexa_service::cipher::EncryptionKey::from_base64(TEST_ENCRYPTION_KEY).unwrap()
    );

    // SQLite without a key: one is generated beside the file and reused on later starts.
    args.encryption_key = None;
    let first = secret_key::resolve(&args).unwrap();
    assert!(dir.path().join(secret_key::KEY_FILE).exists());
    assert_eq!(secret_key::resolve(&args).unwrap(), first);
}
