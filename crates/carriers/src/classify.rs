//! The one place that turns a failed carrier call into a `CarrierError`, so the purchase saga's
//! three-way choice (refused / retry / outcome unknown) follows a single table for every carrier.

use crate::CarrierError;
use dialnexa_domain::Provider;
use reqwest::StatusCode;
use serde_json::Value;
use std::error::Error as _;

/// Which adapter operation failed: the same symptom means different things for a read and a
/// purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Search,
    Buy,
    FetchOwned,
    ListOwned,
    Update,
    Release,
    Reserve,
    Ping,
}

impl Op {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Op::Search => "search",
            Op::Buy => "buy",
            Op::FetchOwned => "fetch_owned",
            Op::ListOwned => "list_owned",
            Op::Update => "update",
            Op::Release => "release",
            Op::Reserve => "reserve",
            Op::Ping => "ping",
        }
    }

    /// Whether the call changes state at the carrier. Once such a request has left us, a lost
    /// answer means we cannot tell whether it took effect.
    pub(crate) fn mutates(self) -> bool {
        matches!(self, Op::Buy | Op::Update | Op::Release | Op::Reserve)
    }
}

/// Longest carrier text we copy into an error; bodies can be whole HTML error pages.
const MAX_MESSAGE: usize = 300;

/// A failure below HTTP: nothing, or no complete answer, came back.
pub(crate) fn transport(op: Op, err: &reqwest::Error) -> CarrierError {
    let detail = format!("{}: {}", op.name(), chain(err));
    if err.is_connect() {
        // Refused, DNS failure, TLS handshake or connect timeout: the request never left us,
        // whatever the operation, so retrying cannot apply it twice.
        CarrierError::Transient(detail)
    } else if op.mutates() {
        // Timeout, reset or a truncated body after the request was written: the carrier may
        // have acted on it.
        CarrierError::UnknownOutcome(detail)
    } else {
        CarrierError::Transient(detail)
    }
}

/// A 2xx whose body we could not read as the documented shape.
pub(crate) fn unreadable(op: Op, err: &serde_json::Error) -> CarrierError {
    let detail = format!("{}: unexpected answer from the carrier: {err}", op.name());
    if op.mutates() {
        // The carrier said yes but we cannot tell to what (e.g. no sid): reconcile later.
        CarrierError::UnknownOutcome(detail)
    } else {
        CarrierError::Transient(detail)
    }
}

/// A non-2xx answer, classified from the status and the carrier's error body.
pub(crate) fn http(provider: Provider, op: Op, status: StatusCode, body: &[u8]) -> CarrierError {
    let fault = Fault::parse(provider, status, body);
    match status.as_u16() {
        401 | 403 => CarrierError::Unauthorized,
        // Both carriers document 429 as "not processed, back off and retry".
        429 => CarrierError::Transient(format!("{}: rate limited: {}", op.name(), fault.message)),
        500..=599 => {
            let detail = format!("{}: carrier error {}: {}", op.name(), status, fault.message);
            // A write the carrier failed to answer may still have been committed before the
            // failure (Twilio and Plivo both buy synchronously).
            if op.mutates() {
                CarrierError::UnknownOutcome(detail)
            } else {
                CarrierError::Transient(detail)
            }
        }
        code => refusal(provider, op, code, fault),
    }
}

