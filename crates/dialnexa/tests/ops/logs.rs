//! Every request logged once, with its route template, status, latency, workspace and request
//! id: as JSON objects when stderr is not a terminal (the default here) or with
//! `--log-format json`, as text lines with `--log-format text`.

use crate::support::eventually;
use crate::support::process::Server;
use crate::{Site, client, tenant};
use serde_json::{Value, json};
use std::time::Duration;

const ACCESS: &str = "dialnexa_http::access";

/// A purchase sent with our request id, which the answer echoes.
async fn purchase_with_id(server: &Server, key: &str, request_id: &str) {
    let r = client()
        .post(format!(
            "{}/v1/organization-phone-numbers/purchase",
            server.url
        ))
        .bearer_auth(key)
        .header("x-request-id", request_id)
        .json(&json!({"phone_number": "+14155552671"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["x-request-id"], request_id);
}

/// Every line of the server's stderr as JSON: a line that is not one fails the test.
fn json_lines(server: &Server) -> Vec<Value> {
    server
        .proc
        .log_text()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

fn access_lines_with(server: &Server, request_id: &str) -> Vec<Value> {
    json_lines(server)
        .into_iter()
        .filter(|l| l["target"] == ACCESS && l["request_id"] == request_id)
        .collect()
}

#[tokio::test]
async fn each_request_is_one_json_line_with_route_status_latency_workspace_and_request_id() {
    let site = Site::new().await;
    // No --log-format: stderr is a file here, so the lines are JSON.
    let server = site.serve(&[], &[("DIALNEXA_LOG", "info")]).await;
    let (workspace, key) = tenant(&server).await;
    purchase_with_id(&server, &key, "ops-test-purchase-1").await;
    let anonymous = client()
        .get(format!("{}/v1/organization-phone-numbers", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let made = anonymous.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        made.len() == 32 && made.chars().all(|c| c.is_ascii_hexdigit()),
        "a request id is made when none is sent: {made}"
    );

    let line = eventually(Duration::from_secs(30), || async {
        match access_lines_with(&server, "ops-test-purchase-1").as_slice() {
            [one] => Ok(one.clone()),
            lines => Err(format!("{} lines for the purchase", lines.len())),
        }
    })
    .await;
    assert_eq!(line["level"], "INFO", "{line}");
    assert_eq!(line["route"], "/v1/organization-phone-numbers/purchase");
    assert_eq!(line["method"], "POST");
    assert_eq!(line["status"], 201);
    assert_eq!(line["workspace_id"], workspace.as_str());
    assert!(
        line["latency_ms"].as_f64().is_some_and(|ms| ms > 0.0),
        "{line}"
    );

    let refused = eventually(Duration::from_secs(30), || async {
        match access_lines_with(&server, &made).as_slice() {
            [one] => Ok(one.clone()),
            lines => Err(format!("{} lines for the refused request", lines.len())),
        }
    })
    .await;
    assert_eq!(refused["status"], 401);
    assert_eq!(refused["route"], "/v1/organization-phone-numbers");
    assert!(refused.get("workspace_id").is_none(), "{refused}");
    // The API key never reaches the log.
    assert!(!server.proc.log_text().contains(&key));
}

#[tokio::test]
async fn text_logs_carry_the_same_fields() {
    let site = Site::new().await;
    let server = site
        .serve(&["--log-format", "text"], &[("DIALNEXA_LOG", "info")])
        .await;
    let (workspace, key) = tenant(&server).await;
    purchase_with_id(&server, &key, "ops-test-text-1").await;
    let line = eventually(Duration::from_secs(30), || async {
        let log = server.proc.log_text();
        let lines: Vec<String> = log
            .lines()
            .filter(|l| l.contains("request_id=ops-test-text-1"))
            .map(str::to_owned)
            .collect();
        match lines.as_slice() {
            [one] => Ok(one.clone()),
            other => Err(format!("{} lines for the purchase in:\n{log}", other.len())),
        }
    })
    .await;
    assert!(!line.starts_with('{'), "{line}");
    for field in [
        "route=/v1/organization-phone-numbers/purchase".to_owned(),
        "method=POST".to_owned(),
        "status=201".to_owned(),
        format!("workspace_id={workspace}"),
        "latency_ms=".to_owned(),
    ] {
        assert!(line.contains(&field), "{field} in {line}");
    }
}

/// A purchase whose carrier answer is lost (the emulator commits the sale and times out), so
/// the saga warns while the request runs; answered 202.
async fn purchase_whose_answer_is_lost(server: &Server, key: &str, request_id: &str) {
    let faults = client()
        .post(format!("{}/_emulator/faults", server.emulator()))
        .json(&json!({"timeout_after_commit_next": 1}))
        .send()
        .await
        .unwrap();
    assert!(faults.status().is_success(), "{}", faults.status());
    let r = client()
        .post(format!(
            "{}/v1/organization-phone-numbers/purchase",
            server.url
        ))
        .bearer_auth(key)
        .header("x-request-id", request_id)
        .json(&json!({"phone_number": "+14155552671"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
}

/// A line written while a request runs (here the saga's warning that the carrier's answer was
/// lost) carries the request's id in its span, so it can be found beside the request's line.
#[tokio::test]
async fn a_line_written_during_a_request_carries_its_request_id() {
    let site = Site::new().await;
    let server = site
        .serve(
            &["--carrier-timeout-ms", "500"],
            &[("DIALNEXA_LOG", "info")],
        )
        .await;
    let (_, key) = tenant(&server).await;
    purchase_whose_answer_is_lost(&server, &key, "ops-test-lost-answer").await;

    let warning = eventually(Duration::from_secs(30), || async {
        let lines = json_lines(&server);
        let found = lines
            .iter()
            .find(|l| l["level"] == "WARN" && l["target"] != ACCESS)
            .cloned();
        found.ok_or_else(|| format!("no warning among {} lines", lines.len()))
    })
    .await;
    assert_eq!(
        warning["span"]["request_id"], "ops-test-lost-answer",
        "{warning}"
    );
    assert_eq!(warning["spans"][0]["name"], "request", "{warning}");
    // The request's log context is its id alone: the trace's span fields stay out of the logs.
    assert!(warning["span"].get("http.route").is_none(), "{warning}");
}

/// The same in text lines: the warning shows the request's log context before its target.
#[tokio::test]
async fn a_text_line_written_during_a_request_carries_its_request_id() {
    let site = Site::new().await;
    let server = site
        .serve(
            &["--carrier-timeout-ms", "500", "--log-format", "text"],
            &[("DIALNEXA_LOG", "info")],
        )
        .await;
    let (_, key) = tenant(&server).await;
    purchase_whose_answer_is_lost(&server, &key, "ops-test-lost-text").await;

    let warning = eventually(Duration::from_secs(30), || async {
        let log = server.proc.log_text();
        log.lines()
            .find(|l| l.contains("WARN") && !l.contains(ACCESS))
            .map(str::to_owned)
            .ok_or_else(|| format!("no warning in:\n{log}"))
    })
    .await;
    assert!(
        warning.contains(r#"WARN request{request_id="ops-test-lost-text"}: "#),
        "{warning}"
    );
    assert!(!warning.contains("http.route"), "{warning}");
}
