//! The rental ledger.

use super::{SqlStore, get, map_err, ms, opt_ts, ts};
use crate::{BillingStore, Charge, ChargeFilter, NewCharge, Page, RenewalDue, StoreResult};
use async_trait::async_trait;
use dialnexa_domain::{ChargeId, Money, PhoneNumberId, WorkspaceId};
use jiff::Timestamp;

#[async_trait]
impl BillingStore for SqlStore {
    async fn due_renewals(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<RenewalDue>> {
        let rows = sqlx::query(
            "SELECT id, workspace_id, activated_at, next_period_index, next_period_start, \
             released_at, monthly_cost_micros FROM phone_numbers \
             WHERE next_period_start IS NOT NULL AND next_period_start <= $1 \
             AND status IN ('active', 'released') AND provider <> 'sip_trunk' \
             AND (released_at IS NULL OR next_period_start < released_at) \
             ORDER BY next_period_start LIMIT $2",
        )
        .bind(ms(now))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(RenewalDue {
                    phone_number_id: PhoneNumberId::from_trusted(get(r, "id")?),
                    workspace_id: WorkspaceId::from_trusted(get(r, "workspace_id")?),
                    activated_at: ts(get(r, "activated_at")?)?,
                    next_period_index: u32::try_from(get::<i64>(r, "next_period_index")?)
                        .unwrap_or(u32::MAX),
                    next_period_start: ts(get(r, "next_period_start")?)?,
                    released_at: opt_ts(get(r, "released_at")?)?,
                    amount: Money::from_micros(get(r, "monthly_cost_micros")?),
                })
            })
            .collect()
    }

    async fn charge_renewal(
        &self,
        number: &PhoneNumberId,
        charge: &NewCharge,
        next_start: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.write.begin().await.map_err(map_err)?;
        // The cursor moves first: it is both the claim and the write lock on SQLite.
        let moved = sqlx::query(
            "UPDATE phone_numbers SET next_period_index = $3, next_period_start = $4 \
             WHERE id = $1 AND next_period_index = $2 RETURNING workspace_id",
        )
        .bind(number.as_str())
        .bind(i64::from(charge.period_index))
        .bind(i64::from(charge.period_index) + 1)
        .bind(ms(next_start))
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let Some(row) = moved else {
            tx.rollback().await.map_err(map_err)?;
            return Ok(false);
        };
        let workspace: String = get(&row, "workspace_id")?;
        sqlx::query(
            "INSERT INTO charges (id, workspace_id, phone_number_id, period_index, period_start, \
             period_end, amount_micros, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (phone_number_id, period_start) DO NOTHING",
        )
        .bind(charge.id.as_str())
        .bind(workspace)
        .bind(number.as_str())
        .bind(i64::from(charge.period_index))
        .bind(ms(charge.period_start))
        .bind(ms(charge.period_end))
        .bind(charge.amount.micros())
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    async fn list_charges(
        &self,
        workspace: &WorkspaceId,
        filter: &ChargeFilter,
        page: Page,
    ) -> StoreResult<(Vec<Charge>, u64)> {
        // Absent filters bind values that match everything, so the SQL text stays fixed.
        let number = filter
            .phone_number_id
            .as_ref()
            .map(|id| id.as_str().to_owned());
        let from = filter.period_from.map(ms).unwrap_or(i64::MIN);
        let to = filter.period_to.map(ms).unwrap_or(i64::MAX);
        let where_sql = "workspace_id = $1 AND ($2 = '' OR phone_number_id = $2) \
                         AND period_start >= $3 AND period_start < $4";
        let count_sql = format!("SELECT COUNT(*) AS n FROM charges WHERE {where_sql}");
        let total: i64 = get(
            &sqlx::query(&count_sql)
                .bind(workspace.as_str())
                .bind(number.clone().unwrap_or_default())
                .bind(from)
                .bind(to)
                .fetch_one(&self.read)
                .await
                .map_err(map_err)?,
            "n",
        )?;
        let list_sql = format!(
            "SELECT id, workspace_id, phone_number_id, period_index, period_start, period_end, \
             amount_micros, created_at FROM charges WHERE {where_sql} \
             ORDER BY period_start, id LIMIT $5 OFFSET $6"
        );
        let rows = sqlx::query(&list_sql)
            .bind(workspace.as_str())
            .bind(number.unwrap_or_default())
            .bind(from)
            .bind(to)
            .bind(i64::from(page.limit))
            .bind(page.offset() as i64)
            .fetch_all(&self.read)
            .await
            .map_err(map_err)?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(Charge {
                    id: ChargeId::from_trusted(get(r, "id")?),
                    workspace_id: WorkspaceId::from_trusted(get(r, "workspace_id")?),
                    phone_number_id: PhoneNumberId::from_trusted(get(r, "phone_number_id")?),
                    period_index: u32::try_from(get::<i64>(r, "period_index")?).unwrap_or(0),
                    period_start: ts(get(r, "period_start")?)?,
                    period_end: ts(get(r, "period_end")?)?,
                    amount: Money::from_micros(get(r, "amount_micros")?),
                    created_at: ts(get(r, "created_at")?)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((items, total.max(0) as u64))
    }
}
