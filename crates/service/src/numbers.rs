//! Reading a workspace's numbers.

use crate::{Caller, ServiceError, ServiceResult, Services};
use dialnexa_domain::{BillingPeriod, NumberStatus, PhoneNumberId};
use dialnexa_store::{NumberFilter, Page, PhoneNumberRecord};
use jiff::Timestamp;

pub const MAX_PAGE_LIMIT: u32 = 100;
pub const DEFAULT_PAGE_LIMIT: u32 = 20;

/// Validate `page` and `limit` as given by a caller (`None` = default).
pub fn page(page: Option<i64>, limit: Option<i64>) -> ServiceResult<Page> {
    let page = page.unwrap_or(1);
    let limit = limit.unwrap_or(i64::from(DEFAULT_PAGE_LIMIT));
    if page < 1 || page > i64::from(u32::MAX) {
        return Err(ServiceError::bad_request(
            "invalid_page",
            "page must be a whole number of at least 1.",
        ));
    }
    if !(1..=i64::from(MAX_PAGE_LIMIT)).contains(&limit) {
        return Err(ServiceError::bad_request(
            "invalid_limit",
            format!("limit must be a whole number from 1 to {MAX_PAGE_LIMIT}."),
        ));
    }
    Ok(Page {
        page: page as u32,
        limit: limit as u32,
    })
}

impl Services {
    pub async fn get_number(&self, caller: &Caller, id: &str) -> ServiceResult<PhoneNumberRecord> {
        let not_found = || ServiceError::not_found("Phone number");
        let id = PhoneNumberId::parse(id).ok_or_else(not_found)?;
        self.store
            .get_number(&caller.workspace_id, &id)
            .await?
            .ok_or_else(not_found)
    }

    pub async fn list_numbers(
        &self,
        caller: &Caller,
        filter: &NumberFilter,
        page: Page,
    ) -> ServiceResult<(Vec<PhoneNumberRecord>, u64)> {
        Ok(self
            .store
            .list_numbers(&caller.workspace_id, filter, page)
            .await?)
    }

    /// The store's change token for the caller's numbers (see `Store::change_token`): `None`
    /// where answers must not be kept.
    pub async fn change_token(&self, caller: &Caller) -> ServiceResult<Option<u64>> {
        Ok(self.store.change_token(&caller.workspace_id).await?)
    }

    /// When the number's next rental period begins, for active carrier numbers.
    pub fn next_renewal(&self, record: &PhoneNumberRecord) -> Option<Timestamp> {
        if record.status != NumberStatus::Active || !record.provider.is_carrier() {
            return None;
        }
        let bought = record.activated_at?;
        BillingPeriod::next_renewal(bought, self.clock.now(), record.released_at)
    }
}
