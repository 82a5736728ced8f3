//! The purchase saga's two hot writes on PostgreSQL, through lanes (`lane.rs`): the claims
//! waiting are one multi-row INSERT, the activations waiting are one statement that activates
//! the rows and writes their first charges and outbox events. Each statement commits on its own
//! (autocommit), so each request is answered after the commit that made its write durable.

use super::audit;
use super::db::err;
use super::lane::Lane;
use crate::faults::StoreFaults;
use crate::queries as q;
use crate::rows::{self, already_activated, ms};
use crate::{
    NewAuditEvent, NewCharge, NewEvent, NewNumber, PhoneNumberRecord, StoreError, StoreResult,
};
use deadpool_postgres::{Client, GenericClient, Object, Pool};
use dialnexa_domain::PhoneNumberId;
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::Arc;
use tokio_postgres::types::ToSql;

/// One purchase's activation, as `NumberStore::activate_purchase` takes it.
pub(super) struct Activation {
    pub id: PhoneNumberId,
    pub carrier_ref: String,
    pub now: Timestamp,
    pub charge: NewCharge,
    pub event: NewEvent,
    /// The request's audit row, written in the activation's transaction.
    pub audit: Option<NewAuditEvent>,
}

pub(super) type Claims = Lane<NewNumber, PhoneNumberRecord>;
pub(super) type Activations = Lane<Activation, PhoneNumberRecord>;

/// How many batches of each lane may commit at once.
const WORKERS: usize = 4;

pub(super) fn claims(pool: Pool, faults: Arc<StoreFaults>) -> Claims {
    Lane::start(pool, WORKERS, move |c, batch| {
        let faults = faults.clone();
        async move {
            faults.commit()?;
            claim(&c, batch).await
        }
    })
}

pub(super) fn activations(pool: Pool, faults: Arc<StoreFaults>) -> Activations {
    Lane::start(pool, WORKERS, move |c, batch| {
        let faults = faults.clone();
        async move {
            faults.commit()?;
            activate(c, batch).await
        }
    })
}

async fn claim(
    c: &Object,
    batch: Vec<NewNumber>,
) -> StoreResult<Vec<StoreResult<PhoneNumberRecord>>> {
    let col = |f: fn(&NewNumber) -> String| batch.iter().map(f).collect::<Vec<_>>();
    let ids = col(|n| n.id.as_str().to_owned());
    let workspaces = col(|n| n.workspace_id.as_str().to_owned());
    let numbers = col(|n| n.phone_number.as_str().to_owned());
    let countries = col(|n| n.phone_number.country().as_str().to_owned());
    let types = col(|n| n.number_type.as_str().to_owned());
    let caps = col(|n| n.capabilities.to_csv());
    let providers = col(|n| n.provider.as_str().to_owned());
    let costs: Vec<i64> = batch.iter().map(|n| n.monthly_cost.micros()).collect();
    let times: Vec<i64> = batch.iter().map(|n| ms(n.created_at)).collect();
    let statement = c.prepare_cached(&q::CLAIM_BATCH).await.map_err(err)?;
    let rows = c
        .query(
            &statement,
            &[
                &ids,
                &workspaces,
                &numbers,
                &countries,
                &types,
                &caps,
                &costs,
                &providers,
                &times,
            ],
        )
        .await
        .map_err(err)?;
    let mut claimed: HashMap<String, PhoneNumberRecord> = HashMap::with_capacity(rows.len());
    for row in &rows {
        let record = rows::number(row)?;
        claimed.insert(record.id.as_str().to_owned(), record);
    }
    Ok(ids
        .iter()
        .map(|id| claimed.remove(id).ok_or(StoreError::NumberAlreadyHeld))
        .collect())
}

