//! The command line against a running application: `dialnexa numbers …` (a client of the API)
//! and `dialnexa admin …` (operator commands on the same database), each checked through the
//! API afterwards.

use crate::helpers::{Tenant, TestApp};
use crate::support::process::{Ran, dialnexa};
use dialnexa_domain::WorkspaceId;
use serde_json::{Value, json};

async fn numbers(app: &TestApp, key: &str, args: &[&str]) -> Ran {
    let url = app.url("");
    let mut all = vec!["numbers", "--api-url", &url, "--api-key", key];
    all.extend_from_slice(args);
    dialnexa(&all, &[]).await
}

async fn admin(app: &TestApp, args: &[&str]) -> Ran {
    let mut all = vec!["admin", "--database-url", &app.database_url];
    all.extend_from_slice(args);
    dialnexa(&all, &[]).await
}

#[tokio::test]
async fn the_cli_searches_buys_lists_and_gets() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let search = numbers(
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
    let table = search.ok();
    assert!(table.starts_with("PHONE_NUMBER"), "{table}");
    assert_eq!(
        table.lines().filter(|l| l.starts_with("+1415")).count(),
        2,
        "{table}"
    );

    let buy = numbers(&app, &t.key, &["--json", "buy", "+14155552671"]).await;
    let bought: Value = serde_json::from_str(buy.ok()).unwrap();
    assert_eq!(bought["status"], "active");
    let id = bought["id"].as_str().unwrap();

    // The error envelope becomes one readable line and a failing exit code.
    let again = numbers(&app, &t.key, &["buy", "+14155552671"]).await;
    assert_eq!(again.code, Some(1), "{again:#?}");
    assert!(again.stderr.contains("409 number_taken"), "{again:#?}");

    let list = numbers(&app, &t.key, &["list"]).await;
    let table = list.ok();
    assert!(table.contains(id), "{table}");
    assert!(table.contains("1 of 1"), "{table}");

    let get = numbers(&app, &t.key, &["--json", "get", id]).await;
    let one: Value = serde_json::from_str(get.ok()).unwrap();
    let (_, api) = app
        .get(&t, &format!("/v1/organization-phone-numbers/{id}"))
        .await;
    assert_eq!(one, api, "the CLI shows what the API answers");
    let get = numbers(&app, &t.key, &["get", id]).await;
    let shown = get.ok();
    assert!(
        shown.contains("+14155552671") && shown.contains("active"),
        "{shown}"
    );
    let missing = numbers(&app, &t.key, &["get", "phn_doesnotexist"]).await;
    assert_eq!(missing.code, Some(1), "{missing:#?}");
    assert!(missing.stderr.contains("404 not_found"), "{missing:#?}");
}

#[tokio::test]
async fn admin_commands_create_workspaces_keys_and_kyc_decisions() {
    let app = TestApp::spawn().await;
    let created = admin(
        &app,
        &[
            "workspace",
            "create",
            "--name",
            "Acme",
            "--countries",
            "US,IN",
        ],
    )
    .await;
    let id = created.ok().trim().to_owned();
    let workspace = WorkspaceId::parse(&id).unwrap_or_else(|| panic!("a workspace id: {id}"));
    let listed = admin(&app, &["workspace", "list"]).await;
    let line = listed
        .ok()
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("{id} in the list: {listed:#?}"));
    assert!(
        line.contains("IN") && line.contains("US") && line.ends_with("Acme"),
        "{line}"
    );

    let key = admin(&app, &["key", "create", "--workspace", &id]).await;
    let secret = key.ok().trim().to_owned();
    assert!(secret.starts_with("dnx_live_"), "{key:#?}");
    assert!(!key.stderr.contains(&secret), "the secret is printed once");
    let tenant = Tenant::new(workspace, secret);
    let (status, ws) = app.get(&tenant, "/v1/workspace").await;
    assert_eq!(status, 200, "the new key works: {ws}");
    assert_eq!(ws["id"], id.as_str());
    let (_, log) = app.get(&tenant, "/v1/audit-events?actor=cli").await;
    let created = &log["items"][0];
    assert_eq!(
        (&created["action"], &created["actor_type"], &log["total"]),
        (&json!("api_key.create"), &json!("operator"), &json!(1)),
        "the command line's key creation is audited: {log}"
    );

    let kyc = admin(
        &app,
        &[
            "kyc",
            "set",
            "--workspace",
            &id,
            "--country",
            "IN",
            "--status",
            "approved",
        ],
    )
    .await;
    assert!(kyc.ok().contains("approved"), "{kyc:#?}");
    let (_, decisions) = app.get(&tenant, "/v1/workspace/kyc").await;
    assert_eq!(decisions["items"][0]["country"], "IN", "{decisions}");
    assert_eq!(decisions["items"][0]["status"], "approved", "{decisions}");
    assert_eq!(app.buy(&tenant, "+912234567890").await.0, 201);

    let refused = admin(
        &app,
        &[
            "kyc",
            "set",
            "--workspace",
            &id,
            "--country",
            "IN",
            "--status",
            "maybe",
        ],
    )
    .await;
    assert_ne!(refused.code, Some(0), "{refused:#?}");
}

