//! The reads every purchase makes, through lanes (`lane.rs`): the workspace (its enabled
//! countries and default provider) and what a search showed it of the number. A burst of
//! purchases of one workspace then reads the workspace a few times, not thousands, through a
//! few pooled connections rather than all of them. Each read starts after its request arrived,
//! so it sees every commit made before.

use super::db::err;
use super::lane::Lane;
use crate::queries as q;
use crate::rows::{self, Columns, parse, ts};
use crate::{Sighting, StoreError, StoreResult, Workspace};
use deadpool_postgres::{Object, Pool};
use dialnexa_domain::{Capabilities, E164, WorkspaceId};
use std::collections::HashMap;
use tokio_postgres::types::Type;

pub(super) type Workspaces = Lane<WorkspaceId, Option<Workspace>>;
pub(super) type Sightings = Lane<(WorkspaceId, E164), Option<Sighting>>;

/// How many batches of each lane may read at once.
const WORKERS: usize = 2;

pub(super) fn workspaces(pool: Pool) -> Workspaces {
    Lane::start(pool, WORKERS, |c, batch| async move {
        workspaces_of(&c, batch).await
    })
}

pub(super) fn sightings(pool: Pool) -> Sightings {
    Lane::start(pool, WORKERS, |c, batch| async move {
        sightings_of(&c, batch).await
    })
}

async fn workspaces_of(
    c: &Object,
    batch: Vec<WorkspaceId>,
) -> StoreResult<Vec<StoreResult<Option<Workspace>>>> {
    let ids: Vec<&str> = batch.iter().map(WorkspaceId::as_str).collect();
    let statement = c.prepare_cached(&q::WORKSPACES_BY_IDS).await.map_err(err)?;
    let rows = c.query(&statement, &[&ids]).await.map_err(err)?;
    let mut found: HashMap<String, Workspace> = HashMap::with_capacity(rows.len());
    for row in &rows {
        let workspace = rows::workspace(row)?;
        found.insert(workspace.id.as_str().to_owned(), workspace);
    }
    Ok(ids.iter().map(|id| Ok(found.get(*id).cloned())).collect())
}

async fn sightings_of(
    c: &Object,
    batch: Vec<(WorkspaceId, E164)>,
) -> StoreResult<Vec<StoreResult<Option<Sighting>>>> {
    let workspaces: Vec<&str> = batch.iter().map(|(w, _)| w.as_str()).collect();
    let numbers: Vec<&str> = batch.iter().map(|(_, n)| n.as_str()).collect();
    // Not prepared: an unnamed statement is planned for the table as it is now, in the same
    // round trip. A connection's cached generic plan made while `search_sightings` was nearly
    // empty stayed a sequential scan once searches had grown it to 100,000 rows (auto_explain:
    // 8 to 14 ms a lookup instead of 0.05, a third of a purchase's time), until an autovacuum
    // ANALYZE happened to invalidate it.
    let rows = c
        .query_typed(
            q::SIGHTINGS_BY_KEYS,
            &[
                (&workspaces, Type::TEXT_ARRAY),
                (&numbers, Type::TEXT_ARRAY),
            ],
        )
        .await
        .map_err(err)?;
    let mut found: HashMap<(String, String), (String, String, i64)> = HashMap::new();
    for row in &rows {
        let key = (row.text(0)?, row.text(1)?);
        found.insert(key, (row.text(2)?, row.text(3)?, row.int(4)?));
    }
    Ok(batch
        .iter()
        .map(|(w, n)| {
            let key = (w.as_str().to_owned(), n.as_str().to_owned());
            let Some((provider, caps, seen_at)) = found.get(&key) else {
                return Ok(None);
            };
            Ok(Some(Sighting {
                phone_number: n.clone(),
                provider: parse(provider, "provider")?,
                capabilities: Capabilities::parse_csv(caps)
                    .map_err(|e| StoreError::Other(e.to_string()))?,
                seen_at: ts(*seen_at)?,
            }))
        })
        .collect())
}
