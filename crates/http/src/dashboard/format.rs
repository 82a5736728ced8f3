//! How values read on a page: money with its currency, dates a person can scan, types and
//! statuses in words, and the reasons a number cannot be bought with where to fix them.

use dialnexa_domain::{Capabilities, KycStatus, Money, NumberStatus, NumberType, Provider};
use jiff::Timestamp;

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
pub fn blocked_reason(code: &str) -> (&'static str, &'static str, &'static str) {
    match code {
        "country_not_enabled" => (
            "Country not enabled",
            "/dashboard/settings#telephony",
            "Enable the country",
        ),
        "kyc_required" => ("KYC needed", "/dashboard/settings#kyc", "See KYC status"),
        _ => (
            "Not available to this workspace",
            "/dashboard/settings",
            "Workspace settings",
        ),
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
        assert_eq!(blocked_reason("kyc_required").1, "/dashboard/settings#kyc");
    }
}
