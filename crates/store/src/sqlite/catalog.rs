//! Reference data (prices, the regulated table) and what searches showed each workspace, on
//! SQLite.

use super::SqliteStore;
use super::conn::{Args, exec};
use crate::queries as q;
use crate::rows::{self, ms, parse_at, ts};
use crate::{CatalogStore, PriceRow, Sighting, StoreError, StoreResult};
use async_trait::async_trait;
use dialnexa_domain::{
    Capabilities, CountryIso, E164, Money, NumberType, Provider, RegulatoryPolicy, WorkspaceId,
};
use jiff::Timestamp;
use rusqlite::ToSql;

#[async_trait]
impl CatalogStore for SqliteStore {
    async fn regulatory_policy(&self) -> StoreResult<RegulatoryPolicy> {
        let entries = self.read_all(q::REGULATED, &[], rows::regulated)?;
        Ok(RegulatoryPolicy::new(entries))
    }

    async fn price(
        &self,
        provider: Provider,
        country: CountryIso,
        number_type: NumberType,
    ) -> StoreResult<Option<Money>> {
        self.read_one(
            q::PRICE,
            &[&provider.as_str(), &country.as_str(), &number_type.as_str()],
            |row| Ok(Money::from_micros(row.int(0)?)),
        )
    }

    async fn list_prices(&self) -> StoreResult<Vec<PriceRow>> {
        self.read_all(q::PRICES, &[], rows::price)
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
        let sql = q::record_sightings(sightings.len());
        let workspace = workspace.as_str().to_owned();
        let rows: Vec<(String, &'static str, String)> = sightings
            .iter()
            .map(|s| {
                (
                    s.phone_number.as_str().to_owned(),
                    s.provider.as_str(),
                    s.capabilities.to_csv(),
                )
            })
            .collect();
        self.write(move |c| {
            let at = ms(now);
            let mut args: Vec<&dyn ToSql> = vec![&workspace, &at];
            for (number, provider, caps) in &rows {
                args.extend([number as &dyn ToSql, provider, caps]);
            }
            exec(c, &sql, &args).map(drop)
        })
        .await
    }

    async fn sighting(
        &self,
        workspace: &WorkspaceId,
        number: &E164,
    ) -> StoreResult<Option<Sighting>> {
        let args: Args = &[&workspace.as_str(), &number.as_str()];
        self.read_one(q::SIGHTING, args, |row| {
            Ok(Sighting {
                phone_number: number.clone(),
                provider: parse_at(row, 0, "provider")?,
                capabilities: Capabilities::parse_csv(&row.text(1)?)
                    .map_err(|e| StoreError::Other(e.to_string()))?,
                seen_at: ts(row.int(2)?)?,
            })
        })
    }
}
