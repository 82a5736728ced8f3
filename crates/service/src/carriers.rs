//! The carrier accounts this deployment buys from, and what their failures mean to a caller.

use crate::{ErrorKind, ServiceError, ServiceResult};
use dialnexa_carriers::{Carrier, CarrierError, OwnedNumber};
use dialnexa_domain::Provider;
use dialnexa_store::PhoneNumberRecord;
use std::collections::HashMap;
use std::sync::Arc;

/// The carrier accounts this deployment can buy from.
#[derive(Clone, Default)]
pub struct Carriers(HashMap<Provider, Arc<dyn Carrier>>);

impl Carriers {
    pub fn new() -> Self {
        Carriers(HashMap::new())
    }

    /// Adds an account; its calls are counted and traced from here on.
    pub fn with(mut self, carrier: Arc<dyn Carrier>) -> Self {
        self.0.insert(
            carrier.provider(),
            crate::carrier_calls::Observed::wrap(carrier),
        );
        self
    }

    pub fn get(&self, provider: Provider) -> ServiceResult<&Arc<dyn Carrier>> {
        self.0.get(&provider).ok_or_else(|| {
            ServiceError::bad_request(
                "provider_not_configured",
                format!("The provider `{provider}` is not configured on this deployment."),
            )
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Carrier>> {
        self.0.values()
    }
}

/// Carrier failures outside the sagas: nothing was changed, so they are all retryable or
/// operator problems.
pub(crate) fn carrier_error(provider: Provider, e: CarrierError) -> ServiceError {
    match e {
        CarrierError::Rejected(reason) => ServiceError::bad_request(
            "carrier_rejected",
            format!("{provider} rejected the request: {reason}"),
        ),
        CarrierError::Unauthorized => ServiceError::new(
            ErrorKind::BadGateway,
            "carrier_auth_failed",
            format!(
                "{provider} refused this deployment's credentials; an operator must fix the carrier configuration."
            ),
        ),
        other => ServiceError::new(
            ErrorKind::Unavailable,
            "carrier_unavailable",
            format!("{provider} is not answering right now; retry in a few seconds."),
        )
        .with_internal(other.to_string()),
    }
}

/// The carrier's view of one of our rows, for calls about a number we hold.
pub(crate) fn owned_number(record: &PhoneNumberRecord) -> OwnedNumber {
    OwnedNumber {
        phone_number: record.phone_number.clone(),
        carrier_ref: record.carrier_ref.clone().unwrap_or_default(),
        friendly_name: None,
    }
}
