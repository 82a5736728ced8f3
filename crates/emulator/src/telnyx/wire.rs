//! Telnyx's JSON shapes, field for field as the Telnyx contract names them, built from the
//! emulator's stock and ownership records.

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::inventory::{Capabilities, NumberType, Offer};
use crate::market::{Facts, money};
use crate::store::OwnedNumber;

/// Settings a Telnyx number keeps in the owned row's `settings`.
pub(super) const STATUS: &str = "status";
pub(super) const ORDER_ID: &str = "order_id";
pub(super) const TAGS: &str = "tags";
/// Plain string settings shown as they were set.
pub(super) const TEXT_SETTINGS: [&str; 3] = ["connection_id", "billing_group_id", "external_pin"];
pub(super) const HD_VOICE: &str = "hd_voice_enabled";

/// Telnyx's times: RFC 3339 with milliseconds.
pub(super) fn time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub(super) fn type_name(number_type: NumberType) -> &'static str {
    match number_type {
        NumberType::Local => "local",
        NumberType::Mobile => "mobile",
        NumberType::TollFree => "toll_free",
    }
}

pub(super) fn features(caps: Capabilities) -> Vec<Value> {
    [
        (caps.voice, "voice"),
        (caps.sms, "sms"),
        (caps.mms, "mms"),
        (caps.fax, "fax"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| json!({ "name": name }))
    .collect()
}

/// A number for sale, as the search lists it.
pub(super) fn available(offer: &Offer<'_>) -> Value {
    let place = &offer.range.place;
    let mut regions =
        vec![json!({ "region_type": "country_code", "region_name": offer.country.iso })];
    if let Some(region) = place.region {
        regions.push(json!({ "region_type": "state", "region_name": region }));
    }
    if let Some(locality) = place.locality {
        regions.push(json!({ "region_type": "location", "region_name": locality }));
    }
    let monthly = offer.country.monthly_micros(offer.range.number_type);
    json!({
        "record_type": "available_phone_number",
        "phone_number": offer.e164,
        "vanity_format": null,
        "best_effort": false,
        "quickship": true,
        "reservable": true,
        "region_information": regions,
        "cost_information": {
            "upfront_cost": money(monthly, 2),
            "monthly_cost": money(monthly, 2),
            "currency": "USD",
        },
        "features": features(offer.range.capabilities),
    })
}

/// A number the account owns; `status` overrides the stored one (`deleted` on release).
pub(super) fn phone_number(number: &OwnedNumber, facts: &Facts, status: Option<&str>) -> Value {
    let setting = |name: &str| number.settings.get(name).cloned();
    let tags: Value = setting(TAGS)
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| json!([]));
    let status = status
        .map(str::to_owned)
        .or_else(|| setting(STATUS))
        .unwrap_or_else(|| "active".to_owned());
    let mut record = json!({
        "id": number.sid.clone().unwrap_or_default(),
        "record_type": "phone_number",
        "phone_number": number.e164,
        "country_iso_alpha2": facts.country.map(|c| c.iso).unwrap_or("US"),
        "status": status,
        "tags": tags,
        "customer_reference": number.friendly_name,
        "connection_name": null,
        "messaging_profile_id": null,
        "messaging_profile_name": null,
        "emergency_enabled": false,
        "emergency_address_id": null,
        "call_forwarding_enabled": true,
        "cnam_listing_enabled": false,
        "caller_id_name_enabled": false,
        "call_recording_enabled": false,
        "t38_fax_gateway_enabled": false,
        "hd_voice_enabled": setting(HD_VOICE).as_deref() == Some("true"),
        "deletion_lock_enabled": false,
        "phone_number_type": type_name(facts.number_type),
        "source_type": "number_order",
        "purchased_at": time(number.created_at),
        "created_at": time(number.created_at),
        "updated_at": time(number.updated_at),
    });
    for name in TEXT_SETTINGS {
        record[name] = setting(name).map_or(Value::Null, Value::String);
    }
    record
}
