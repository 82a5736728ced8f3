//! Each change of a number reaches an endpoint subscribed to `*` as its event, with the number
//! in `data`: purchased, updated, released, sip_trunk.linked, and reconcile.drift (once however
//! often reconciliation finds the same drift).

use crate::support::eventually;
use crate::support::receiver::{Answer, Receiver};
use crate::webhooks::{app_for_receivers, create};
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_numbers_changes_arrive_as_their_events() {
    let app = app_for_receivers().await;
    let t = app.tenant(&["US"], &[]).await;
    let rx = Receiver::start(Answer::Ok).await;
    create(&app, &t, &rx.url, json!(["*"]), "s3cret").await;

    let (status, bought) = app.buy(&t, "+14155552671").await;
    assert_eq!(status, 201, "{bought}");
    let id = bought["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/organization-phone-numbers/{id}");
    let (status, body) = app
        .request(
            reqwest::Method::PATCH,
            &t,
            &path,
            Some(json!({ "nickname": "Front desk" })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, shown_after_update) = app.get(&t, &path).await;
    let (status, body) = app.request(reqwest::Method::DELETE, &t, &path, None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .post(
            &t,
            "/v1/organization-phone-numbers/sip-trunks",
            json!({
                "phoneNumber": "+14155550123",
                "terminationUri": "trunk.example.com:5060",
                "authMode": "ip",
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    // A ghost: bought here, then gone at the carrier behind our back; found twice.
    let (status, ghost) = app.buy(&t, "+14155552672").await;
    assert_eq!(status, 201, "{ghost}");
    let r = app
        .client
        .post(format!(
            "{}/_emulator/numbers/%2B14155552672/release",
            app.emulator
        ))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    for _ in 0..2 {
        let report = app.services.reconcile(false).await.unwrap();
        assert_eq!(report.ghosts.len(), 1, "{report:?}");
    }

    let expected = [
        "phone_number.purchased",
        "phone_number.updated",
        "phone_number.released",
        "sip_trunk.linked",
        "reconcile.drift",
    ];
    eventually(WAIT, || async {
        let missing: Vec<_> = expected
            .iter()
            .filter(|e| rx.of_type(e).is_empty())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("missing {missing:?}"))
        }
    })
    .await;
    let updated = rx.of_type("phone_number.updated").pop().unwrap().json();
    assert_eq!(updated["data"]["id"], id.as_str());
    assert_eq!(updated["data"]["nickname"], "Front desk");
    // Made from the updated row in the update's transaction: the number as GET showed it then.
    for (field, value) in shown_after_update.as_object().unwrap() {
        assert_eq!(
            &updated["data"][field], value,
            "{field}: {updated} / {shown_after_update}"
        );
    }
    let released = rx.of_type("phone_number.released").pop().unwrap().json();
    assert_eq!(released["data"]["status"], "released");
    let linked = rx.of_type("sip_trunk.linked").pop().unwrap().json();
    assert_eq!(linked["data"]["phone_number"], "+14155550123");
    let drift = rx.of_type("reconcile.drift");
    assert_eq!(drift.len(), 1, "one drift event for one ghost found twice");
    assert_eq!(drift[0].json()["data"]["kind"], "ghost");
    assert_eq!(drift[0].json()["data"]["id"], ghost["id"]);
}
