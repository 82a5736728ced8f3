//! Reading a workspace's numbers: one number, and the list with its filters. The list's query
//! is parsed here, once, for the JSON API and the dashboard's table alike.

use crate::input::{self, present};
use crate::model::{Page, PhoneNumber};
use crate::{Caller, ServiceError, ServiceResult, Services};
use dialnexa_domain::{AgentId, CountryIso, NumberStatus, NumberType, PhoneNumberId, Provider};
use dialnexa_store::PhoneNumberRecord;
use serde::Deserialize;

/// The list's query as sent (`GET /v1/organization-phone-numbers?…`, or the dashboard's
/// filters, which use the shorter `country` and `agent`). Blank values are absent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NumberQuery {
    pub page: Option<String>,
    pub limit: Option<String>,
    /// `pending`, `active`, `failed` or `released`; absent: pending and active.
    pub status: Option<String>,
    #[serde(alias = "country")]
    pub country_code: Option<String>,
    #[serde(rename = "type")]
    pub number_type: Option<String>,
    pub provider: Option<String>,
    #[serde(alias = "agent")]
    pub agent_id: Option<String>,
    /// Matches the number, nickname or label.
    pub q: Option<String>,
}

/// Which of the workspace's numbers to list; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct NumberFilter {
    /// `None`: pending and active numbers (what a user owns or is buying).
    pub status: Option<NumberStatus>,
    pub country: Option<CountryIso>,
    pub number_type: Option<NumberType>,
    pub provider: Option<Provider>,
    pub agent_id: Option<AgentId>,
    pub q: Option<String>,
}

impl NumberFilter {
    pub fn is_empty(&self) -> bool {
        self == &NumberFilter::default()
    }
}

/// A parsed list request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NumberListing {
    pub filter: NumberFilter,
    pub page: Page,
}

impl NumberQuery {
    pub fn parse(&self) -> ServiceResult<NumberListing> {
        input::no_nul_in(&[
            ("page", &self.page),
            ("limit", &self.limit),
            ("status", &self.status),
            ("country_code", &self.country_code),
            ("type", &self.number_type),
            ("provider", &self.provider),
            ("agent_id", &self.agent_id),
            ("q", &self.q),
        ])?;
        let number = |field, raw: &Option<String>| {
            present(raw)
                .map(|r| input::whole_number(field, r))
                .transpose()
        };
        let page = Page::parse(number("page", &self.page)?, number("limit", &self.limit)?)?;
        let status = present(&self.status)
            .map(|s| {
                s.to_ascii_lowercase().parse::<NumberStatus>().map_err(|e| {
                    ServiceError::bad_request("invalid_status", e.to_string()).on("status")
                })
            })
            .transpose()?;
        let filter = NumberFilter {
            status,
            country: present(&self.country_code)
                .map(|c| input::country("country_code", c))
                .transpose()?,
            number_type: present(&self.number_type)
                .map(|t| input::number_type("type", t))
                .transpose()?,
            provider: present(&self.provider)
                .map(|p| input::provider("provider", p))
                .transpose()?,
            // An id that cannot be an agent's matches no number.
            agent_id: present(&self.agent_id).map(|a| AgentId::from_trusted(a.to_owned())),
            q: present(&self.q).map(str::to_owned),
        };
        Ok(NumberListing { filter, page })
    }

    /// The same query without `field`, for a front-end that shows what it can after a
    /// refusal: `None` when the query has no such field to drop.
    pub fn without(&self, field: &str) -> Option<NumberQuery> {
        let mut q = self.clone();
        let slot = match field {
            "page" => &mut q.page,
            "limit" => &mut q.limit,
            "status" => &mut q.status,
            "country_code" => &mut q.country_code,
            "type" => &mut q.number_type,
            "provider" => &mut q.provider,
            "agent_id" => &mut q.agent_id,
            "q" => &mut q.q,
            _ => return None,
        };
        slot.take().map(|_| q)
    }
}

