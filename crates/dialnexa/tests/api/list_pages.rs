//! A list page or a number answered again is never older than the database or the clock: the
//! service keeps rendered answers (crate `dialnexa-http`, `page_cache`), and every kind of
//! change must show on the next request.

use crate::helpers::TestApp;
use crate::lifecycle_helpers::{bought, number_path};
use dialnexa_service::ManualClock;
use serde_json::{Value, json};
use std::sync::Arc;

const LIST: &str = "/v1/organization-phone-numbers";

fn nicknames(page: &Value) -> Vec<Option<&str>> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["nickname"].as_str())
        .collect()
}

#[tokio::test]
async fn a_kept_page_or_number_shows_every_change_made_since_it_was_answered() {
    let clock = ManualClock::new("2027-01-31T10:00:00Z".parse().unwrap());
    let app = TestApp::spawn_with_clock(Arc::new(clock.clone())).await;
    let t = app.tenant(&["US"], &[]).await;
    let first = bought(&app, &t, "+14155552671").await;

    let (status, page) = app.get(&t, LIST).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 1);
    let (_, again) = app.get(&t, LIST).await;
    assert_eq!(again, page, "nothing changed, the same page");
    let first_path = number_path(&first);
    let (status, one) = app.get(&t, &first_path).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(app.get(&t, &first_path).await.1, one);

    // A purchase through the API (a minute later, so that it sorts first).
    clock.advance(jiff::SignedDuration::from_mins(1));
    let second = bought(&app, &t, "+14155552672").await;
    let (_, page) = app.get(&t, LIST).await;
    assert_eq!(page["total"], 2, "{page}");
    assert_eq!(page["items"][0]["id"], second["id"], "newest first");

    // A rename through the API.
    let (status, renamed) = app
        .patch(&t, &number_path(&first), json!({"nickname": "Front desk"}))
        .await;
    assert_eq!(status, 200, "{renamed}");
    let (_, page) = app.get(&t, LIST).await;
    assert_eq!(nicknames(&page), [None, Some("Front desk")]);
    assert_eq!(app.get(&t, &first_path).await.1["nickname"], "Front desk");

    // A change another process commits to the same database, past the application.
    app.raw_texts(&format!(
        "UPDATE phone_numbers SET nickname = 'Changed elsewhere' WHERE id = '{}'",
        second["id"].as_str().unwrap()
    ))
    .await;
    let (_, page) = app.get(&t, LIST).await;
    assert_eq!(
        nicknames(&page),
        [Some("Changed elsewhere"), Some("Front desk")]
    );
    app.raw_texts(&format!(
        "UPDATE phone_numbers SET label = 'elsewhere' WHERE id = '{}'",
        first["id"].as_str().unwrap()
    ))
    .await;
    assert_eq!(app.get(&t, &first_path).await.1["label"], "elsewhere");

    // Only the clock moves: past the renewal date on the page, the page shows the next one.
    assert_eq!(
        page["items"][1]["next_renewal_at"],
        "2027-02-28T10:00:00.000Z"
    );
    clock.advance(jiff::SignedDuration::from_hours(24 * 29));
    let (_, page) = app.get(&t, LIST).await;
    assert_eq!(
        page["items"][1]["next_renewal_at"],
        "2027-03-31T10:00:00.000Z"
    );
    assert_eq!(
        app.get(&t, &first_path).await.1["next_renewal_at"],
        "2027-03-31T10:00:00.000Z"
    );

    // Another filter, page or workspace is another answer.
    let (_, second_page) = app.get(&t, &format!("{LIST}?limit=1&page=2")).await;
    assert_eq!(second_page["items"][0]["id"], first["id"]);
    assert_eq!(second_page["total"], 2);
    let (_, released) = app.get(&t, &format!("{LIST}?status=released")).await;
    assert_eq!(released["total"], 0);
    let other = app.tenant(&["US"], &[]).await;
    let (_, theirs) = app.get(&other, LIST).await;
    assert_eq!(theirs["total"], 0, "{theirs}");
    assert_eq!(app.get(&other, &first_path).await.0, 404);
}

#[tokio::test]
async fn a_change_made_through_one_server_is_never_served_stale_by_another() {
    let a = TestApp::spawn().await;
    let b = a.beside(|_| {}).await;
    let t = a.tenant(&["US"], &[]).await;
    let number = bought(&a, &t, "+14155552671").await;
    let path = number_path(&number);

    // Server b answers, and keeps, the page and the number.
    for _ in 0..2 {
        assert_eq!(b.get(&t, LIST).await.1["total"], 1);
        assert_eq!(b.get(&t, &path).await.1["nickname"], Value::Null);
    }
    // Server a changes them; server b's very next answers show it.
    let (status, _) = a.patch(&t, &path, json!({"nickname": "Sales"})).await;
    assert_eq!(status, 200);
    assert_eq!(b.get(&t, &path).await.1["nickname"], "Sales");
    assert_eq!(nicknames(&b.get(&t, LIST).await.1), [Some("Sales")]);
    bought(&a, &t, "+14155552672").await;
    assert_eq!(b.get(&t, LIST).await.1["total"], 2);
    let (status, _) = a.delete(&t, &path).await;
    assert_eq!(status, 200);
    assert_eq!(b.get(&t, &path).await.1["status"], "released");
    assert_eq!(b.get(&t, LIST).await.1["total"], 1);
}
