//! Reference data (prices, the regulated table) and what searches showed each workspace.

use super::{Arg, SqlStore, bind_sqlx, col, get, lite, map_err, ms, parse_at, ts};
use crate::{CatalogStore, PriceRow, Sighting, StoreError, StoreResult};
use async_trait::async_trait;
use dialnexa_domain::{
    Capabilities, CountryIso, E164, Money, NumberType, Provider, RegulatoryPolicy, WorkspaceId,
    regulatory::RegulatedEntry,
};
use jiff::Timestamp;

#[async_trait]
impl CatalogStore for SqlStore {
    async fn regulatory_policy(&self) -> StoreResult<RegulatoryPolicy> {
        let rows =
            sqlx::query("SELECT country, number_type FROM regulated_number_types ORDER BY country")
                .fetch_all(&self.read)
                .await
                .map_err(map_err)?;
        let entries =
            rows.iter()
                .map(|r| {
                    let number_type: String = get(r, "number_type")?;
                    Ok(RegulatedEntry {
                        country: col(r, "country")?,
                        number_type: if number_type == "*" {
                            None
                        } else {
                            Some(number_type.parse().map_err(
                                |e: dialnexa_domain::PhoneError| StoreError::Other(e.to_string()),
                            )?)
                        },
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
        Ok(RegulatoryPolicy::new(entries))
    }

    async fn price(
        &self,
        provider: Provider,
        country: CountryIso,
        number_type: NumberType,
    ) -> StoreResult<Option<Money>> {
        self.read_optional(
            "SELECT monthly_micros FROM prices WHERE provider = $1 AND country = $2 AND number_type = $3",
            &[
                Arg::Text(provider.as_str()),
                Arg::Text(country.as_str()),
                Arg::Text(number_type.as_str()),
            ],
            |row| Ok(Money::from_micros(row.int(0)?)),
        )
        .await
    }

    async fn list_prices(&self) -> StoreResult<Vec<PriceRow>> {
        let rows = sqlx::query(
            "SELECT provider, country, number_type, monthly_micros FROM prices \
             ORDER BY provider, country, number_type",
        )
        .fetch_all(&self.read)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(PriceRow {
                    provider: col(r, "provider")?,
                    country: col(r, "country")?,
                    number_type: col(r, "number_type")?,
                    monthly_cost: Money::from_micros(get(r, "monthly_micros")?),
                })
            })
            .collect()
    }

    async fn record_sightings(
        &self,
        workspace: &WorkspaceId,
        sightings: &[Sighting],
        now: Timestamp,
    ) -> StoreResult<()> {
        if sightings.is_empty() {
            return Ok(());
        }
        // One multi-row upsert: a search of 100 numbers costs one round trip, not 100.
        let mut sql = String::from(
            "INSERT INTO search_sightings (workspace_id, phone_number, provider, capabilities, seen_at) VALUES ",
        );
        for i in 0..sightings.len() {
            let b = i * 3;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("($1, ${}, ${}, ${}, $2)", b + 3, b + 4, b + 5));
        }
        sql.push_str(
            " ON CONFLICT (workspace_id, phone_number) DO UPDATE SET \
             provider = excluded.provider, capabilities = excluded.capabilities, seen_at = excluded.seen_at",
        );
        let caps: Vec<String> = sightings.iter().map(|s| s.capabilities.to_csv()).collect();
        let mut args = vec![Arg::Text(workspace.as_str()), Arg::Int(ms(now))];
        for (s, caps) in sightings.iter().zip(&caps) {
            args.extend([
                Arg::Text(s.phone_number.as_str()),
                Arg::Text(s.provider.as_str()),
                Arg::Text(caps),
            ]);
        }
        let values = lite::to_values(&args);
        let lite_sql = sql.clone();
        let written = self
            .lite_write(move |c| {
                lite::execute(c, &lite_sql, &lite::as_args(&values)).map_err(lite::lite_err)
            })
            .await;
        if let Some(result) = written {
            return result.map(drop);
        }
        bind_sqlx(&sql, &args)
            .execute(&self.write)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn sighting(
        &self,
        workspace: &WorkspaceId,
        number: &E164,
    ) -> StoreResult<Option<Sighting>> {
        self.read_optional(
            "SELECT provider, capabilities, seen_at FROM search_sightings \
             WHERE workspace_id = $1 AND phone_number = $2",
            &[Arg::Text(workspace.as_str()), Arg::Text(number.as_str())],
            |row| {
                Ok(Sighting {
                    phone_number: number.clone(),
                    provider: parse_at(row, 0, "provider")?,
                    capabilities: Capabilities::parse_csv(&row.text(1)?)
                        .map_err(|e| StoreError::Other(e.to_string()))?,
                    seen_at: ts(row.int(2)?)?,
                })
            },
        )
        .await
    }
}
