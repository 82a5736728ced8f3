//! Phone-number rows: the purchase claim, activation with its first charge, listing.

use super::{SqlStore, col, get, is_unique_violation, map_err, ms, opt_ts, ts};
use crate::{
    NewCharge, NewEvent, NewNumber, NumberFilter, NumberStore, Page, PhoneNumberRecord, StoreError,
    StoreResult,
};
use async_trait::async_trait;
use dialnexa_domain::{AgentId, Capabilities, CountryIso, E164, Money, PhoneNumberId, WorkspaceId};
use jiff::Timestamp;
use sqlx::any::AnyRow;

pub(crate) const NUMBER_COLUMNS: &str = "id, workspace_id, phone_number, country_code, number_type, \
     capabilities, monthly_cost_micros, provider, status, carrier_ref, label, nickname, \
     inbound_agent_id, outbound_agent_id, failure_reason, created_at, updated_at, activated_at, \
     released_at";

/// A row read inside an open transaction (what a compare-and-set found instead).
pub(crate) async fn number_in_tx(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &PhoneNumberId,
) -> StoreResult<Option<PhoneNumberRecord>> {
    let sql = format!("SELECT {NUMBER_COLUMNS} FROM phone_numbers WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id.as_str())
        .fetch_optional(&mut **tx)
        .await
        .map_err(map_err)?;
    row.as_ref().map(number_from_row).transpose()
}

pub(crate) fn number_from_row(row: &AnyRow) -> StoreResult<PhoneNumberRecord> {
    let country: CountryIso = col(row, "country_code")?;
    let caps: String = get(row, "capabilities")?;
    Ok(PhoneNumberRecord {
        id: PhoneNumberId::from_trusted(get(row, "id")?),
        workspace_id: WorkspaceId::from_trusted(get(row, "workspace_id")?),
        phone_number: E164::from_trusted(get(row, "phone_number")?, country),
        number_type: col(row, "number_type")?,
        capabilities: Capabilities::parse_csv(&caps)
            .map_err(|e| StoreError::Other(e.to_string()))?,
        monthly_cost: Money::from_micros(get(row, "monthly_cost_micros")?),
        provider: col(row, "provider")?,
        status: col(row, "status")?,
        carrier_ref: get(row, "carrier_ref")?,
        label: get(row, "label")?,
        nickname: get(row, "nickname")?,
        inbound_agent_id: get::<Option<String>>(row, "inbound_agent_id")?
            .map(AgentId::from_trusted),
        outbound_agent_id: get::<Option<String>>(row, "outbound_agent_id")?
            .map(AgentId::from_trusted),
        failure_reason: get(row, "failure_reason")?,
        created_at: ts(get(row, "created_at")?)?,
        updated_at: ts(get(row, "updated_at")?)?,
        activated_at: opt_ts(get(row, "activated_at")?)?,
        released_at: opt_ts(get(row, "released_at")?)?,
    })
}

/// A WHERE clause built from optional filters, numbering its `$n` placeholders as it grows.
struct Where {
    clauses: Vec<String>,
    args: Vec<String>,
}

impl Where {
    fn new(workspace: &WorkspaceId) -> Self {
        Where {
            clauses: vec!["workspace_id = $1".into()],
            args: vec![workspace.as_str().into()],
        }
    }

    /// Every `?` in `clause` becomes the same new placeholder bound to `arg`.
    fn push(&mut self, clause: &str, arg: &str) {
        self.args.push(arg.to_owned());
        self.clauses
            .push(clause.replace('?', &format!("${}", self.args.len())));
    }
}

fn bind_texts<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: &'q [String],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for a in args {
        q = q.bind(a.as_str());
    }
    q
}

