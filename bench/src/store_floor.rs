//! `store-floor`: what SQLite and the disk allow for the rows one purchase writes, with no HTTP,
//! no carrier and no async driver in between. The statements are those of the store's
//! `insert_pending` (committed on its own, as the saga's claim must be) and `activate_purchase`
//! (activation, first charge and outbox event in one transaction), on the service's own schema
//! (its migrations, applied from `crates/store/migrations/sqlite`) and its connection settings
//! (WAL, `synchronous = FULL`, foreign keys on, temporary journals in memory), through rusqlite with prepared statements.

use anyhow::Context;
use rand::Rng;
use rusqlite::{Connection, params};
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// As `crates/store/src/sqlite/mod.rs` sets them on every connection.
const PRAGMAS: &[(&str, &str)] = &[
    ("journal_mode", "WAL"),
    ("synchronous", "FULL"),
    ("busy_timeout", "5000"),
    ("foreign_keys", "ON"),
    ("temp_store", "MEMORY"),
];

const NUMBER_COLUMNS: &str = "id, workspace_id, phone_number, country_code, number_type, \
     capabilities, monthly_cost_micros, provider, status, carrier_ref, label, nickname, \
     inbound_agent_id, outbound_agent_id, failure_reason, created_at, updated_at, activated_at, \
     released_at";

const WORKSPACE: &str = "ws_benchstorefloor01";

#[derive(Debug, Serialize)]
pub struct StoreFloorOutcome {
    pub purchases: u64,
    pub seconds: f64,
    pub purchases_per_s: f64,
    pub sqlite_version: String,
}

pub fn run(dir: &Path, migrations: &Path, seconds: f64) -> anyhow::Result<StoreFloorOutcome> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("store-floor.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let mut conn = Connection::open(&path)?;
    for (name, value) in PRAGMAS {
        conn.pragma_update(None, name, value)?;
    }
    migrate(&conn, migrations)?;
    conn.execute(
        "INSERT INTO workspaces (id, name, default_provider, enabled_countries, created_at) \
         VALUES (?1, 'store floor', 'twilio', 'US', ?2)",
        params![WORKSPACE, now_ms()],
    )?;

    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut purchases = 0u64;
    while Instant::now() < deadline {
        // A batch between clock reads keeps `Instant::now` out of the profile.
        for _ in 0..64 {
            purchase(&mut conn, purchases)?;
            purchases += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let sqlite_version = rusqlite::version().to_owned();
    Ok(StoreFloorOutcome {
        purchases,
        seconds: elapsed,
        purchases_per_s: purchases as f64 / elapsed,
        sqlite_version,
    })
}

fn migrate(conn: &Connection, dir: &Path) -> anyhow::Result<()> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read migrations in {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    anyhow::ensure!(!files.is_empty(), "no migrations in {}", dir.display());
    for file in files {
        let sql = std::fs::read_to_string(&file)?;
        conn.execute_batch(&sql)
            .with_context(|| format!("migration {}", file.display()))?;
    }
    Ok(())
}

/// One purchase's writes, as the saga makes them.
fn purchase(conn: &mut Connection, i: u64) -> anyhow::Result<()> {
    let now = now_ms();
    let id = random_id("phn_");
    let number = crate::numbers::number(i);
    // Step 1, the claim: its own implicit transaction, the row read back (RETURNING).
    {
        let mut claim = conn.prepare_cached(&format!(
            "INSERT INTO phone_numbers (id, workspace_id, phone_number, country_code, number_type, \
             capabilities, monthly_cost_micros, provider, status, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9, ?9) RETURNING {NUMBER_COLUMNS}"
        ))?;
        let mut rows = claim.query(params![
            id,
            WORKSPACE,
            number,
            "US",
            "local",
            "voice",
            1_150_000i64,
            "twilio",
            now
        ])?;
        while let Some(row) = rows.next()? {
            read_number_row(row)?;
        }
    }
    // Step 3, activation: the row, the first charge and the event commit together.
    let period_end = now + 30 * 86_400_000;
    let tx = conn.transaction()?;
    {
        let mut activate = tx.prepare_cached(&format!(
            "UPDATE phone_numbers SET status = 'active', carrier_ref = ?2, activated_at = ?3, \
             updated_at = ?3, next_period_index = ?4, next_period_start = ?5 \
             WHERE id = ?1 AND status = 'pending' RETURNING {NUMBER_COLUMNS}"
        ))?;
        let mut rows = activate.query(params![id, random_id("PN"), now, 1i64, period_end])?;
        let mut activated = 0;
        while let Some(row) = rows.next()? {
            read_number_row(row)?;
            activated += 1;
        }
        anyhow::ensure!(activated == 1, "the pending row was not activated");
        tx.prepare_cached(
            "INSERT INTO charges (id, workspace_id, phone_number_id, period_index, period_start, \
             period_end, amount_micros, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             ON CONFLICT (phone_number_id, period_start) DO NOTHING",
        )?
        .execute(params![
            random_id("chg_"),
            WORKSPACE,
            id,
            0i64,
            now,
            period_end,
            1_150_000i64,
            now
        ])?;
        let payload = format!(
            r#"{{"id":"{id}","monthly_cost_usd":"1.15","phone_number":"{number}","provider":"twilio"}}"#
        );
        tx.prepare_cached(
            "INSERT INTO outbox (id, workspace_id, event_type, payload, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            random_id("evt_"),
            WORKSPACE,
            "phone_number.purchased",
            payload,
            now
        ])?;
    }
    tx.commit()?;
    Ok(())
}

/// Reads every column, as the store's `number_from_row` does.
fn read_number_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<()> {
    for i in 0..19 {
        let _: rusqlite::types::Value = row.get(i)?;
    }
    Ok(())
}

/// Ids shaped like the service's: a prefix and 16 random characters.
fn random_id(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut rng = rand::rng();
    let mut id = String::with_capacity(prefix.len() + 16);
    id.push_str(prefix);
    id.extend((0..16).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char));
    id
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
