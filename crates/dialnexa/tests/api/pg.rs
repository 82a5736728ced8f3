//! A fresh PostgreSQL database per test, cloned from a template migrated once, so a test on
//! PostgreSQL starts as clean as one on SQLite and about as fast.

use sqlx::{Connection, Executor, PgConnection};

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const TEMPLATE: &str = "dnx_test_template";
/// Any number will do, as long as every test process agrees on it.
const TEMPLATE_LOCK: i64 = 7_202_611;

fn base_url() -> String {
    std::env::var("DIALNEXA_TEST_POSTGRES_URL").unwrap_or_else(|_| ADMIN_URL.to_owned())
}

fn with_database(url: &str, db: &str) -> String {
    match url.rfind('/') {
        Some(i) => format!("{}/{db}", &url[..i]),
        None => format!("{url}/{db}"),
    }
}

/// Creates a database for one test and returns its URL. Databases of earlier runs are dropped
/// by the run after them (a test cannot drop its own database while its pool is open).
pub async fn fresh_database() -> String {
    let admin_url = base_url();
    let mut admin = PgConnection::connect(&admin_url)
        .await
        .expect("PostgreSQL on 127.0.0.1:5432 (see README)");
    admin
        .execute(format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})").as_str())
        .await
        .unwrap();
    let fingerprint = migrations_fingerprint();
    let template = format!("{TEMPLATE}_{fingerprint}");
    let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&template)
        .fetch_optional(&mut admin)
        .await
        .unwrap();
    if exists.is_none() {
        admin
            .execute(format!("CREATE DATABASE {template}").as_str())
            .await
            .unwrap();
        let store = dialnexa_store::SqlStore::connect(&dialnexa_store::StoreOptions::new(
            with_database(&admin_url, &template),
        ))
        .await
        .unwrap();
        store.migrate().await.unwrap();
        store.close().await;
    }
    let name = format!("dnx_t_{}_{:08x}", std::process::id(), rand::random::<u32>());
    admin
        .execute(format!("CREATE DATABASE {name} TEMPLATE {template}").as_str())
        .await
        .unwrap();
    admin
        .execute(format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})").as_str())
        .await
        .unwrap();
    drop_stale_databases(&mut admin).await;
    admin.close().await.ok();
    with_database(&admin_url, &name)
}

/// Drops test databases left by processes that have ended.
async fn drop_stale_databases(admin: &mut PgConnection) {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'dnx\\_t\\_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    for (name,) in rows {
        let pid: Option<u32> = name.split('_').nth(2).and_then(|p| p.parse().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = admin
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await;
        }
    }
}

/// Changes whenever a PostgreSQL migration changes, so a stale template is never reused.
fn migrations_fingerprint() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/migrations/postgres");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for f in files {
        for b in std::fs::read(&f).unwrap() {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{:012x}", hash & 0xffff_ffff_ffff)
}