impl From<&NumberFilter> for dialnexa_store::NumberFilter {
    fn from(f: &NumberFilter) -> Self {
        dialnexa_store::NumberFilter {
            status: f.status,
            country: f.country,
            number_type: f.number_type,
            provider: f.provider,
            agent_id: f.agent_id.clone(),
            q: f.q.clone(),
        }
    }
}

pub(crate) fn number_not_found() -> ServiceError {
    ServiceError::not_found("Phone number")
}

impl Services {
    /// One number, with its SIP trunk when it came in over one.
    pub async fn get_number(&self, caller: &Caller, id: &str) -> ServiceResult<PhoneNumber> {
        let record = self.number_record(caller, id).await?;
        self.with_trunk(record).await
    }

    #[tracing::instrument(skip_all, fields(workspace = %caller.workspace_id))]
    pub async fn list_numbers(
        &self,
        caller: &Caller,
        listing: &NumberListing,
    ) -> ServiceResult<(Vec<PhoneNumber>, u64)> {
        let (rows, total) = self
            .store
            .list_numbers(
                &caller.workspace_id,
                &(&listing.filter).into(),
                listing.page.into(),
            )
            .await?;
        let now = self.clock.now();
        Ok((
            rows.into_iter().map(|r| PhoneNumber::new(r, now)).collect(),
            total,
        ))
    }

    /// The store's change token for the caller's numbers (see `Store::change_token`): `None`
    /// where answers must not be kept. Read when the caller was authenticated, if it was then.
    pub async fn change_token(&self, caller: &Caller) -> ServiceResult<Option<u64>> {
        if let Some(token) = caller.token_at_auth {
            return Ok(Some(token));
        }
        Ok(self.store.change_token(&caller.workspace_id).await?)
    }

    pub(crate) async fn number_record(
        &self,
        caller: &Caller,
        id: &str,
    ) -> ServiceResult<PhoneNumberRecord> {
        let id = PhoneNumberId::parse(id).ok_or_else(number_not_found)?;
        self.store
            .get_number(&caller.workspace_id, &id)
            .await?
            .ok_or_else(number_not_found)
    }

    /// The record as the caller sees it now.
    pub(crate) fn present(&self, record: PhoneNumberRecord) -> PhoneNumber {
        PhoneNumber::new(record, self.clock.now())
    }

    /// The record with its SIP trunk (never the password), for a bring-your-own number.
    pub(crate) async fn with_trunk(&self, record: PhoneNumberRecord) -> ServiceResult<PhoneNumber> {
        let trunk = self.sip_trunk_of(&record).await?;
        let mut number = self.present(record);
        number.sip_trunk = trunk.map(Into::into);
        Ok(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `a=1&b=2` as a query; values here need no URL decoding.
    fn query(pairs: &str) -> NumberQuery {
        let map: serde_json::Map<String, serde_json::Value> = pairs
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.into()))
            .collect();
        serde_json::from_value(map.into()).unwrap()
    }

    #[test]
    fn blank_values_are_absent_and_case_does_not_matter() {
        let listing = query("status=Active&country=us&q= &page=").parse().unwrap();
        assert_eq!(listing.filter.status, Some(NumberStatus::Active));
        assert_eq!(listing.filter.country.unwrap().as_str(), "US");
        assert_eq!(listing.filter.q, None);
        assert_eq!(listing.page, Page { page: 1, limit: 20 });
    }

    #[test]
    fn refusals_name_their_field_and_can_be_dropped() {
        let q = query("status=gone&country_code=GB");
        let e = q.parse().unwrap_err();
        assert_eq!((e.code, e.field), ("invalid_status", Some("status")));
        let rest = q.without("status").unwrap().parse().unwrap();
        assert_eq!(rest.filter.country.unwrap().as_str(), "GB");
        assert!(q.without("nothing").is_none());
        for (pairs, code) in [
            ("page=0", "invalid_page"),
            ("page=abc", "invalid_query"),
            ("limit=101", "invalid_limit"),
            ("type=premium", "invalid_type"),
        ] {
            assert_eq!(query(pairs).parse().unwrap_err().code, code, "{pairs}");
        }
    }
}
