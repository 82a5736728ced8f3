//! Test support (feature `testing`): a fresh PostgreSQL database per test, either empty (to
//! test migrations themselves) or cloned from a template migrated once per schema version, so a
//! test on PostgreSQL starts as clean as one on SQLite and about as fast. Databases of test
//! processes that have ended are dropped by the next one (a test cannot drop its own database
//! while its pool is open).

use crate::{SqlStore, StoreOptions};
use sqlx::{Connection, Executor, PgConnection};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const PREFIX: &str = "dnx_t_";
const TEMPLATE_PREFIX: &str = "dnx_tpl_";
/// Any number will do, as long as every test process agrees on it.
const TEMPLATE_LOCK: i64 = 7_202_611;

/// The server tests use: `DIALNEXA_TEST_POSTGRES_URL`, or the machine's local PostgreSQL.
pub fn postgres_url() -> String {
    std::env::var("DIALNEXA_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned())
}

/// `url` with its database name replaced by `db`.
pub fn with_database(url: &str, db: &str) -> String {
    match url.rfind('/') {
        Some(i) if i > url.find("://").map_or(0, |s| s + 2) => format!("{}/{db}", &url[..i]),
        _ => format!("{url}/{db}"),
    }
}

async fn admin() -> PgConnection {
    let url = postgres_url();
    PgConnection::connect(&url).await.unwrap_or_else(|e| {
        panic!(
            "these tests need PostgreSQL at {url} (or DIALNEXA_TEST_POSTGRES_URL), and it is not \
             reachable: {e}. Start it (e.g. `pg_ctlcluster 15 main start`) and rerun."
        )
    })
}

fn new_name() -> String {
    format!(
        "{PREFIX}{}_{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// A new database with no tables: for tests of migrations and start-up.
pub async fn empty_postgres_database() -> String {
    let mut admin = admin().await;
    drop_stale_databases(&mut admin).await;
    let name = new_name();
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create a test database");
    admin.close().await.ok();
    with_database(&postgres_url(), &name)
}

/// A new, migrated database.
pub async fn migrated_postgres_database() -> String {
    let url = postgres_url();
    let mut admin = admin().await;
    admin
        .execute(format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})").as_str())
        .await
        .expect("template lock");
    let template = format!("{TEMPLATE_PREFIX}{}", migrations_fingerprint());
    let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&template)
        .fetch_optional(&mut admin)
        .await
        .expect("look up the template");
    if exists.is_none() {
        admin
            .execute(format!("CREATE DATABASE {template}").as_str())
            .await
            .expect("create the template");
        let store = SqlStore::connect(&StoreOptions::new(with_database(&url, &template)))
            .await
            .expect("connect");
        store.migrate().await.expect("migrate the template");
        store.close().await;
    }
    let name = new_name();
    admin
        .execute(format!("CREATE DATABASE {name} TEMPLATE {template}").as_str())
        .await
        .expect("clone the template");
    admin
        .execute(format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})").as_str())
        .await
        .ok();
    drop_stale_databases(&mut admin).await;
    admin.close().await.ok();
    with_database(&url, &name)
}

async fn drop_stale_databases(admin: &mut PgConnection) {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'dnx\\_t\\_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    for (name,) in rows {
        let pid: Option<u32> = name
            .strip_prefix(PREFIX)
            .and_then(|r| r.split('_').next())
            .and_then(|p| p.parse().ok());
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
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for m in crate::sql::postgres_migrations().iter() {
        for b in m.version.to_le_bytes().iter().chain(m.checksum.iter()) {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{:012x}", hash & 0xffff_ffff_ffff)
}
