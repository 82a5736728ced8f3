//! The rental ledger.

use super::{SqlStore, get, map_err, ms, ts};
use crate::{BillingStore, Charge, ChargeFilter, Page, StoreResult};
use async_trait::async_trait;
use dialnexa_domain::{ChargeId, Money, PhoneNumberId, WorkspaceId};

#[async_trait]
impl BillingStore for SqlStore {
    async fn list_charges(
        &self,
        workspace: &WorkspaceId,
        filter: &ChargeFilter,
        page: Page,
    ) -> StoreResult<(Vec<Charge>, u64)> {
        // Absent filters bind values that match everything, so the SQL text stays fixed.
        let number = filter.phone_number_id.as_ref().map(|id| id.as_str().to_owned());
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
