//! Parsing request values into domain types, once, for every front-end: each refusal carries
//! the stable code and the field it is about, so the API and the dashboard say the same thing.

use crate::{ServiceError, ServiceResult};
use dialnexa_domain::{Capabilities, CountryIso, E164, NumberType, PhoneError, Provider};
use jiff::Timestamp;

/// A text value as sent, trimmed; `None` when absent or blank (an empty form field).
pub fn present(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A NUL character cannot be stored in PostgreSQL's text (SQLite would keep it and cut it off
/// in C strings), and no name, filter or credential needs one: refused wherever text comes in.
pub fn no_nul(field: &'static str, raw: &str) -> ServiceResult<()> {
    if raw.contains('\0') {
        return Err(ServiceError::bad_request(
            "invalid_characters",
            format!("{field} must not contain a NUL character (\\u0000)."),
        )
        .on(field));
    }
    Ok(())
}

/// `no_nul` over every text field of a request, named as the request names them.
pub fn no_nul_in(fields: &[(&'static str, &Option<String>)]) -> ServiceResult<()> {
    fields
        .iter()
        .filter_map(|(field, raw)| raw.as_deref().map(|r| (*field, r)))
        .try_for_each(|(field, raw)| no_nul(field, raw))
}

pub fn e164(field: &'static str, raw: Option<&str>) -> ServiceResult<E164> {
    let raw = raw.ok_or_else(|| {
        ServiceError::bad_request(
            "missing_field",
            format!("{field} is required, in E.164 format, e.g. +912234567890"),
        )
        .on(field)
    })?;
    E164::parse(raw.trim()).map_err(|e| {
        ServiceError::bad_request("invalid_phone_number", format!("{field}: {e}")).on(field)
    })
}

pub fn country(field: &'static str, raw: &str) -> ServiceResult<CountryIso> {
    CountryIso::parse(raw.trim()).map_err(|e| {
        ServiceError::bad_request("invalid_country", format!("{field}: {e}")).on(field)
    })
}

pub fn countries(field: &'static str, raw: &[String]) -> ServiceResult<Vec<CountryIso>> {
    raw.iter().map(|c| country(field, c)).collect()
}

pub fn number_type(field: &'static str, raw: &str) -> ServiceResult<NumberType> {
    raw.parse().map_err(|e: PhoneError| {
        ServiceError::bad_request("invalid_type", format!("{field}: {e}")).on(field)
    })
}

/// Accepts a provider's name (`twilio`, `plivo`, `telnyx`), the ids the pricing endpoint
/// answers (`tp_plivo`), and the spec's example shape (`plivo_123456`).
pub fn provider(field: &'static str, raw: &str) -> ServiceResult<Provider> {
    let raw = raw.trim();
    let id = raw.strip_prefix("tp_").unwrap_or(raw);
    let name = match id.split_once('_') {
        Some((head, _))
            if Provider::CARRIERS
                .iter()
                .any(|p| head.eq_ignore_ascii_case(p.as_str())) =>
        {
            head
        }
        _ => id,
    };
    name.parse()
        .map_err(|e: dialnexa_domain::provider::UnknownProvider| {
            ServiceError::bad_request("invalid_provider", format!("{field}: {e}")).on(field)
        })
}

pub fn capabilities(field: &'static str, raw: &str) -> ServiceResult<Capabilities> {
    Capabilities::parse_csv(raw).map_err(|e| {
        ServiceError::bad_request("invalid_capabilities", format!("{field}: {e}")).on(field)
    })
}

pub fn instant(field: &'static str, raw: &str) -> ServiceResult<Timestamp> {
    raw.parse::<Timestamp>().map_err(|_| {
        ServiceError::bad_request(
            "invalid_time",
            format!("{field} must be an RFC 3339 time such as 2027-01-01T00:00:00Z"),
        )
        .on(field)
    })
}

/// A whole number from a query string. A query string that is not one is malformed as a
/// whole (`invalid_query`), as a typed query would be; the range is checked by the caller.
pub fn whole_number(field: &'static str, raw: &str) -> ServiceResult<i64> {
    raw.trim().parse().map_err(|e: std::num::ParseIntError| {
        ServiceError::bad_request(
            "invalid_query",
            format!("Invalid query string: {field}: {e}"),
        )
        .on(field)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_their_field() {
        let e = country("country_iso", "XX").unwrap_err();
        assert_eq!((e.code, e.field), ("invalid_country", Some("country_iso")));
        assert!(e.message.starts_with("country_iso: "), "{}", e.message);
        assert_eq!(
            provider("provider", "plivo_123456").unwrap(),
            Provider::Plivo
        );
        assert_eq!(provider("provider", "tp_plivo").unwrap(), Provider::Plivo);
        assert_eq!(provider("provider", "tp_telnyx").unwrap(), Provider::Telnyx);
        assert_eq!(provider("provider", "telnyx_1").unwrap(), Provider::Telnyx);
        assert_eq!(
            provider("provider", "sip_trunk").unwrap(),
            Provider::SipTrunk
        );
        assert_eq!(
            provider("provider", "tp_nobody").unwrap_err().code,
            "invalid_provider"
        );
        assert_eq!(
            e164("phone_number", None).unwrap_err().code,
            "missing_field"
        );
        assert_eq!(
            whole_number("page", "abc").unwrap_err().code,
            "invalid_query"
        );
        assert_eq!(present(&Some("  ".into())), None);
        let e = no_nul_in(&[("name", &Some("ok".into())), ("q", &Some("a\0".into()))]);
        let e = e.unwrap_err();
        assert_eq!((e.code, e.field), ("invalid_characters", Some("q")));
        assert!(no_nul_in(&[("q", &None), ("name", &Some("fine".into()))]).is_ok());
        assert_eq!(present(&Some(" US ".into())), Some("US"));
    }
}
