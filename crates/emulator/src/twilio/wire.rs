//! Twilio's JSON shapes, field for field as `twilio-numbers.openapi.json` names them.

use std::fmt;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::inventory::{NumberType, Offer};
use crate::market::{Facts, FriendlyName};
use crate::store::OwnedNumber;

/// Capabilities as the live search API spells them: `SMS` and `MMS` in capitals.
#[derive(Serialize)]
pub(super) struct SearchCapabilities {
    voice: bool,
    #[serde(rename = "SMS")]
    sms: bool,
    #[serde(rename = "MMS")]
    mms: bool,
    fax: bool,
}

/// A number for sale, as the search lists it. It keeps its offer and serializes a borrowed
/// view of it: a page of 20 builds no strings but the JSON.
pub(super) struct AvailableNumber(Offer<'static>);

#[derive(Serialize)]
struct AvailableNumberView<'a> {
    friendly_name: AsText<FriendlyName<'a>>,
    phone_number: &'a str,
    lata: Option<&'a str>,
    locality: Option<&'static str>,
    rate_center: Option<AsText<AsciiUpper>>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    region: Option<&'static str>,
    postal_code: Option<&'a str>,
    iso_country: &'static str,
    address_requirements: &'static str,
    beta: bool,
    capabilities: SearchCapabilities,
}

impl AvailableNumber {
    pub(super) fn new(offer: Offer<'static>) -> Self {
        AvailableNumber(offer)
    }
}

impl Serialize for AvailableNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let offer = &self.0;
        let place = &offer.range.place;
        let caps = offer.range.capabilities;
        AvailableNumberView {
            friendly_name: AsText(FriendlyName(&offer.e164)),
            phone_number: &offer.e164,
            lata: None,
            locality: place.locality,
            // Twilio reports rate centres for North America only.
            rate_center: place
                .lat_lon
                .and(place.locality)
                .map(|l| AsText(AsciiUpper(l))),
            latitude: place.lat_lon.map(|p| p.0),
            longitude: place.lat_lon.map(|p| p.1),
            region: place.region,
            postal_code: None,
            iso_country: offer.country.iso,
            address_requirements: offer.country.address_requirement.as_str(),
            beta: false,
            capabilities: SearchCapabilities {
                voice: caps.voice,
                sms: caps.sms,
                mms: caps.mms,
                fax: caps.fax,
            },
        }
        .serialize(serializer)
    }
}

/// Serializes as the string its `Display` writes, straight into the output.
struct AsText<T>(T);

impl<T: fmt::Display> Serialize for AsText<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// Text in ASCII capitals, as Twilio writes rate centres.
struct AsciiUpper(&'static str);

impl fmt::Display for AsciiUpper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Place names are short: uppercase them on the stack and write them at once.
        let mut buffer = [0u8; 64];
        match buffer.get_mut(..self.0.len()) {
            Some(upper) => {
                upper.copy_from_slice(self.0.as_bytes());
                upper.make_ascii_uppercase();
                // Changing the case of ASCII letters keeps UTF-8 whole.
                f.write_str(std::str::from_utf8(upper).map_err(|_| fmt::Error)?)
            }
            None => f.write_str(&self.0.to_ascii_uppercase()),
        }
    }
}

/// A page of a list resource: the items under `key` plus Twilio's paging fields.
#[derive(Serialize)]
pub(super) struct Page<T> {
    #[serde(flatten)]
    pub(super) items: T,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) page: usize,
    pub(super) page_size: usize,
    pub(super) uri: String,
    pub(super) first_page_uri: String,
    pub(super) next_page_uri: Option<String>,
    pub(super) previous_page_uri: Option<String>,
}

#[derive(Serialize)]
pub(super) struct AvailableNumbers {
    pub(super) available_phone_numbers: Vec<AvailableNumber>,
}

#[derive(Serialize)]
pub(super) struct IncomingNumbers {
    pub(super) incoming_phone_numbers: Vec<IncomingNumber>,
}

#[derive(Serialize)]
pub(super) struct Capabilities {
    voice: bool,
    sms: bool,
    mms: bool,
    fax: bool,
}

