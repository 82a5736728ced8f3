//! The database a test's child servers share: a SQLite file in the test's folder, or, with
//! `DIALNEXA_TEST_DATABASE=postgres`, a fresh PostgreSQL database (`dialnexa_store::testing`);
//! and a way to read it behind the servers' backs, to check what is really stored.

use sqlx::Connection;
use std::path::Path;

/// The key sealing SIP trunk passwords, which `serve` on PostgreSQL must be given.
pub const ENCRYPTION_KEY: &str = "o7ITzKDzM+7ZZjkt17RTKJZari3lj6B0aV203RfmNr0=";

pub fn on_postgres() -> bool {
    std::env::var("DIALNEXA_TEST_DATABASE").as_deref() == Ok("postgres")
}

/// A database for the servers of one test, with the `serve` flags that point at it.
pub struct TestDatabase {
    pub url: String,
}

impl TestDatabase {
    pub async fn new(dir: &Path) -> TestDatabase {
        let url = if on_postgres() {
            dialnexa_store::testing::migrated_postgres_database().await
        } else {
            format!("sqlite://{}", dir.join("dialnexa.db").display())
        };
        TestDatabase { url }
    }

    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }

    /// `--database-url …`, plus the encryption key PostgreSQL requires.
    pub fn serve_args(&self) -> Vec<String> {
        let mut args = vec!["--database-url".to_owned(), self.url.clone()];
        if self.is_postgres() {
            args.extend(["--encryption-key".to_owned(), ENCRYPTION_KEY.to_owned()]);
        }
        args
    }

    /// The single integer `sql` selects (a `COUNT(*)`, say), read straight from the database.
    pub async fn count(&self, sql: &str, binds: &[&str]) -> i64 {
        count(&self.url, sql, binds).await
    }
}

/// The single integer `sql` selects, with `$1`, `$2`… bound to `binds`, on a SQLite or
/// PostgreSQL URL.
pub async fn count(url: &str, sql: &str, binds: &[&str]) -> i64 {
    let (n,): (i64,) = if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url)
            .await
            .expect("open the test's SQLite file");
        let mut query = sqlx::query_as(sql);
        for b in binds {
            query = query.bind(*b);
        }
        let row = query.fetch_one(&mut conn).await;
        conn.close().await.ok();
        row
    } else {
        let mut conn = sqlx::PgConnection::connect(url)
            .await
            .expect("connect to the test's database");
        let mut query = sqlx::query_as(sql);
        for b in binds {
            query = query.bind(*b);
        }
        let row = query.fetch_one(&mut conn).await;
        conn.close().await.ok();
        row
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
    n
}
