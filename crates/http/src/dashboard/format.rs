//! How values read on a page: money with its currency, dates a person can scan, types and
//! statuses in words, a number's name and badges, and the reasons a number cannot be bought
//! with where to fix them.

use dialnexa_domain::{
    Capabilities, CountryIso, KycStatus, Money, NumberStatus, NumberType, Provider,
};
use dialnexa_service::PhoneNumber;
use dialnexa_service::quote::Ineligible;
use jiff::Timestamp;
use maud::{Markup, html};

pub fn money(m: Money) -> String {
    format!("${m}")
}

pub fn monthly(m: Money) -> String {
    format!("${m}/month")
}

/// "27 Nov 2026", in UTC like the API's times.
pub fn date(ts: Timestamp) -> String {
    ts.strftime("%-d %b %Y").to_string()
}

/// "27 Nov 2026, 07:00 UTC".
pub fn date_time(ts: Timestamp) -> String {
    ts.strftime("%-d %b %Y, %H:%M UTC").to_string()
}

pub fn number_type(t: NumberType) -> &'static str {
    match t {
        NumberType::Local => "Local",
        NumberType::Mobile => "Mobile",
        NumberType::TollFree => "Toll-free",
    }
}

pub fn capabilities(c: Capabilities) -> String {
    let words: Vec<&str> = c
        .iter()
        .map(|c| match c {
            dialnexa_domain::Capability::Voice => "Voice",
            dialnexa_domain::Capability::Sms => "SMS",
            dialnexa_domain::Capability::Mms => "MMS",
            dialnexa_domain::Capability::Fax => "Fax",
        })
        .collect();
    if words.is_empty() {
        "—".to_owned()
    } else {
        words.join(", ")
    }
}

pub fn status(s: NumberStatus) -> &'static str {
    match s {
        NumberStatus::Pending => "Pending",
        NumberStatus::Active => "Active",
        NumberStatus::Failed => "Failed",
        NumberStatus::Released => "Released",
    }
}

pub fn provider(p: Provider) -> &'static str {
    match p {
        Provider::Twilio => "Twilio",
        Provider::Plivo => "Plivo",
        Provider::Telnyx => "Telnyx",
        Provider::SipTrunk => "Own SIP trunk",
    }
}

pub fn kyc(s: KycStatus) -> &'static str {
    match s {
        KycStatus::NotStarted => "Not started",
        KycStatus::Pending => "In review",
        KycStatus::Approved => "Approved",
        KycStatus::Rejected => "Rejected",
    }
}

/// Why a search result cannot be bought here, and the settings section that fixes it.
pub fn blocked_reason(why: Ineligible) -> (&'static str, &'static str, &'static str) {
    match why {
        Ineligible::CountryNotEnabled => (
            "Country not enabled",
            "/dashboard/settings#telephony",
            "Enable the country",
        ),
        Ineligible::KycRequired(_) => ("KYC needed", "/dashboard/settings#kyc", "See KYC status"),
        Ineligible::Reserved => ("Reserved", "/dashboard/buy", "Search again"),
    }
}

/// What a person sees first for a number: its nickname, else the number itself.
pub fn display_name(n: &PhoneNumber) -> String {
    n.nickname
        .clone()
        .unwrap_or_else(|| n.phone_number.international())
}

pub fn status_badge(s: NumberStatus) -> Markup {
    html! { span class={ "badge status-" (s.as_str()) } { (status(s)) } }
}

/// "India".
pub fn country_name(c: CountryIso) -> String {
    dialnexa_service::catalog::country_name(c)
}

pub fn country_cell(c: CountryIso) -> Markup {
    html! {
        span.cc { (c.as_str()) }
        span.sr-only { " (" (country_name(c)) ")" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialnexa_domain::Capability;

    #[test]
    fn values_read_as_words() {
        assert_eq!(money(Money::from_micros(1_150_000)), "$1.15");
        assert_eq!(monthly(Money::from_micros(800_000)), "$0.80/month");
        let ts: Timestamp = "2026-11-07T07:05:00Z".parse().unwrap();
        assert_eq!(date(ts), "7 Nov 2026");
        assert_eq!(date_time(ts), "7 Nov 2026, 07:05 UTC");
        let caps = Capabilities::default()
            .with(Capability::Voice)
            .with(Capability::Sms);
        assert_eq!(capabilities(caps), "Voice, SMS");
        assert_eq!(capabilities(Capabilities::default()), "—");
        assert_eq!(number_type(NumberType::TollFree), "Toll-free");
        assert_eq!(
            blocked_reason(Ineligible::KycRequired(KycStatus::Pending)).1,
            "/dashboard/settings#kyc"
        );
    }
}
