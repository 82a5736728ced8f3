//! `pg-floor`: what PostgreSQL allows for the rows one purchase writes, with no HTTP, no carrier
//! and no service in between: the statements of the store's `insert_pending` (committed on its
//! own, as the saga's claim must be) and `activate_purchase` (activation, first charge and
//! outbox event in one transaction), on the service's own schema (the run's database, migrated
//! by the service), through tokio-postgres with prepared statements on 16 connections.

use rand::Rng;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio_postgres::{Client, NoTls, Statement};

const NUMBER_COLUMNS: &str = "id, workspace_id, phone_number, country_code, number_type, \
     capabilities, monthly_cost_micros, provider, status, carrier_ref, label, nickname, \
     inbound_agent_id, outbound_agent_id, failure_reason, created_at, updated_at, activated_at, \
     released_at";

#[derive(Debug, Serialize)]
pub struct PgFloorOutcome {
    pub purchases: u64,
    pub seconds: f64,
    pub purchases_per_s: f64,
    pub connections: usize,
    pub server_version: String,
}

struct Statements {
    claim: Statement,
    activate: Statement,
    charge: Statement,
    event: Statement,
}

pub async fn run(url: &str, connections: usize, seconds: f64) -> anyhow::Result<PgFloorOutcome> {
    let workspace = random_id("ws_");
    let admin = connect(url).await?;
    admin
        .execute(
            "INSERT INTO workspaces (id, name, default_provider, enabled_countries, created_at) \
             VALUES ($1, 'pg floor', 'twilio', 'US', $2)",
            &[&workspace, &now_ms()],
        )
        .await?;
    let server_version: String = admin.query_one("SHOW server_version", &[]).await?.get(0);
    let workspace: Arc<str> = workspace.into();
    let next = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (url, workspace, next) = (url.to_owned(), workspace.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut client = connect(&url).await?;
            let statements = prepare(&client).await?;
            let mut done = 0u64;
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                purchase(&mut client, &statements, &workspace, i).await?;
                done += 1;
            }
            anyhow::Ok(done)
        }));
    }
    let mut purchases = 0;
    for task in tasks {
        purchases += task.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(PgFloorOutcome {
        purchases,
        seconds: elapsed,
        purchases_per_s: purchases as f64 / elapsed,
        connections,
        server_version,
    })
}

async fn connect(url: &str) -> anyhow::Result<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

async fn prepare(c: &Client) -> anyhow::Result<Statements> {
    Ok(Statements {
        claim: c
            .prepare(&format!(
                "INSERT INTO phone_numbers (id, workspace_id, phone_number, country_code, \
                 number_type, capabilities, monthly_cost_micros, provider, status, created_at, \
                 updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $9) \
                 RETURNING {NUMBER_COLUMNS}"
            ))
            .await?,
        activate: c
            .prepare(&format!(
                "UPDATE phone_numbers SET status = 'active', carrier_ref = $2, activated_at = $3, \
                 updated_at = $3, next_period_index = $4, next_period_start = $5 \
                 WHERE id = $1 AND status = 'pending' RETURNING {NUMBER_COLUMNS}"
            ))
            .await?,
        charge: c
            .prepare(
                "INSERT INTO charges (id, workspace_id, phone_number_id, period_index, \
                 period_start, period_end, amount_micros, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (phone_number_id, period_start) DO NOTHING",
            )
            .await?,
        event: c
            .prepare(
                "INSERT INTO outbox (id, workspace_id, event_type, payload, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .await?,
    })
}

/// One purchase's writes, as the saga makes them.
async fn purchase(c: &mut Client, s: &Statements, workspace: &str, i: u64) -> anyhow::Result<()> {
    let now = now_ms();
    let id = random_id("phn_");
    // Far past the numbers the service's scenarios buy in the same database.
    let number = crate::numbers::number(20_000_000 + i);
    let claimed = c
        .query(
            &s.claim,
            &[
                &id,
                &workspace,
                &number,
                &"US",
                &"local",
                &"voice",
                &1_150_000i64,
                &"twilio",
                &now,
            ],
        )
        .await?;
    anyhow::ensure!(claimed.len() == 1, "the claim returned no row");
    let period_end = now + 30 * 86_400_000;
    let tx = c.transaction().await?;
    let activated = tx
        .query(
            &s.activate,
            &[&id, &random_id("PN"), &now, &1i64, &period_end],
        )
        .await?;
    anyhow::ensure!(activated.len() == 1, "the pending row was not activated");
    tx.execute(
        &s.charge,
        &[
            &random_id("chg_"),
            &workspace,
            &id,
            &0i64,
            &now,
            &period_end,
            &1_150_000i64,
            &now,
        ],
    )
    .await?;
    let payload = format!(
        r#"{{"id":"{id}","monthly_cost_usd":"1.15","phone_number":"{number}","provider":"twilio"}}"#
    );
    tx.execute(
        &s.event,
        &[
            &random_id("evt_"),
            &workspace,
            &"phone_number.purchased",
            &payload,
            &now,
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ids shaped like the service's: a prefix and 20 random characters.
fn random_id(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut rng = rand::rng();
    let mut id = String::with_capacity(prefix.len() + 20);
    id.push_str(prefix);
    id.extend((0..20).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char));
    id
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
