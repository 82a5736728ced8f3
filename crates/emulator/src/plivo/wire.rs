//! Plivo's JSON shapes, field for field as `plivo-numbers.openapi.json` names them.

use jiff::ToSpan;
use jiff::tz::TimeZone;
use serde::Serialize;

use super::account_uri;
use crate::inventory::{AddressRequirement, Capabilities, NumberType, Offer};
use crate::market::{Facts, money};
use crate::store::OwnedNumber;

/// Per-use rates, in USD micros; the emulator bills nothing, but clients show them.
const VOICE_RATE: u64 = 8_500;
const SMS_RATE: u64 = 8_000;
const MMS_RATE: u64 = 20_000;

fn rate(enabled: bool, micros: u64) -> String {
    money(if enabled { micros } else { 0 }, 5)
}

/// Plivo's name for a number type, as `number_type`, `type` and `sub_type` use it.
pub(super) fn type_name(number_type: NumberType) -> &'static str {
    match number_type {
        NumberType::Local => "local",
        NumberType::Mobile => "mobile",
        NumberType::TollFree => "tollfree",
    }
}

/// A list's filters, as its `next` and `previous` links repeat them.
pub(super) type Filters = Vec<(&'static str, String)>;

/// The page bookkeeping every Plivo list carries.
#[derive(Serialize)]
pub(super) struct ListMeta {
    pub(super) limit: usize,
    pub(super) offset: usize,
    pub(super) total_count: u64,
    pub(super) next: Option<String>,
    pub(super) previous: Option<String>,
}

impl ListMeta {
    /// `base` is the list's path; `query` the filters to repeat in the next/previous links.
    pub(super) fn new(
        base: &str,
        query: &[(&str, String)],
        limit: usize,
        offset: usize,
        total: u64,
    ) -> Self {
        let link = |offset: usize| {
            let mut pairs = query.to_vec();
            pairs.push(("limit", limit.to_string()));
            pairs.push(("offset", offset.to_string()));
            format!(
                "{base}?{}",
                serde_urlencoded::to_string(&pairs).unwrap_or_default()
            )
        };
        let has_next = ((offset + limit) as u64) < total;
        ListMeta {
            limit,
            offset,
            total_count: total,
            next: has_next.then(|| link(offset + limit)),
            previous: (offset > 0).then(|| link(offset.saturating_sub(limit))),
        }
    }
}

#[derive(Serialize)]
pub(super) struct List<T> {
    pub(super) api_id: String,
    pub(super) meta: ListMeta,
    pub(super) objects: Vec<T>,
}

/// A number for sale, as the search lists it.
#[derive(Serialize)]
pub(super) struct SearchedNumber {
    number: String,
    prefix: &'static str,
    city: Option<String>,
    country: String,
    region: Option<&'static str>,
    rate_center: Option<String>,
    lata: Option<u32>,
    #[serde(rename = "type")]
    kind: &'static str,
    sub_type: &'static str,
    setup_rate: String,
    monthly_rental_rate: String,
    sms_enabled: bool,
    sms_rate: String,
    mms_enabled: bool,
    mms_rate: String,
    voice_enabled: bool,
    voice_rate: String,
    restriction: Option<&'static str>,
    restriction_text: Option<&'static str>,
    resource_uri: String,
}

impl SearchedNumber {
    pub(super) fn new(offer: &Offer<'_>, auth_id: &str) -> Self {
        let number = offer.e164[1..].to_owned();
        let place = &offer.range.place;
        let caps = offer.range.capabilities;
        let number_type = offer.range.number_type;
        let (restriction, restriction_text) = restriction(offer.country.address_requirement);
        SearchedNumber {
            resource_uri: format!("{}/PhoneNumber/{number}/", account_uri(auth_id)),
            number,
            prefix: offer.range.prefix,
            city: place.locality.map(str::to_uppercase),
            country: offer.country.name.to_uppercase(),
            region: place.region_name,
            rate_center: place.lat_lon.and(place.locality).map(str::to_uppercase),
            lata: None,
            // Plivo files local numbers as "fixed" with a "local" sub-type.
            kind: if number_type == NumberType::Local {
                "fixed"
            } else {
                type_name(number_type)
            },
            sub_type: type_name(number_type),
            setup_rate: money(0, 5),
            monthly_rental_rate: money(offer.country.monthly_micros(number_type), 5),
            sms_enabled: caps.sms,
            sms_rate: rate(caps.sms, SMS_RATE),
            mms_enabled: caps.mms,
            mms_rate: rate(caps.mms, MMS_RATE),
            voice_enabled: caps.voice,
            voice_rate: rate(caps.voice, VOICE_RATE),
            restriction,
            restriction_text,
        }
    }
}

fn restriction(requirement: AddressRequirement) -> (Option<&'static str>, Option<&'static str>) {
    match requirement {
        AddressRequirement::None => (None, None),
        AddressRequirement::Any => (
            Some("country-address"),
            Some("This number requires a proof of address in the country."),
        ),
        AddressRequirement::Local => (
            Some("city-address"),
            Some("This number requires a proof of address in the number's city or region."),
        ),
    }
}

/// A number the account rents.
#[derive(Serialize)]
pub(super) struct AccountNumber {
    #[serde(skip_serializing_if = "Option::is_none")]
    api_id: Option<String>,
    number: String,
    alias: Option<String>,
    sub_account: Option<String>,
    added_on: String,
    renewal_date: String,
    application: Option<String>,
    carrier: &'static str,
    region: String,
    number_type: &'static str,
    monthly_rental_rate: String,
    sms_enabled: bool,
    sms_rate: String,
    mms_enabled: bool,
    mms_rate: String,
    voice_enabled: bool,
    voice_rate: String,
    cnam_lookup: String,
    tendlc_campaign_id: Option<String>,
    tendlc_registration_status: Option<String>,
    toll_free_sms_verification: Option<String>,
    resource_uri: String,
}

impl AccountNumber {
    /// `api_id` is set for a single-number GET only, as Plivo does.
    pub(super) fn new(
        number: &OwnedNumber,
        facts: &Facts,
        auth_id: &str,
        api_id: Option<String>,
    ) -> Self {
        let digits = number.e164[1..].to_owned();
        let added_on = number.created_at.to_zoned(TimeZone::UTC).date();
        let renewal = added_on.checked_add(1.month()).unwrap_or(added_on);
        let Capabilities {
            voice, sms, mms, ..
        } = facts.capabilities;
        let country = facts
            .country
            .map(|c| c.name.to_uppercase())
            .unwrap_or_default();
        let region = match facts.place.region_name {
            Some(region) => format!("{region}, {country}"),
            None => country,
        };
        AccountNumber {
            api_id,
            resource_uri: format!("{}/Number/{digits}/", account_uri(auth_id)),
            application: number
                .app_id
                .as_ref()
                .map(|app| format!("{}/Application/{app}/", account_uri(auth_id))),
            number: digits,
            alias: number.friendly_name.clone(),
            sub_account: None,
            added_on: added_on.to_string(),
            renewal_date: renewal.to_string(),
            carrier: "Plivo",
            region,
            number_type: type_name(facts.number_type),
            monthly_rental_rate: money(facts.monthly_micros, 5),
            sms_enabled: sms,
            sms_rate: rate(sms, SMS_RATE),
            mms_enabled: mms,
            mms_rate: rate(mms, MMS_RATE),
            voice_enabled: voice,
            voice_rate: rate(voice, VOICE_RATE),
            cnam_lookup: number
                .settings
                .get("cnam_lookup")
                .cloned()
                .unwrap_or_else(|| "disabled".into()),
            tendlc_campaign_id: None,
            tendlc_registration_status: None,
            toll_free_sms_verification: None,
        }
    }
}
