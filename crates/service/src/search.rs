//! Searching a carrier's inventory, priced and judged by the workspace's quote. Every result
//! shown is remembered as a sighting (see the purchase saga). The query is parsed here, once,
//! for the JSON API, the Plivo-shaped endpoint and the dashboard's buy page.

use crate::carriers::carrier_error;
use crate::input::{self, present};
use crate::model::AvailableNumber;
use crate::quote::QuoteRequest;
use crate::{Caller, ServiceError, ServiceResult, Services};
use dialnexa_carriers::SearchQuery as CarrierQuery;
use dialnexa_domain::{Capabilities, CountryIso, NumberType, Provider, keypad_pattern};
use dialnexa_store::Sighting;
use serde::Deserialize;

pub const MAX_SEARCH_LIMIT: u32 = 100;
pub const DEFAULT_SEARCH_LIMIT: u32 = 20;

/// A search as sent (`GET …/available?…`, or the dashboard's search form, which says
/// `country`). Blank values are absent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchQuery {
    /// ISO 3166 country, required (aliases `countryISO`, `country`).
    #[serde(alias = "countryISO", alias = "country")]
    pub country_iso: Option<String>,
    /// `local` (default), `mobile` or `toll_free`.
    #[serde(rename = "type")]
    pub number_type: Option<String>,
    pub area_code: Option<String>,
    /// Digits, `*` for any digit, or letters as on a phone keypad.
    pub contains: Option<String>,
    pub region: Option<String>,
    /// Comma-separated, e.g. `voice,sms`.
    pub capabilities: Option<String>,
    pub limit: Option<String>,
    pub provider: Option<String>,
}

/// A checked search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    pub country: CountryIso,
    pub number_type: NumberType,
    pub area_code: Option<String>,
    /// A keypad pattern: digits and `*`.
    pub contains: Option<String>,
    pub region: Option<String>,
    pub capabilities: Capabilities,
    pub limit: u32,
    pub provider: Option<Provider>,
}

impl SearchQuery {
    pub fn parse(&self) -> ServiceResult<SearchRequest> {
        input::no_nul_in(&[
            ("country_iso", &self.country_iso),
            ("type", &self.number_type),
            ("area_code", &self.area_code),
            ("contains", &self.contains),
            ("region", &self.region),
            ("capabilities", &self.capabilities),
            ("limit", &self.limit),
            ("provider", &self.provider),
        ])?;
        let country = present(&self.country_iso).ok_or_else(|| {
            ServiceError::bad_request("missing_field", "country_iso is required").on("country_iso")
        })?;
        let limit = present(&self.limit)
            .map(|l| input::whole_number("limit", l))
            .transpose()?
            .unwrap_or(i64::from(DEFAULT_SEARCH_LIMIT));
        if !(1..=i64::from(MAX_SEARCH_LIMIT)).contains(&limit) {
            return Err(ServiceError::bad_request(
                "invalid_limit",
                format!("limit must be a whole number from 1 to {MAX_SEARCH_LIMIT}."),
            )
            .on("limit"));
        }
        Ok(SearchRequest {
            country: input::country("country_iso", country)?,
            number_type: present(&self.number_type)
                .map(|t| input::number_type("type", t))
                .transpose()?
                .unwrap_or(NumberType::Local),
            capabilities: self
                .capabilities
                .as_deref()
                .map(|c| input::capabilities("capabilities", c))
                .transpose()?
                .unwrap_or_default(),
            provider: present(&self.provider)
                .map(|p| input::provider("provider", p))
                .transpose()?,
            area_code: present(&self.area_code).map(check_area_code).transpose()?,
            contains: present(&self.contains)
                .map(|c| {
                    keypad_pattern(c).map_err(|e| {
                        ServiceError::bad_request("invalid_contains", e.to_string()).on("contains")
                    })
                })
                .transpose()?,
            region: present(&self.region).map(str::to_owned),
            limit: limit as u32,
        })
    }
}

fn check_area_code(a: &str) -> ServiceResult<String> {
    if a.len() > 6 || !a.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ServiceError::bad_request(
            "invalid_area_code",
            format!("`{a}` is not an area code: use 1 to 6 digits, e.g. 415"),
        )
        .on("area_code"));
    }
    Ok(a.to_owned())
}

impl Services {
    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn search(
        &self,
        caller: &Caller,
        req: &SearchRequest,
    ) -> ServiceResult<Vec<AvailableNumber>> {
        let quote = self
            .quote(
                caller,
                QuoteRequest {
                    country: req.country,
                    number_type: req.number_type,
                    provider: req.provider,
                },
            )
            .await?;
        let provider = quote.provider;
        let carrier = self.carriers.get(provider)?;
        let query = CarrierQuery {
            country: req.country,
            number_type: req.number_type,
            area_code: req.area_code.clone(),
            contains: req.contains.clone(),
            region: req.region.clone(),
            capabilities: req.capabilities,
            limit: req.limit.clamp(1, MAX_SEARCH_LIMIT),
        };
        let found = carrier
            .search(&query)
            .await
            .map_err(|e| carrier_error(provider, e))?;
        let now = self.clock.now();
        let sightings: Vec<Sighting> = found
            .iter()
            .map(|n| Sighting {
                phone_number: n.phone_number.clone(),
                provider,
                capabilities: n.capabilities,
                seen_at: now,
            })
            .collect();
        let numbers: Vec<_> = found.iter().map(|n| n.phone_number.clone()).collect();
        // Held by another workspace's reservation: shown, but not purchasable here.
        let (_, held) = tokio::try_join!(
            self.store
                .record_sightings(&caller.workspace_id, &sightings, now),
            self.store
                .held_by_others(&caller.workspace_id, &numbers, now)
        )?;
        Ok(found
            .into_iter()
            .map(|n| AvailableNumber {
                blocked_by: quote.blocked_by.or_else(|| {
                    held.contains(&n.phone_number)
                        .then_some(crate::quote::Ineligible::Reserved)
                }),
                monthly_cost: quote.monthly_cost.or(n.carrier_monthly_cost),
                phone_number: n.phone_number,
                number_type: n.number_type,
                capabilities: n.capabilities,
                region: n.region,
                locality: n.locality,
                provider,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_checked_whole_with_the_field_of_each_refusal() {
        let q = |country: &str, area: &str, contains: &str| SearchQuery {
            country_iso: Some(country.into()),
            area_code: Some(area.into()),
            contains: Some(contains.into()),
            ..SearchQuery::default()
        };
        let ok = q("us", " 415 ", "STORE").parse().unwrap();
        assert_eq!(ok.country.as_str(), "US");
        assert_eq!(ok.number_type, NumberType::Local);
        assert_eq!(ok.area_code.as_deref(), Some("415"));
        assert_eq!(ok.contains.as_deref(), Some("78673"));
        assert_eq!(ok.limit, DEFAULT_SEARCH_LIMIT);
        assert_eq!(q("US", "", "").parse().unwrap().area_code, None);
        for (query, code, field) in [
            (q("", "", ""), "missing_field", "country_iso"),
            (q("XX", "", ""), "invalid_country", "country_iso"),
            (q("US", "41a", ""), "invalid_area_code", "area_code"),
            (q("US", "", "!!"), "invalid_contains", "contains"),
        ] {
            let e = query.parse().unwrap_err();
            assert_eq!((e.code, e.field), (code, Some(field)), "{query:?}");
        }
    }
}