#[tokio::test]
async fn admin_billing_run_until_charges_every_period_begun_by_then() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let (status, bought) = app.buy(&t, "+14155552671").await;
    assert_eq!(status, 201, "{bought}");
    let bought_at: jiff::Timestamp = bought["created_at"].as_str().unwrap().parse().unwrap();
    // A date alone means midnight UTC: 94 days on, periods 1, 2 and 3 have begun (three months
    // are at most 92 days), period 4 has not.
    let day = (bought_at + jiff::SignedDuration::from_hours(24 * 94))
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    let run = admin(&app, &["billing", "run", "--until", &day]).await;
    assert!(run.ok().contains("charged 3 rental period(s)"), "{run:#?}");
    let (_, charges) = app.get(&t, "/v1/billing/charges?limit=100").await;
    let mut indices: Vec<u64> = charges["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["period_index"].as_u64().unwrap())
        .collect();
    indices.sort_unstable();
    assert_eq!(indices, [0, 1, 2, 3], "{charges}");
    // Run again, to an RFC 3339 instant a little later: nothing is charged twice.
    let later = (bought_at + jiff::SignedDuration::from_hours(24 * 95)).to_string();
    let again = admin(&app, &["billing", "run", "--until", &later]).await;
    assert!(
        again.ok().contains("charged 0 rental period(s)"),
        "{again:#?}"
    );
    let bad = admin(&app, &["billing", "run", "--until", "June"]).await;
    assert_ne!(bad.code, Some(0), "{bad:#?}");
}

#[tokio::test]
async fn admin_commands_print_json_with_json() {
    let app = TestApp::spawn().await;
    let json_of = |ran: &Ran| -> Value {
        serde_json::from_str(ran.ok()).unwrap_or_else(|e| panic!("JSON ({e}): {ran:#?}"))
    };
    let created = admin(
        &app,
        &[
            "--json",
            "workspace",
            "create",
            "--name",
            "Acme",
            "--countries",
            "US,IN",
        ],
    )
    .await;
    let workspace = json_of(&created);
    let id = workspace["id"].as_str().unwrap().to_owned();
    assert!(WorkspaceId::parse(&id).is_some(), "{workspace}");
    let mut countries: Vec<&str> = workspace["enabled_countries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    countries.sort_unstable();
    assert_eq!(
        (&workspace["name"], countries),
        (&json!("Acme"), vec!["IN", "US"]),
        "{workspace}"
    );

    // The flag is global: it may follow the subcommand too.
    let listed = json_of(&admin(&app, &["workspace", "list", "--json"]).await);
    let ours = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == id.as_str())
        .unwrap_or_else(|| panic!("{id} listed: {listed}"));
    assert_eq!(ours["default_provider"], "twilio", "{listed}");

    let key = json_of(&admin(&app, &["--json", "key", "create", "--workspace", &id]).await);
    let secret = key["secret"].as_str().unwrap();
    assert!(secret.starts_with("dnx_live_"), "{key}");
    assert_eq!(key["workspace_id"], id.as_str(), "{key}");
    let tenant = Tenant::new(WorkspaceId::parse(&id).unwrap(), secret.to_owned());
    assert_eq!(app.get(&tenant, "/v1/workspace").await.0, 200);

    let kyc = admin(
        &app,
        &[
            "--json",
            "kyc",
            "set",
            "--workspace",
            &id,
            "--country",
            "IN",
            "--status",
            "approved",
        ],
    )
    .await;
    assert_eq!(
        json_of(&kyc),
        json!({ "workspace_id": id, "country": "IN", "status": "approved" })
    );

    let billed = json_of(&admin(&app, &["--json", "billing", "run"]).await);
    assert_eq!(billed["charged"], 0, "{billed}");
    assert!(billed["until"].as_str().is_some(), "{billed}");
}