/// An IncomingPhoneNumber resource.
#[derive(Serialize)]
pub(super) struct IncomingNumber {
    account_sid: String,
    address_sid: Option<String>,
    address_requirements: &'static str,
    api_version: String,
    beta: bool,
    capabilities: Capabilities,
    date_created: String,
    date_updated: String,
    emergency_status: String,
    emergency_address_sid: Option<String>,
    emergency_address_status: &'static str,
    friendly_name: Option<String>,
    identity_sid: Option<String>,
    phone_number: String,
    origin: &'static str,
    sid: String,
    sms_application_sid: Option<String>,
    sms_fallback_method: String,
    sms_fallback_url: Option<String>,
    sms_method: String,
    sms_url: Option<String>,
    status_callback: Option<String>,
    status_callback_method: String,
    trunk_sid: Option<String>,
    uri: String,
    voice_receive_mode: String,
    voice_application_sid: Option<String>,
    voice_caller_id_lookup: bool,
    voice_fallback_method: String,
    voice_fallback_url: Option<String>,
    voice_method: String,
    voice_url: Option<String>,
    bundle_sid: Option<String>,
    status: &'static str,
    #[serde(rename = "type")]
    number_type: &'static str,
}

impl IncomingNumber {
    pub(super) fn new(number: &OwnedNumber, account_sid: &str, sid: &str, facts: &Facts) -> Self {
        let setting = |name: &str| number.settings.get(name).cloned();
        let method = |name: &str| setting(name).unwrap_or_else(|| "POST".to_owned());
        let caps = facts.capabilities;
        IncomingNumber {
            account_sid: account_sid.to_owned(),
            address_sid: setting("address_sid"),
            address_requirements: facts.address_requirement.as_str(),
            api_version: setting("api_version").unwrap_or_else(|| "2010-04-01".to_owned()),
            beta: false,
            capabilities: Capabilities {
                voice: caps.voice,
                sms: caps.sms,
                mms: caps.mms,
                fax: caps.fax,
            },
            date_created: rfc2822(number.created_at),
            date_updated: rfc2822(number.updated_at),
            emergency_status: setting("emergency_status").unwrap_or_else(|| "Inactive".to_owned()),
            emergency_address_sid: setting("emergency_address_sid"),
            emergency_address_status: "unregistered",
            friendly_name: number.friendly_name.clone(),
            identity_sid: setting("identity_sid"),
            phone_number: number.e164.clone(),
            origin: "twilio",
            sid: sid.to_owned(),
            sms_application_sid: setting("sms_application_sid"),
            sms_fallback_method: method("sms_fallback_method"),
            sms_fallback_url: setting("sms_fallback_url"),
            sms_method: method("sms_method"),
            sms_url: setting("sms_url"),
            status_callback: setting("status_callback"),
            status_callback_method: method("status_callback_method"),
            trunk_sid: setting("trunk_sid"),
            uri: format!(
                "{}/IncomingPhoneNumbers/{sid}.json",
                super::account_uri(account_sid)
            ),
            voice_receive_mode: setting("voice_receive_mode").unwrap_or_else(|| "voice".to_owned()),
            voice_application_sid: setting("voice_application_sid"),
            voice_caller_id_lookup: setting("voice_caller_id_lookup")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            voice_fallback_method: method("voice_fallback_method"),
            voice_fallback_url: setting("voice_fallback_url"),
            voice_method: method("voice_method"),
            voice_url: number.voice_url.clone(),
            bundle_sid: setting("bundle_sid"),
            status: "in-use",
            number_type: match facts.number_type {
                NumberType::Local => "local",
                NumberType::Mobile => "mobile",
                NumberType::TollFree => "toll-free",
            },
        }
    }
}

/// Twilio's dates: RFC 2822 in UTC, `Thu, 30 Jul 2015 23:19:04 +0000`.
pub(super) fn rfc2822(at: Timestamp) -> String {
    at.to_zoned(TimeZone::UTC)
        .strftime("%a, %d %b %Y %H:%M:%S %z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_look_like_twilios() {
        let at: Timestamp = "2015-07-30T23:19:04Z".parse().unwrap();
        assert_eq!(rfc2822(at), "Thu, 30 Jul 2015 23:19:04 +0000");
        let early: Timestamp = "2020-09-04T01:02:03Z".parse().unwrap();
        assert_eq!(rfc2822(early), "Fri, 04 Sep 2020 01:02:03 +0000");
    }
}