#[async_trait]
impl NumberStore for SqlStore {
    async fn insert_pending(&self, new: &NewNumber) -> StoreResult<PhoneNumberRecord> {
        let sql = format!(
            "INSERT INTO phone_numbers (id, workspace_id, phone_number, country_code, number_type, \
             capabilities, monthly_cost_micros, provider, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $9) RETURNING {NUMBER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.id.as_str())
            .bind(new.workspace_id.as_str())
            .bind(new.phone_number.as_str())
            .bind(new.phone_number.country().as_str())
            .bind(new.number_type.as_str())
            .bind(new.capabilities.to_csv())
            .bind(new.monthly_cost.micros())
            .bind(new.provider.as_str())
            .bind(ms(new.created_at))
            .fetch_one(&self.write)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::NumberAlreadyHeld
                } else {
                    map_err(e)
                }
            })?;
        number_from_row(&row)
    }

    async fn activate_purchase(
        &self,
        id: &PhoneNumberId,
        carrier_ref: &str,
        now: Timestamp,
        first_charge: &NewCharge,
        event: &NewEvent,
    ) -> StoreResult<PhoneNumberRecord> {
        let mut tx = self.write.begin().await.map_err(map_err)?;
        let sql = format!(
            "UPDATE phone_numbers SET status = 'active', carrier_ref = $2, activated_at = $3, \
             updated_at = $3, next_period_index = $4, next_period_start = $5 \
             WHERE id = $1 AND status = 'pending' RETURNING {NUMBER_COLUMNS}"
        );
        let updated = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(carrier_ref)
            .bind(ms(now))
            .bind(i64::from(first_charge.period_index) + 1)
            .bind(ms(first_charge.period_end))
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?;
        let Some(row) = updated else {
            // Already activated by an earlier attempt (recovery raced the request): fine.
            let current = number_in_tx(&mut tx, id).await?;
            tx.rollback().await.map_err(map_err)?;
            let record = current.ok_or(StoreError::NotFound)?;
            return match record.status {
                dialnexa_domain::NumberStatus::Active => Ok(record),
                other => Err(StoreError::Conflict(format!(
                    "cannot activate a {other} number"
                ))),
            };
        };
        let record = number_from_row(&row)?;
        sqlx::query(
            "INSERT INTO charges (id, workspace_id, phone_number_id, period_index, period_start, \
             period_end, amount_micros, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (phone_number_id, period_start) DO NOTHING",
        )
        .bind(first_charge.id.as_str())
        .bind(record.workspace_id.as_str())
        .bind(record.id.as_str())
        .bind(i64::from(first_charge.period_index))
        .bind(ms(first_charge.period_start))
        .bind(ms(first_charge.period_end))
        .bind(first_charge.amount.micros())
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        super::insert_event(&mut tx, record.workspace_id.as_str(), event, now).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(record)
    }

    async fn fail_pending(
        &self,
        id: &PhoneNumberId,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE phone_numbers SET status = 'failed', failure_reason = $2, updated_at = $3 \
             WHERE id = $1 AND status = 'pending'",
        )
        .bind(id.as_str())
        .bind(reason)
        .bind(ms(now))
        .execute(&self.write)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn get_number(
        &self,
        workspace: &WorkspaceId,
        id: &PhoneNumberId,
    ) -> StoreResult<Option<PhoneNumberRecord>> {
        let sql = format!(
            "SELECT {NUMBER_COLUMNS} FROM phone_numbers WHERE id = $1 AND workspace_id = $2"
        );
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(workspace.as_str())
            .fetch_optional(&self.read)
            .await
            .map_err(map_err)?;
        row.as_ref().map(number_from_row).transpose()
    }

    async fn list_numbers(
        &self,
        workspace: &WorkspaceId,
        filter: &NumberFilter,
        page: Page,
    ) -> StoreResult<(Vec<PhoneNumberRecord>, u64)> {
        let mut w = Where::new(workspace);
        match filter.status {
            Some(status) => w.push("status = ?", status.as_str()),
            None => w.clauses.push("status IN ('pending', 'active')".into()),
        }
        if let Some(c) = filter.country {
            w.push("country_code = ?", c.as_str());
        }
        if let Some(t) = filter.number_type {
            w.push("number_type = ?", t.as_str());
        }
        if let Some(p) = filter.provider {
            w.push("provider = ?", p.as_str());
        }
        if let Some(a) = &filter.agent_id {
            w.push(
                "(inbound_agent_id = ? OR outbound_agent_id = ?)",
                a.as_str(),
            );
        }
        if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
            let pattern = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
            w.push(
                "(LOWER(phone_number) LIKE ? OR LOWER(COALESCE(nickname, '')) LIKE ? \
                 OR LOWER(COALESCE(label, '')) LIKE ?)",
                &pattern,
            );
        }
        let where_sql = w.clauses.join(" AND ");
        let count_sql = format!("SELECT COUNT(*) AS n FROM phone_numbers WHERE {where_sql}");
        let n = w.args.len();
        let list_sql = format!(
            "SELECT {NUMBER_COLUMNS} FROM phone_numbers WHERE {where_sql} \
             ORDER BY created_at DESC, id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let count_row = bind_texts(sqlx::query(&count_sql), &w.args)
            .fetch_one(&self.read)
            .await
            .map_err(map_err)?;
        let total: i64 = get(&count_row, "n")?;
        let rows = bind_texts(sqlx::query(&list_sql), &w.args)
            .bind(i64::from(page.limit))
            .bind(page.offset() as i64)
            .fetch_all(&self.read)
            .await
            .map_err(map_err)?;
        let items = rows
            .iter()
            .map(number_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((items, total.max(0) as u64))
    }

    async fn pending_before(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<PhoneNumberRecord>> {
        let sql = format!(
            "SELECT {NUMBER_COLUMNS} FROM phone_numbers WHERE status = 'pending' AND created_at < $1 \
             ORDER BY created_at LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(ms(before))
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await
            .map_err(map_err)?;
        rows.iter().map(number_from_row).collect()
    }
}
