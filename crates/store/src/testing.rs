//! Test support (feature `testing`): a fresh PostgreSQL database per test, either empty (to
//! test migrations themselves) or cloned from a template migrated once per schema version, so a
//! test on PostgreSQL starts as clean as one on SQLite and about as fast.
//!
//! Only databases this harness made on this machine are ever dropped: each is registered as a
//! file in a folder under the temporary directory, named after the database (which carries its
//! process id), and a later run drops those whose process has ended (a test cannot drop its own
//! database while its pool is open). Databases of runs elsewhere (another machine or container
//! sharing the server) are never listed there, so never touched. A template is migrated under a
//! scratch name and renamed only once complete, so a run that died half way never leaves a
//! half-built template to be reused.

use crate::{SqlStore, StoreOptions};
use sqlx::{Connection, Executor, PgConnection};
use std::path::PathBuf;

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

/// Where this machine's runs register the databases they made.
fn registry() -> PathBuf {
    std::env::temp_dir().join("dialnexa-test-databases")
}

/// A new name for a database of this process, registered so a later run may drop it.
fn new_name() -> String {
    let name = format!(
        "{PREFIX}{}_{:08x}",
        std::process::id(),
        rand::random::<u32>()
    );
    let dir = registry();
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(&name), b"");
    name
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
        // Built under a scratch name (a leftover of a run that died is dropped first; the
        // advisory lock keeps other runs out meanwhile), renamed once complete.
        let scratch = format!("{template}_building");
        admin
            .execute(format!("DROP DATABASE IF EXISTS {scratch} WITH (FORCE)").as_str())
            .await
            .expect("drop a half-built template");
        admin
            .execute(format!("CREATE DATABASE {scratch}").as_str())
            .await
            .expect("create the template");
        let store = SqlStore::connect(&StoreOptions::new(with_database(&url, &scratch)))
            .await
            .expect("connect");
        store.migrate().await.expect("migrate the template");
        store.close().await;
        admin
            .execute(format!("ALTER DATABASE {scratch} RENAME TO {template}").as_str())
            .await
            .expect("name the template");
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

/// Drop the registered databases whose process has ended.
async fn drop_stale_databases(admin: &mut PgConnection) {
    let Ok(entries) = std::fs::read_dir(registry()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|r| r.split('_').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let dropped = admin
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await;
        if dropped.is_ok() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Changes whenever a PostgreSQL migration changes, so a stale template is never reused.
fn migrations_fingerprint() -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for m in crate::postgres::migrations().iter() {
        for b in m.version.to_le_bytes().iter().chain(m.checksum.iter()) {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{:012x}", hash & 0xffff_ffff_ffff)
}
