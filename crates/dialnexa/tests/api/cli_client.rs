//! The CLI covers the API: numbers update and release, agents list, create and delete, `--json`
//! on each (the API's own answer), exit codes that say what happened (1 the API refused, 2 the
//! command was wrong, 3 nothing answered) and shell completions. Each effect is checked through
//! the API afterwards.

use crate::helpers::{Tenant, TestApp};
use crate::support::process::{Ran, dialnexa};
use serde_json::Value;

async fn cli(app: &TestApp, t: &Tenant, args: &[&str]) -> Ran {
    let url = app.url("");
    let (group, rest) = args.split_first().unwrap();
    let mut all = vec![*group, "--api-url", &url, "--api-key", &t.key];
    all.extend_from_slice(rest);
    dialnexa(&all, &[]).await
}

fn json(ran: &Ran) -> Value {
    serde_json::from_str(ran.ok()).unwrap_or_else(|e| panic!("not JSON ({e}): {ran:#?}"))
}

#[tokio::test]
async fn numbers_update_and_release_through_the_cli() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let bought = json(&cli(&app, &t, &["numbers", "--json", "buy", "+14155552671"]).await);
    let id = bought["id"].as_str().unwrap();
    let agent = json(
        &cli(
            &app,
            &t,
            &["agents", "--json", "create", "--name", "Front desk"],
        )
        .await,
    );
    let agent_id = agent["id"].as_str().unwrap();

    let updated = json(
        &cli(
            &app,
            &t,
            &[
                "numbers",
                "--json",
                "update",
                id,
                "--nickname",
                "Sales",
                "--agent",
                agent_id,
            ],
        )
        .await,
    );
    let (_, shown) = app
        .get(&t, &format!("/v1/organization-phone-numbers/{id}"))
        .await;
    assert_eq!(updated, shown, "the CLI prints what the API answered");
    assert_eq!(shown["nickname"], "Sales");
    assert_eq!(shown["agent_id"], agent_id);

    // "" clears a field; the table shows the number.
    let cleared = cli(&app, &t, &["numbers", "update", id, "--agent", ""]).await;
    assert!(cleared.ok().contains(id), "{cleared:#?}");
    let (_, shown) = app
        .get(&t, &format!("/v1/organization-phone-numbers/{id}"))
        .await;
    assert_eq!(shown["agent_id"], Value::Null);
    assert_eq!(shown["nickname"], "Sales", "untouched");

    let nothing = cli(&app, &t, &["numbers", "update", id]).await;
    assert_eq!(nothing.code, Some(2), "{nothing:#?}");

    let released = json(&cli(&app, &t, &["numbers", "--json", "release", id]).await);
    assert_eq!(released["status"], "released");
    let (_, shown) = app
        .get(&t, &format!("/v1/organization-phone-numbers/{id}"))
        .await;
    assert_eq!(shown["status"], "released");
    let again = cli(&app, &t, &["numbers", "release", id]).await;
    assert_eq!(again.code, Some(1), "{again:#?}");
    assert!(again.stderr.contains("404 not_found"), "{again:#?}");
}

#[tokio::test]
async fn agents_are_listed_created_and_deleted_through_the_cli() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let created = cli(&app, &t, &["agents", "create", "--name", "Support"]).await;
    let table = created.ok();
    assert!(table.starts_with("ID"), "{table}");
    let (_, listed) = app.get(&t, "/v1/agents").await;
    let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    assert!(table.contains(&id) && table.contains("Support"), "{table}");

    let list = json(&cli(&app, &t, &["agents", "--json", "list"]).await);
    assert_eq!(list, listed, "the CLI prints what the API answered");
    let table = cli(&app, &t, &["agents", "list"]).await;
    assert!(table.ok().contains("1 of 1"), "{table:#?}");

    // An agent numbers route to is refused without --detach, deleted with it.
    let bought = json(&cli(&app, &t, &["numbers", "--json", "buy", "+14155552671"]).await);
    let number = bought["id"].as_str().unwrap();
    cli(&app, &t, &["numbers", "update", number, "--agent", &id])
        .await
        .ok();
    let refused = cli(&app, &t, &["agents", "delete", &id]).await;
    assert_eq!(refused.code, Some(1), "{refused:#?}");
    assert!(refused.stderr.contains("409 agent_in_use"), "{refused:#?}");
    let deleted = json(&cli(&app, &t, &["agents", "--json", "delete", &id, "--detach"]).await);
    assert_eq!(deleted["id"], id.as_str());
    let (_, listed) = app.get(&t, "/v1/agents").await;
    assert_eq!(listed["total"], 0, "{listed}");
    let (_, shown) = app
        .get(&t, &format!("/v1/organization-phone-numbers/{number}"))
        .await;
    assert_eq!(shown["agent_id"], Value::Null);
}

