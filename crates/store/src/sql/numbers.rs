//! Phone-number rows: the purchase claim, activation with its first charge, listing.

use super::{
    Arg, Columns, SqlStore, bind_sqlx, is_unique_violation, lite, map_err, ms, opt_ts, parse_at, ts,
};
use crate::{
    NewCharge, NewEvent, NewNumber, NumberFilter, NumberStore, Page, PhoneNumberRecord, StoreError,
    StoreResult,
};
use async_trait::async_trait;
use dialnexa_domain::{AgentId, Capabilities, CountryIso, E164, Money, PhoneNumberId, WorkspaceId};
use jiff::Timestamp;
use std::sync::LazyLock;

pub(crate) const NUMBER_COLUMNS: &str = "id, workspace_id, phone_number, country_code, number_type, \
     capabilities, monthly_cost_micros, provider, status, carrier_ref, label, nickname, \
     inbound_agent_id, outbound_agent_id, failure_reason, created_at, updated_at, activated_at, \
     released_at";

/// A row read inside an open transaction (what a compare-and-set found instead).
pub(crate) async fn number_in_tx(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &PhoneNumberId,
) -> StoreResult<Option<PhoneNumberRecord>> {
    let row = sqlx::query(&NUMBER_BY_ID)
        .bind(id.as_str())
        .fetch_optional(&mut **tx)
        .await
        .map_err(map_err)?;
    row.as_ref().map(|r| number_from_row(r)).transpose()
}

/// The positions of [`NUMBER_COLUMNS`], in its order.
#[derive(Clone, Copy)]
enum N {
    Id,
    WorkspaceId,
    PhoneNumber,
    CountryCode,
    NumberType,
    Capabilities,
    MonthlyCostMicros,
    Provider,
    Status,
    CarrierRef,
    Label,
    Nickname,
    InboundAgentId,
    OutboundAgentId,
    FailureReason,
    CreatedAt,
    UpdatedAt,
    ActivatedAt,
    ReleasedAt,
}

pub(crate) fn number_from_row(row: &dyn Columns) -> StoreResult<PhoneNumberRecord> {
    let at = |c: N| c as usize;
    let country: CountryIso = parse_at(row, at(N::CountryCode), "country_code")?;
    let caps = row.text(at(N::Capabilities))?;
    Ok(PhoneNumberRecord {
        id: PhoneNumberId::from_trusted(row.text(at(N::Id))?),
        workspace_id: WorkspaceId::from_trusted(row.text(at(N::WorkspaceId))?),
        phone_number: E164::from_trusted(row.text(at(N::PhoneNumber))?, country),
        number_type: parse_at(row, at(N::NumberType), "number_type")?,
        capabilities: Capabilities::parse_csv(&caps)
            .map_err(|e| StoreError::Other(e.to_string()))?,
        monthly_cost: Money::from_micros(row.int(at(N::MonthlyCostMicros))?),
        provider: parse_at(row, at(N::Provider), "provider")?,
        status: parse_at(row, at(N::Status), "status")?,
        carrier_ref: row.opt_text(at(N::CarrierRef))?,
        label: row.opt_text(at(N::Label))?,
        nickname: row.opt_text(at(N::Nickname))?,
        inbound_agent_id: row
            .opt_text(at(N::InboundAgentId))?
            .map(AgentId::from_trusted),
        outbound_agent_id: row
            .opt_text(at(N::OutboundAgentId))?
            .map(AgentId::from_trusted),
        failure_reason: row.opt_text(at(N::FailureReason))?,
        created_at: ts(row.int(at(N::CreatedAt))?)?,
        updated_at: ts(row.int(at(N::UpdatedAt))?)?,
        activated_at: opt_ts(row.opt_int(at(N::ActivatedAt))?)?,
        released_at: opt_ts(row.opt_int(at(N::ReleasedAt))?)?,
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

static INSERT_PENDING: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO phone_numbers (id, workspace_id, phone_number, country_code, number_type, \
         capabilities, monthly_cost_micros, provider, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $9) RETURNING {NUMBER_COLUMNS}"
    )
});
static ACTIVATE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE phone_numbers SET status = 'active', carrier_ref = $2, activated_at = $3, \
         updated_at = $3, next_period_index = $4, next_period_start = $5 \
         WHERE id = $1 AND status = 'pending' RETURNING {NUMBER_COLUMNS}"
    )
});
static NUMBER_BY_ID: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {NUMBER_COLUMNS} FROM phone_numbers WHERE id = $1"));
static NUMBER_IN_WORKSPACE: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {NUMBER_COLUMNS} FROM phone_numbers WHERE id = $1 AND workspace_id = $2")
});
const INSERT_FIRST_CHARGE: &str = "INSERT INTO charges (id, workspace_id, phone_number_id, \
     period_index, period_start, period_end, amount_micros, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (phone_number_id, period_start) DO NOTHING";
const FAIL_PENDING: &str = "UPDATE phone_numbers SET status = 'failed', failure_reason = $2, \
     updated_at = $3 WHERE id = $1 AND status = 'pending'";

fn charge_args<'a>(
    charge: &'a NewCharge,
    record: &'a PhoneNumberRecord,
    now: Timestamp,
) -> [Arg<'a>; 8] {
    [
        Arg::Text(charge.id.as_str()),
        Arg::Text(record.workspace_id.as_str()),
        Arg::Text(record.id.as_str()),
        Arg::Int(i64::from(charge.period_index)),
        Arg::Int(ms(charge.period_start)),
        Arg::Int(ms(charge.period_end)),
        Arg::Int(charge.amount.micros()),
        Arg::Int(ms(now)),
    ]
}

