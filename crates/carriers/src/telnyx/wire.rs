//! Telnyx's JSON shapes and query values, and how they map onto our types: kept apart from
//! the call sequence in `telnyx.rs` so each reads on its own.

use crate::{AvailableNumber, OwnedNumber};
use dialnexa_domain::{Capabilities, Capability, E164, Money, NumberType};
use serde::Deserialize;

pub(super) fn telnyx_type(number_type: NumberType) -> &'static str {
    match number_type {
        NumberType::Local => "local",
        NumberType::Mobile => "mobile",
        NumberType::TollFree => "toll_free",
    }
}

/// `filter[features]`: the capabilities asked for, comma-separated.
pub(super) fn features(caps: Capabilities) -> Option<String> {
    let names: Vec<&str> = caps.iter().map(|c| c.as_str()).collect();
    (!names.is_empty()).then(|| names.join(","))
}

/// `{data: T}`, the envelope of every single-record answer.
#[derive(Deserialize)]
pub(super) struct Data<T> {
    pub(super) data: T,
}

#[derive(Deserialize)]
pub(super) struct AvailableWire {
    pub(super) phone_number: String,
    #[serde(default)]
    features: Vec<Feature>,
    #[serde(default)]
    region_information: Vec<RegionWire>,
    #[serde(default)]
    cost_information: Option<CostWire>,
}

#[derive(Deserialize)]
struct Feature {
    name: String,
}

#[derive(Deserialize)]
struct RegionWire {
    region_type: String,
    region_name: String,
}

#[derive(Deserialize)]
struct CostWire {
    monthly_cost: Option<String>,
    currency: Option<String>,
}

impl AvailableWire {
    /// `None` for an entry we cannot use: one odd entry must not hide the rest.
    pub(super) fn into_available(self, number_type: NumberType) -> Option<AvailableNumber> {
        let phone_number = match E164::parse(&self.phone_number) {
            Ok(number) => number,
            Err(err) => {
                tracing::warn!(%err, "skipping a Telnyx number that is not valid E.164");
                return None;
            }
        };
        let region = |kind: &str| {
            self.region_information
                .iter()
                .find(|r| r.region_type == kind && !r.region_name.is_empty())
                .map(|r| r.region_name.clone())
        };
        let capabilities = self
            .features
            .iter()
            .filter_map(|f| f.name.parse::<Capability>().ok())
            .collect();
        // A price in another currency is not one we can compare; leave it to our table.
        let carrier_monthly_cost = self
            .cost_information
            .as_ref()
            .filter(|c| c.currency.as_deref().is_none_or(|c| c == "USD"))
            .and_then(|c| c.monthly_cost.as_deref()?.trim().parse::<Money>().ok());
        Some(AvailableNumber {
            phone_number,
            number_type,
            capabilities,
            region: region("state"),
            locality: region("location"),
            carrier_monthly_cost,
        })
    }
}

/// A number order, as far as the adapter reads it.
#[derive(Deserialize)]
pub(super) struct OrderWire {
    pub(super) id: String,
    pub(super) status: String,
}

/// A number reservation.
#[derive(Deserialize)]
pub(super) struct ReservationWire {
    pub(super) id: String,
    #[serde(default)]
    pub(super) phone_numbers: Vec<HeldWire>,
}

#[derive(Deserialize)]
pub(super) struct HeldWire {
    pub(super) phone_number: String,
    pub(super) status: String,
    #[serde(default)]
    pub(super) errors: Option<String>,
    #[serde(default)]
    pub(super) expired_at: Option<String>,
}

/// A page of the account's numbers.
#[derive(Deserialize)]
pub(super) struct NumbersPage {
    #[serde(default)]
    pub(super) data: Vec<NumberWire>,
    #[serde(default)]
    pub(super) meta: Option<PageMeta>,
}

#[derive(Deserialize)]
pub(super) struct PageMeta {
    #[serde(default)]
    pub(super) page_number: Option<u64>,
    #[serde(default)]
    pub(super) total_pages: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct NumberWire {
    pub(super) id: String,
    pub(super) phone_number: String,
    #[serde(default)]
    pub(super) status: Option<String>,
    #[serde(default)]
    pub(super) customer_reference: Option<String>,
}

/// What an owned number's `status` means to us.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Held {
    /// Ours and in service (or waiting on paperwork, which is still ours).
    Yes,
    /// An order for it has not completed yet: neither ours nor given up.
    Pending,
    /// Not ours (failed, deleted, ported away).
    No,
}

impl NumberWire {
    pub(super) fn held(&self) -> Held {
        match self.status.as_deref().unwrap_or("active") {
            "purchase-pending" => Held::Pending,
            "purchase-failed" | "deleted" | "ported-out" | "port-failed" | "port-pending" => {
                Held::No
            }
            _ => Held::Yes,
        }
    }

    /// `None` for an entry we cannot use (not E.164, or an id that could change a URL path).
    pub(super) fn into_owned(self) -> Option<OwnedNumber> {
        match E164::parse(&self.phone_number) {
            Ok(phone_number) if is_id(&self.id) => Some(OwnedNumber {
                phone_number,
                carrier_ref: self.id,
                friendly_name: self.customer_reference,
            }),
            _ => {
                tracing::warn!(id = %self.id, "skipping an owned Telnyx number we cannot use");
                None
            }
        }
    }
}

/// Telnyx phone number ids are decimal strings.
pub(super) fn is_id(id: &str) -> bool {
    (1..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_and_ids() {
        assert_eq!(
            features(Capabilities::parse_csv("sms,voice").unwrap()).as_deref(),
            Some("voice,sms")
        );
        assert_eq!(features(Capabilities::default()), None);
        assert!(is_id("1293384261075731499"));
        for bad in ["", "12a", "../1", "123456789012345678901"] {
            assert!(!is_id(bad), "{bad}");
        }
    }
}