/// The batch's activations and the audit rows of those that succeed, in one transaction. Audit
/// rows that cannot be written (one bad row fails the insert) do not undo the activations:
/// they are written one by one after the commit instead.
///
/// Three round trips: `BEGIN` goes out with the activation, and `SAVEPOINT` with the audit
/// rows (tokio-postgres sends the requests of one connection awaited together in order, without
/// waiting for each answer), then `COMMIT`. The commit waits for the audit rows' answer: after a
/// failed statement PostgreSQL would turn it into a rollback of the activations too.
async fn activate(
    c: Object,
    batch: Vec<Activation>,
) -> StoreResult<Vec<StoreResult<PhoneNumberRecord>>> {
    let client: &Client = &c;
    // One statement, committed on its own: the activations with their charges, events and
    // audit rows, in one round trip.
    let audited: Vec<&Activation> = batch.iter().filter(|a| a.audit.is_some()).collect();
    match activate_rows(client, &batch, &audited).await {
        Ok(results) => return Ok(results),
        // Refused as a whole, so nothing was written: an audit row that cannot be written,
        // say. Again below, with the audit rows after a savepoint, so that they cannot undo
        // the activations.
        Err(StoreError::Other(e)) if !audited.is_empty() => {
            tracing::warn!(error = %e, "activations and their audit rows refused together; written again apart");
        }
        Err(e) => return Err(e),
    }
    let written = async {
        let (begun, results) = tokio::join!(
            client.batch_execute("BEGIN"),
            activate_rows(client, &batch, &[])
        );
        begun.map_err(err)?;
        let results = results?;
        let audits: Vec<&NewAuditEvent> = batch
            .iter()
            .zip(&results)
            .filter(|(_, result)| result.is_ok())
            .filter_map(|(a, _)| a.audit.as_ref())
            .collect();
        let mut apart = Vec::new();
        if !audits.is_empty() {
            let (saved, inserted) = tokio::join!(
                client.batch_execute("SAVEPOINT audit"),
                audit::insert_rows(client, &audits)
            );
            saved.map_err(err)?;
            if let Err(e) = inserted {
                tracing::warn!(error = %e, "audit rows of activations written apart");
                client
                    .batch_execute("ROLLBACK TO SAVEPOINT audit")
                    .await
                    .map_err(err)?;
                apart = audits;
            }
        }
        client.batch_execute("COMMIT").await.map_err(err)?;
        Ok::<_, StoreError>((results, apart))
    }
    .await;
    let (results, apart) = match written {
        Ok(written) => written,
        Err(e) => {
            // The connection goes back to the pool with no transaction open.
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(e);
        }
    };
    for row in apart {
        if let Err(e) = audit::insert_one(&c, row).await {
            tracing::error!(action = row.action, error = %e, "could not write the audit row of a purchase");
        }
    }
    Ok(results)
}

/// The batch's activations in one statement, with the audit rows of `audited` (written for
/// those whose number is active once it has run).
async fn activate_rows<C: GenericClient>(
    c: &C,
    batch: &[Activation],
    audited: &[&Activation],
) -> StoreResult<Vec<StoreResult<PhoneNumberRecord>>> {
    // One row per number: the same activation asked twice (a request and the recovery worker)
    // must write one charge and one event.
    let mut first: HashMap<&str, &Activation> = HashMap::with_capacity(batch.len());
    for a in batch {
        first.entry(a.id.as_str()).or_insert(a);
    }
    let unique: Vec<&Activation> = first.values().copied().collect();
    let col = |f: fn(&Activation) -> String| unique.iter().map(|a| f(a)).collect::<Vec<_>>();
    let int = |f: fn(&Activation) -> i64| unique.iter().map(|a| f(a)).collect::<Vec<_>>();
    let ids = col(|a| a.id.as_str().to_owned());
    let (carrier_refs, times) = (col(|a| a.carrier_ref.clone()), int(|a| ms(a.now)));
    let (next_index, period_end) = (
        int(|a| i64::from(a.charge.period_index) + 1),
        int(|a| ms(a.charge.period_end)),
    );
    let (charge_ids, period_index) = (
        col(|a| a.charge.id.as_str().to_owned()),
        int(|a| i64::from(a.charge.period_index)),
    );
    let (period_start, amount) = (
        int(|a| ms(a.charge.period_start)),
        int(|a| a.charge.amount.micros()),
    );
    let (event_ids, event_types, payloads) = (
        col(|a| a.event.id.as_str().to_owned()),
        col(|a| a.event.event_type.clone()),
        col(|a| a.event.payload.to_string()),
    );
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![
        &ids,
        &carrier_refs,
        &times,
        &next_index,
        &period_end,
        &charge_ids,
        &period_index,
        &period_start,
        &period_end,
        &amount,
        &event_ids,
        &event_types,
        &payloads,
    ];
    let rows: Vec<&NewAuditEvent> = audited.iter().filter_map(|a| a.audit.as_ref()).collect();
    let audits = audit::Columns::of(&rows);
    let audit_numbers: Vec<&str> = audited.iter().map(|a| a.id.as_str()).collect();
    let sql = if audited.is_empty() {
        &q::ACTIVATE_BATCH
    } else {
        params.extend(audits.params());
        params.push(&audit_numbers);
        &q::ACTIVATE_AUDITED_BATCH
    };
    let statement = c.prepare_cached(sql).await.map_err(err)?;
    let rows = c.query(&statement, &params).await.map_err(err)?;
    let mut records: HashMap<String, PhoneNumberRecord> = HashMap::with_capacity(rows.len());
    for row in &rows {
        let record = rows::number(row)?;
        records.insert(record.id.as_str().to_owned(), record);
    }
    // The rows that did not turn active now: already active (activated by an earlier attempt),
    // or no longer pending.
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !records.contains_key(*id))
        .cloned()
        .collect();
    let mut current: HashMap<String, PhoneNumberRecord> = HashMap::new();
    if !missing.is_empty() {
        let statement = c.prepare_cached(&q::NUMBERS_BY_IDS).await.map_err(err)?;
        for row in c.query(&statement, &[&missing]).await.map_err(err)? {
            let record = rows::number(&row)?;
            current.insert(record.id.as_str().to_owned(), record);
        }
    }
    Ok(batch
        .iter()
        .map(|a| match records.get(a.id.as_str()) {
            Some(record) => Ok(record.clone()),
            None => already_activated(current.get(a.id.as_str()).cloned()),
        })
        .collect())
}
