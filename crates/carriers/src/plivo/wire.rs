//! Plivo's JSON shapes and query values, and how they map onto our types: kept apart from the
//! call sequence in `plivo.rs` so each reads on its own.

use crate::AvailableNumber;
use crate::OwnedNumber;
use dialnexa_domain::{Capabilities, Capability, E164, Money, NumberType};
use serde::Deserialize;

pub(super) fn plivo_type(number_type: NumberType) -> &'static str {
    match number_type {
        NumberType::Local => "local",
        NumberType::Mobile => "mobile",
        NumberType::TollFree => "tollfree",
    }
}

/// Plivo's `services` accepts only five combinations; ask for the smallest one that covers the
/// query and filter the rest locally.
pub(super) fn services(caps: Capabilities) -> Option<&'static str> {
    let (voice, sms, mms) = (
        caps.contains(Capability::Voice),
        caps.contains(Capability::Sms),
        caps.contains(Capability::Mms),
    );
    match (voice, sms, mms) {
        (false, false, false) => None,
        (true, false, false) => Some("voice"),
        (false, true, false) => Some("sms"),
        (false, false, true) => Some("mms"),
        (true, true, false) => Some("voice,sms"),
        _ => Some("voice,sms,mms"),
    }
}

/// Plivo numbers are E.164 without the `+`; `None` for one we cannot use, so one odd entry
/// does not hide the rest.
pub(super) fn parse_digits(digits: &str) -> Option<E164> {
    match E164::parse(&format!("+{}", digits.trim_start_matches('+'))) {
        Ok(number) => Some(number),
        Err(err) => {
            tracing::warn!(%err, "skipping a Plivo number that is not valid E.164");
            None
        }
    }
}

#[derive(Deserialize)]
pub(super) struct Page<T> {
    pub(super) meta: Meta,
    #[serde(default = "Vec::new")]
    pub(super) objects: Vec<T>,
}

#[derive(Deserialize)]
pub(super) struct Meta {
    #[serde(default)]
    pub(super) next: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct AvailableWire {
    pub(super) number: String,
    #[serde(default)]
    pub(super) voice_enabled: bool,
    #[serde(default)]
    pub(super) sms_enabled: bool,
    #[serde(default)]
    pub(super) mms_enabled: bool,
    #[serde(default)]
    pub(super) region: Option<String>,
    #[serde(default)]
    pub(super) city: Option<String>,
    #[serde(default)]
    pub(super) monthly_rental_rate: Option<String>,
}

impl AvailableWire {
    pub(super) fn into_available(self, number_type: NumberType) -> Option<AvailableNumber> {
        let capabilities = [
            (self.voice_enabled, Capability::Voice),
            (self.sms_enabled, Capability::Sms),
            (self.mms_enabled, Capability::Mms),
        ]
        .into_iter()
        .filter_map(|(on, capability)| on.then_some(capability))
        .collect();
        Some(AvailableNumber {
            phone_number: parse_digits(&self.number)?,
            number_type,
            capabilities,
            region: self.region.filter(|r| !r.is_empty()),
            locality: self.city.filter(|c| !c.is_empty()),
            carrier_monthly_cost: self
                .monthly_rental_rate
                .and_then(|r| r.trim().parse::<Money>().ok()),
        })
    }
}

#[derive(Deserialize)]
pub(super) struct OwnedWire {
    pub(super) number: String,
    #[serde(default)]
    pub(super) alias: Option<String>,
}

impl OwnedWire {
    pub(super) fn into_owned(self) -> Option<OwnedNumber> {
        let phone_number = parse_digits(&self.number)?;
        Some(OwnedNumber {
            carrier_ref: phone_number.digits().to_owned(),
            phone_number,
            friendly_name: self.alias,
        })
    }
}

#[derive(Deserialize)]
pub(super) struct BuyAnswer {
    #[serde(default)]
    pub(super) numbers: Vec<BoughtWire>,
}

#[derive(Deserialize)]
pub(super) struct BoughtWire {
    pub(super) number: String,
    pub(super) status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_cover_the_query_with_an_allowed_value() {
        let caps = |csv: &str| Capabilities::parse_csv(csv).unwrap();
        assert_eq!(services(caps("")), None);
        assert_eq!(services(caps("sms,voice")), Some("voice,sms"));
        assert_eq!(services(caps("sms,mms")), Some("voice,sms,mms"));
        assert_eq!(services(caps("mms")), Some("mms"));
    }
}