/// 4xx (and unexpected 1xx/3xx) answers: the carrier decided, a retry will not change it.
fn refusal(provider: Provider, op: Op, status: u16, fault: Fault) -> CarrierError {
    match provider {
        Provider::Twilio => match (op, status, fault.code) {
            // 21422 "PhoneNumber is not available": taken by someone else or never offered.
            (Op::Buy, _, Some(21422)) => CarrierError::NotAvailable,
            (_, 404, _) | (_, _, Some(20404)) => CarrierError::NotFound,
            _ => CarrierError::Rejected(fault.message),
        },
        Provider::Plivo => match (op, status) {
            // Plivo has no "number taken" code; buying one has been seen to answer 404
            // `{"error":"not found"}` (plivo-ruby #8).
            (Op::Buy, 404) => CarrierError::NotAvailable,
            (Op::Buy, 400) if says_not_available(&fault.message) => CarrierError::NotAvailable,
            (_, 404) => CarrierError::NotFound,
            _ => CarrierError::Rejected(fault.message),
        },
        Provider::Telnyx => match (op, status) {
            // Telnyx has no "number taken" code either: an order of a number it will not sell
            // is refused as an invalid value, saying so in the detail.
            (Op::Buy, 400 | 422) if says_not_available(&fault.message) => {
                CarrierError::NotAvailable
            }
            (_, 404) => CarrierError::NotFound,
            _ => CarrierError::Rejected(fault.message),
        },
        Provider::SipTrunk => CarrierError::Rejected(fault.message),
    }
}

fn says_not_available(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    ["not available", "no longer available", "unavailable"]
        .iter()
        .any(|p| lower.contains(p))
}

/// What an error body says, in the carrier's own terms.
struct Fault {
    /// Twilio's numeric `code` (21422, 20404, …); Plivo has none.
    code: Option<i64>,
    message: String,
}

impl Fault {
    fn parse(provider: Provider, status: StatusCode, body: &[u8]) -> Fault {
        let json: Option<Value> = serde_json::from_slice(body).ok();
        let code = json
            .as_ref()
            .and_then(|j| j.get("code"))
            .and_then(Value::as_i64);
        // Twilio says `message`, Plivo says `error` (a string, sometimes an object of field
        // errors); `detail`/`title` catch problem+json answers from proxies and mocks.
        let keys: &[&str] = match provider {
            Provider::Plivo => &["error", "message", "detail", "title"],
            _ => &["message", "error", "detail", "title"],
        };
        // Telnyx says `{errors: [{code, title, detail}]}`: the first error's detail or title.
        let first_error = json
            .as_ref()
            .and_then(|j| j.pointer("/errors/0"))
            .and_then(|e| {
                ["detail", "title"]
                    .iter()
                    .find_map(|k| e.get(*k)?.as_str().filter(|s| !s.trim().is_empty()))
            })
            .map(|s| s.trim().to_owned());
        let from_json = first_error.or_else(|| {
            json.as_ref().and_then(|j| {
                keys.iter().find_map(|k| match j.get(*k)? {
                    Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                    Value::Null => None,
                    Value::String(_) => None,
                    other => Some(other.to_string()),
                })
            })
        });
        let message = from_json
            .or_else(|| {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                (!text.is_empty() && json.is_none()).then(|| text.to_owned())
            })
            .map(|m| match (provider, code) {
                (Provider::Twilio, Some(c)) => format!("{m} (Twilio error {c})"),
                _ => m,
            })
            .unwrap_or_else(|| format!("HTTP {status}"));
        Fault {
            code,
            message: truncate(message),
        }
    }
}

