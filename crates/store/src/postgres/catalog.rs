//! Reference data (prices, the regulated table) and what searches showed each workspace, on
//! PostgreSQL.

use super::PgStore;
use super::db::Args;
use crate::queries as q;
use crate::rows::{self, ms};
use crate::{CatalogStore, PriceRow, Sighting, StoreResult};
use async_trait::async_trait;
use dialnexa_domain::{
    CountryIso, E164, Money, NumberType, Provider, RegulatoryPolicy, WorkspaceId,
};
use jiff::Timestamp;
use tokio_postgres::types::ToSql;

#[async_trait]
impl CatalogStore for PgStore {
    async fn regulatory_policy(&self) -> StoreResult<RegulatoryPolicy> {
        let entries = self.read_all(q::REGULATED, &[], rows::regulated).await?;
        Ok(RegulatoryPolicy::new(entries))
    }

    async fn price(
        &self,
        provider: Provider,
        country: CountryIso,
        number_type: NumberType,
    ) -> StoreResult<Option<Money>> {
        let args: Args = &[&provider.as_str(), &country.as_str(), &number_type.as_str()];
        self.read_one(q::PRICE, args, |row| Ok(Money::from_micros(row.int(0)?)))
            .await
    }

    async fn list_prices(&self) -> StoreResult<Vec<PriceRow>> {
        self.read_all(q::PRICES, &[], rows::price).await
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
        let (ws, at) = (workspace.as_str(), ms(now));
        let caps: Vec<String> = sightings.iter().map(|s| s.capabilities.to_csv()).collect();
        let mut args: Vec<&(dyn ToSql + Sync)> = vec![&ws, &at];
        let numbers: Vec<(&str, &str)> = sightings
            .iter()
            .map(|s| (s.phone_number.as_str(), s.provider.as_str()))
            .collect();
        for ((number, provider), caps) in numbers.iter().zip(&caps) {
            args.extend([number as &(dyn ToSql + Sync), provider, caps]);
        }
        self.write_exec(&sql, &args).await.map(drop)
    }

    async fn sighting(
        &self,
        workspace: &WorkspaceId,
        number: &E164,
    ) -> StoreResult<Option<Sighting>> {
        self.sightings
            .ask((workspace.clone(), number.clone()))
            .await
    }
}