#[tokio::test]
async fn exit_codes_say_what_happened() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let ok = cli(&app, &t, &["numbers", "list"]).await;
    assert_eq!(ok.code, Some(0), "{ok:#?}");
    // The API refused: 1, with the envelope on one line.
    let bad_key = Tenant::new(t.id.clone(), "dnx_live_not-a-key".into());
    let refused = cli(&app, &bad_key, &["agents", "list"]).await;
    assert_eq!(refused.code, Some(1), "{refused:#?}");
    assert!(refused.stderr.contains("401 unauthorized"), "{refused:#?}");
    // The command was wrong: 2.
    let typo = cli(&app, &t, &["numbers", "lst"]).await;
    assert_eq!(typo.code, Some(2), "{typo:#?}");
    let no_key = dialnexa(&["agents", "--api-url", &app.url(""), "list"], &[]).await;
    assert_eq!(no_key.code, Some(2), "{no_key:#?}");
    assert!(no_key.stderr.contains("no API key"), "{no_key:#?}");
    // Nothing answers there: 3.
    let nowhere = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let unreachable = dialnexa(
        &[
            "numbers",
            "--api-url",
            &nowhere,
            "--api-key",
            &t.key,
            "list",
        ],
        &[],
    )
    .await;
    assert_eq!(unreachable.code, Some(3), "{unreachable:#?}");
    assert!(
        unreachable.stderr.contains("cannot reach"),
        "{unreachable:#?}"
    );
}

#[tokio::test]
async fn completions_are_printed_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F _dialnexa"),
        ("zsh", "#compdef dialnexa"),
        ("fish", "complete -c dialnexa"),
    ] {
        let ran = dialnexa(&["completions", shell], &[]).await;
        let script = ran.ok();
        assert!(script.contains(marker), "{shell}: {script}");
        // The client commands are in it, down to their subcommands.
        for word in ["numbers", "agents", "release"] {
            assert!(script.contains(word), "{shell} lacks {word}");
        }
    }
    let unknown = dialnexa(&["completions", "powerpoint"], &[]).await;
    assert_eq!(unknown.code, Some(2), "{unknown:#?}");
}

#[tokio::test]
async fn numbers_order_waits_for_the_order_and_prints_what_it_bought() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let order = &[
        "numbers",
        "order",
        "--country",
        "US",
        "--area-code",
        "212",
        "--quantity",
        "3",
    ];
    let ran = cli(&app, &t, order).await;
    let out = ran.ok();
    assert!(out.contains("completed, 3 of 3 bought"), "{ran:#?}");
    let (_, list) = app.get(&t, "/v1/organization-phone-numbers").await;
    assert_eq!(list["total"], 3, "{list}");
    for item in list["items"].as_array().unwrap() {
        assert!(
            out.contains(item["phone_number"].as_str().unwrap()),
            "{out}"
        );
    }

    // --json prints the settled order as the API answers it.
    let ran = cli(
        &app,
        &t,
        &[
            "numbers",
            "--json",
            "order",
            "--area-code",
            "212",
            "--quantity",
            "2",
        ],
    )
    .await;
    let settled = json(&ran);
    let (_, shown) = app
        .get(
            &t,
            &format!(
                "/v1/organization-phone-numbers/orders/{}",
                settled["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(settled, shown);
    assert_eq!(settled["status"], "completed");

    // A refused order is the API's refusal, exit code 1.
    let refused = cli(&app, &t, &["numbers", "order", "--quantity", "101"]).await;
    assert_eq!(refused.code, Some(1), "{refused:#?}");
    assert!(refused.stderr.contains("quantity"), "{refused:#?}");
}

#[tokio::test]
async fn webhooks_are_listed_created_and_deleted_through_the_cli() {
    let app = TestApp::spawn().await;
    let t = app.tenant(&["US"], &[]).await;
    let url = app.url("");
    let secret = "cli-secret-kept-out-of-argv";
    let args = [
        "webhooks",
        "--api-url",
        &url,
        "--api-key",
        &t.key,
        "--json",
        "create",
        "--url",
        "https://hooks.example.com/cli",
        "--event",
        "phone_number.purchased,phone_number.released",
    ];
    let created = json(&dialnexa(&args, &[("DIALNEXA_WEBHOOK_SECRET", secret)]).await);
    let id = created["webhook"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["webhook"]["secret"], "********");
    assert!(!created.to_string().contains(secret));
    let (_, shown) = app.get(&t, &format!("/v1/user-webhooks/{id}")).await;
    assert_eq!(
        shown["webhook"]["events"],
        serde_json::json!(["phone_number.purchased", "phone_number.released"])
    );

    let table = cli(&app, &t, &["webhooks", "list"]).await;
    assert!(table.ok().contains(&id), "{table:#?}");
    assert!(table.ok().contains("https://hooks.example.com/cli"));

    let refused = cli(&app, &t, &["webhooks", "delete", "wh_unknown"]).await;
    assert_eq!(refused.code, Some(1), "{refused:#?}");
    let deleted = json(&cli(&app, &t, &["webhooks", "--json", "delete", &id]).await);
    assert_eq!(deleted["id"], id.as_str());
    let (_, listed) = app.get(&t, "/v1/user-webhooks").await;
    assert_eq!(listed["total"], 0);
}