fn truncate(mut s: String) -> String {
    if s.len() > MAX_MESSAGE {
        let mut cut = MAX_MESSAGE;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// `reqwest::Error`'s Display hides the cause ("connection refused" lives in `source()`), and
/// its URL would repeat the account id in every message; keep the causes, drop the URL.
fn chain(err: &reqwest::Error) -> String {
    let mut out = err.to_string();
    if let Some(url) = err.url() {
        out = out.replace(&format!(" for url ({url})"), "");
    }
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use CarrierError::*;

    fn twilio(op: Op, status: u16, body: &str) -> CarrierError {
        http(
            Provider::Twilio,
            op,
            StatusCode::from_u16(status).unwrap(),
            body.as_bytes(),
        )
    }

    fn telnyx(op: Op, status: u16, body: &str) -> CarrierError {
        http(
            Provider::Telnyx,
            op,
            StatusCode::from_u16(status).unwrap(),
            body.as_bytes(),
        )
    }

    #[test]
    fn telnyx_errors() {
        let taken = r#"{"errors":[{"code":"10015","title":"Invalid value","detail":"The phone number is not available."}]}"#;
        assert_eq!(telnyx(Op::Buy, 422, taken), NotAvailable);
        let other = r#"{"errors":[{"code":"10015","title":"Invalid value","detail":"connection_id is unknown"}]}"#;
        assert_eq!(
            telnyx(Op::Buy, 422, other),
            Rejected("connection_id is unknown".into())
        );
        assert_eq!(
            telnyx(
                Op::Release,
                404,
                r#"{"errors":[{"code":"10005","title":"Resource not found"}]}"#
            ),
            NotFound
        );
        assert_eq!(telnyx(Op::Search, 401, "{}"), Unauthorized);
        assert!(matches!(telnyx(Op::Reserve, 503, ""), UnknownOutcome(_)));
    }

    fn plivo(op: Op, status: u16, body: &str) -> CarrierError {
        http(
            Provider::Plivo,
            op,
            StatusCode::from_u16(status).unwrap(),
            body.as_bytes(),
        )
    }

    #[test]
    fn statuses_shared_by_every_carrier() {
        assert_eq!(twilio(Op::Search, 401, "{}"), Unauthorized);
        assert_eq!(plivo(Op::Buy, 403, "{}"), Unauthorized);
        assert!(matches!(twilio(Op::Buy, 429, "{}"), Transient(_)));
        assert!(matches!(twilio(Op::Buy, 500, ""), UnknownOutcome(_)));
        assert!(matches!(plivo(Op::Release, 503, ""), UnknownOutcome(_)));
        assert!(matches!(twilio(Op::Search, 502, ""), Transient(_)));
        assert!(matches!(plivo(Op::ListOwned, 500, ""), Transient(_)));
    }

    #[test]
    fn twilio_codes() {
        let taken = r#"{"code":21422,"message":"PhoneNumber is not available","status":400}"#;
        assert_eq!(twilio(Op::Buy, 400, taken), NotAvailable);
        let missing = r#"{"code":20404,"message":"The requested resource was not found"}"#;
        assert_eq!(twilio(Op::Release, 404, missing), NotFound);
        let invalid = r#"{"code":21421,"message":"PhoneNumber is invalid","status":400}"#;
        assert_eq!(
            twilio(Op::Buy, 400, invalid),
            Rejected("PhoneNumber is invalid (Twilio error 21421)".into())
        );
    }

    #[test]
    fn plivo_buy_refusals() {
        assert_eq!(
            plivo(Op::Buy, 404, r#"{"error":"not found"}"#),
            NotAvailable
        );
        assert_eq!(
            plivo(Op::Buy, 400, r#"{"error":"Number is not available"}"#),
            NotAvailable
        );
        assert_eq!(
            plivo(Op::Buy, 400, r#"{"error":"bad app_id"}"#),
            Rejected("bad app_id".into())
        );
        assert_eq!(
            plivo(Op::FetchOwned, 404, r#"{"error":"not found"}"#),
            NotFound
        );
        assert_eq!(
            plivo(
                Op::Update,
                400,
                r#"{"api_id":"x","error":{"alias":["too long"]}}"#
            ),
            Rejected(r#"{"alias":["too long"]}"#.into())
        );
    }

    #[test]
    fn bodies_that_are_not_the_carrier_shape_still_give_a_message() {
        assert_eq!(
            twilio(Op::Update, 400, ""),
            Rejected("HTTP 400 Bad Request".into())
        );
        assert_eq!(plivo(Op::Update, 405, "nope"), Rejected("nope".into()));
        let long = "x".repeat(1000);
        let Rejected(msg) = plivo(Op::Update, 400, &long) else {
            panic!()
        };
        assert!(msg.len() < 400);
    }
}