/// What an activation that changed no row means: an earlier attempt (recovery racing the
/// request) already activated it, which is fine; anything else is a conflict.
fn already_activated(current: Option<PhoneNumberRecord>) -> StoreResult<PhoneNumberRecord> {
    let record = current.ok_or(StoreError::NotFound)?;
    match record.status {
        dialnexa_domain::NumberStatus::Active => Ok(record),
        other => Err(StoreError::Conflict(format!(
            "cannot activate a {other} number"
        ))),
    }
}

#[async_trait]
impl NumberStore for SqlStore {
    async fn insert_pending(&self, new: &NewNumber) -> StoreResult<PhoneNumberRecord> {
        let caps = new.capabilities.to_csv();
        let args = [
            Arg::Text(new.id.as_str()),
            Arg::Text(new.workspace_id.as_str()),
            Arg::Text(new.phone_number.as_str()),
            Arg::Text(new.phone_number.country().as_str()),
            Arg::Text(new.number_type.as_str()),
            Arg::Text(&caps),
            Arg::Int(new.monthly_cost.micros()),
            Arg::Text(new.provider.as_str()),
            Arg::Int(ms(new.created_at)),
        ];
        let values = lite::to_values(&args);
        let written = self
            .lite_write(move |c| {
                let args = lite::as_args(&values);
                lite::query_optional_with(c, &INSERT_PENDING, &args, number_from_row, |e| {
                    if lite::is_unique_violation(&e) {
                        StoreError::NumberAlreadyHeld
                    } else {
                        lite::lite_err(e)
                    }
                })?
                .ok_or(StoreError::NotFound)
            })
            .await;
        if let Some(result) = written {
            return result;
        }
        let row = bind_sqlx(&INSERT_PENDING, &args)
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
        let activate = [
            Arg::Text(id.as_str()),
            Arg::Text(carrier_ref),
            Arg::Int(ms(now)),
            Arg::Int(i64::from(first_charge.period_index) + 1),
            Arg::Int(ms(first_charge.period_end)),
        ];
        let values = lite::to_values(&activate);
        let (id_owned, charge, event_owned) = (id.clone(), first_charge.clone(), event.clone());
        let written = self
            .lite_write(move |c| {
                let activated =
                    lite::query_optional(c, &ACTIVATE, &lite::as_args(&values), number_from_row)?;
                let Some(record) = activated else {
                    let by_id = [Arg::Text(id_owned.as_str())];
                    let current = lite::query_optional(c, &NUMBER_BY_ID, &by_id, number_from_row)?;
                    return already_activated(current);
                };
                lite::execute(c, INSERT_FIRST_CHARGE, &charge_args(&charge, &record, now))
                    .map_err(lite::lite_err)?;
                let payload = event_owned.payload.to_string();
                let event_args =
                    super::event_args(record.workspace_id.as_str(), &event_owned, &payload, now);
                lite::execute(c, super::INSERT_EVENT, &event_args).map_err(lite::lite_err)?;
                Ok(record)
            })
            .await;
        if let Some(result) = written {
            return result;
        }

        let mut tx = self.write.begin().await.map_err(map_err)?;
        let updated = bind_sqlx(&ACTIVATE, &activate)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?;
        let Some(row) = updated else {
            let current = number_in_tx(&mut tx, id).await?;
            tx.rollback().await.map_err(map_err)?;
            return already_activated(current);
        };
        let record = number_from_row(&row)?;
        bind_sqlx(
            INSERT_FIRST_CHARGE,
            &charge_args(first_charge, &record, now),
        )
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
        let args = [Arg::Text(id.as_str()), Arg::Text(reason), Arg::Int(ms(now))];
        let written = self
            .lite_write({
                let values = lite::to_values(&args);
                move |c| {
                    lite::execute(c, FAIL_PENDING, &lite::as_args(&values)).map_err(lite::lite_err)
                }
            })
            .await;
        if let Some(result) = written {
            return result.map(drop);
        }
        bind_sqlx(FAIL_PENDING, &args)
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
        self.read_optional(
            &NUMBER_IN_WORKSPACE,
            &[Arg::Text(id.as_str()), Arg::Text(workspace.as_str())],
            number_from_row,
        )
        .await
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
        // Filtered by status alone, the total is the sum of the counters the triggers of
        // migration 0005 keep per workspace and status: one or two rows, not a count of them
        // all. The other filters count the matching rows.
        let counted = w.clauses.len() == 2;
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
        let from_counters = counted && w.clauses.len() == 2;
        let where_sql = w.clauses.join(" AND ");
        let count_sql = if from_counters {
            format!(
                "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM phone_number_counts \
                 WHERE {where_sql}"
            )
        } else {
            format!("SELECT COUNT(*) FROM phone_numbers WHERE {where_sql}")
        };
        let n = w.args.len();
        let list_sql = format!(
            "SELECT {NUMBER_COLUMNS} FROM phone_numbers WHERE {where_sql} \
             ORDER BY created_at DESC, id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut args: Vec<Arg<'_>> = w.args.iter().map(|a| Arg::Text(a)).collect();
        let total = self
            .read_optional(&count_sql, &args, |row| row.int(0))
            .await?
            .unwrap_or(0);
        args.push(Arg::Int(i64::from(page.limit)));
        args.push(Arg::Int(page.offset() as i64));
        let items = self.read_all(&list_sql, &args, number_from_row).await?;
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
        rows.iter().map(|r| number_from_row(r)).collect()
    }
}
