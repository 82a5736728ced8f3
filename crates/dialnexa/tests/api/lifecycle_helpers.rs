//! More of the harness, for the lifecycle tests: PATCH and DELETE, emulator faults, and reading
//! raw database rows (to prove what is, and is not, stored).

use crate::helpers::{Tenant, TestApp};
use serde_json::Value;
use sqlx::{Connection, Row};

impl TestApp {
    pub async fn patch(&self, tenant: &Tenant, path: &str, body: Value) -> (u16, Value) {
        self.request(reqwest::Method::PATCH, tenant, path, Some(body))
            .await
    }

    pub async fn delete(&self, tenant: &Tenant, path: &str) -> (u16, Value) {
        self.request(reqwest::Method::DELETE, tenant, path, None)
            .await
    }

    /// `POST /_emulator/faults`, e.g. `{"fail_next": 1, "fail_status": 503}`.
    pub async fn set_faults(&self, faults: Value) {
        let r = self
            .client
            .post(format!("{}/_emulator/faults", self.emulator))
            .json(&faults)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }

    /// The emulator's record of a number our accounts own (`friendly_name` and all).
    pub async fn carrier_owned_entry(&self, number: &str) -> Option<Value> {
        self.carrier_owned()
            .await
            .into_iter()
            .find(|o| o["phone_number"] == number)
    }

    /// The SQLite file behind this app, when it runs on SQLite.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        let rest = self.database_url.strip_prefix("sqlite://")?;
        Some(std::path::PathBuf::from(
            rest.split('?').next().unwrap_or(rest),
        ))
    }

    /// Runs `sql` straight on the database, bypassing the application; columns that are not
    /// text read as `None`.
    pub async fn raw_texts(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        fn texts<R: Row>(rows: Vec<R>) -> Vec<Vec<Option<String>>>
        where
            for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
            usize: sqlx::ColumnIndex<R>,
        {
            rows.iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.try_get::<Option<String>, _>(i).ok().flatten())
                        .collect()
                })
                .collect()
        }
        if self.database_url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&self.database_url)
                .await
                .unwrap();
            let rows = sqlx::query(sql).fetch_all(&mut conn).await.unwrap();
            conn.close().await.ok();
            texts(rows)
        } else {
            let mut conn = sqlx::PgConnection::connect(&self.database_url)
                .await
                .unwrap();
            let rows = sqlx::query(sql).fetch_all(&mut conn).await.unwrap();
            conn.close().await.ok();
            texts(rows)
        }
    }
}

/// `/v1/organization-phone-numbers/{id}` of a record.
pub fn number_path(record: &Value) -> String {
    format!(
        "/v1/organization-phone-numbers/{}",
        record["id"].as_str().expect("a record with an id")
    )
}

/// Buys `number` and answers its record, asserting the 201.
pub async fn bought(app: &TestApp, tenant: &Tenant, number: &str) -> Value {
    let (status, body) = app.buy(tenant, number).await;
    assert_eq!(status, 201, "{body}");
    body
}

/// PATCHes the number at `path`, asserts the 200 and reads the number back: what the PATCH
/// answered must be what a later GET shows.
pub async fn patched(app: &TestApp, tenant: &Tenant, path: &str, body: Value) -> Value {
    let (status, answered) = app.patch(tenant, path, body.clone()).await;
    assert_eq!(status, 200, "PATCH {body}: {answered}");
    let (status, stored) = app.get(tenant, path).await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(
        stored, answered,
        "PATCH {body} answered one record, GET shows another"
    );
    answered
}

/// Creates an agent and answers its record.
pub async fn agent(app: &TestApp, tenant: &Tenant, name: &str) -> Value {
    let (status, body) = app
        .post(tenant, "/v1/agents", serde_json::json!({ "name": name }))
        .await;
    assert_eq!(status, 201, "{body}");
    body
}
