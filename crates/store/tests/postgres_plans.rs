//! PostgreSQL only: a lookup on the purchase path reads its table through the primary key
//! however much the table has grown since the connection first ran it.
//!
//! A statement prepared once per connection runs, after five executions, with a generic plan
//! made for the table as it was then. The purchase's sighting lookup, prepared while
//! `search_sightings` was nearly empty, kept a sequential scan of a table searches had grown to
//! 100,000 rows (8 to 14 ms a lookup, a third of a purchase). What a user notices is the time;
//! what this test reads is the cause: the table's sequential-scan count, from PostgreSQL's
//! statistics.

use dialnexa_domain::{Capabilities, Capability, CountryIso, E164, Provider, WorkspaceId};
use dialnexa_store::{NewWorkspace, Sighting, SqlStore, StoreOptions};
use jiff::Timestamp;
use std::time::Duration;

/// A backend sends its statistics when idle, at most this long after its last statement.
const STATISTICS_DELAY: Duration = Duration::from_secs(11);

fn sighting(number: &str, at: Timestamp) -> Sighting {
    Sighting {
        phone_number: E164::parse(number).unwrap(),
        provider: Provider::Twilio,
        capabilities: Capabilities::default().with(Capability::Voice),
        seen_at: at,
    }
}

#[tokio::test]
async fn the_sighting_lookup_reads_no_whole_table_after_the_table_has_grown() {
    let url = dialnexa_store::testing::migrated_postgres_database().await;
    let mut options = StoreOptions::new(url.clone());
    options.max_connections = 2;
    let store = SqlStore::connect(&options).await.unwrap();
    let now = Timestamp::now();
    let ws = WorkspaceId::generate();
    store
        .create_workspace(&NewWorkspace {
            id: ws.clone(),
            name: "w".into(),
            default_provider: Provider::Twilio,
            enabled_countries: vec![CountryIso::parse("US").unwrap()],
            created_at: now,
        })
        .await
        .unwrap();

    // Lookups while the table is empty, as on a new deployment before its first search, 32 at
    // a time as a busy server makes them (the store batches those waiting into one statement):
    // more than the five custom plans PostgreSQL makes before it may cache a generic one, on
    // each of the pool's connections.
    let unseen: Vec<E164> = (0..32)
        .map(|i| E164::parse(&format!("+1415555{:04}", 100 + i)).unwrap())
        .collect();
    for _ in 0..12 {
        let lookups = unseen.iter().map(|n| store.sighting(&ws, n));
        for found in futures::future::join_all(lookups).await {
            assert!(found.unwrap().is_none());
        }
    }

    // Searches grow the table.
    let many: Vec<Sighting> = (0..20_000)
        .map(|i| sighting(&format!("+1415{:07}", 2_000_000 + i), now))
        .collect();
    for chunk in many.chunks(500) {
        store.record_sightings(&ws, chunk, now).await.unwrap();
    }

    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let sequential_scans = || async {
        client
            .query_one(
                "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'search_sightings'",
                &[],
            )
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    tokio::time::sleep(STATISTICS_DELAY).await;
    let before = sequential_scans().await;

    for i in (0..20_000).step_by(1_000) {
        let number = E164::parse(&format!("+1415{:07}", 2_000_000 + i)).unwrap();
        let found = store.sighting(&ws, &number).await.unwrap();
        assert_eq!(found.map(|s| s.phone_number), Some(number));
    }
    tokio::time::sleep(STATISTICS_DELAY).await;
    let after = sequential_scans().await;
    assert_eq!(
        after - before,
        0,
        "lookups of a grown search_sightings read the whole table"
    );
    store.close().await;
}
