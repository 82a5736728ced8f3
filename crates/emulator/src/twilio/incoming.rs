//! `IncomingPhoneNumbers`: buying, listing, fetching, configuring and releasing numbers.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::wire::{IncomingNumber, IncomingNumbers, Page};
use super::{TwilioError, account_uri, decode, decode_body, page_size};
use crate::error::Error;
use crate::inventory::Pattern;
use crate::market::{facts, friendly_name, new_twilio_sid, normalize_e164};
use crate::state::EmulatorState;
use crate::store::{NumberChanges, OwnedNumber};

/// Settings Twilio lets a number carry, besides `FriendlyName` and `VoiceUrl`.
const SETTINGS: &[&str] = &[
    "AddressSid",
    "ApiVersion",
    "BundleSid",
    "EmergencyAddressSid",
    "EmergencyStatus",
    "IdentitySid",
    "SmsApplicationSid",
    "SmsFallbackMethod",
    "SmsFallbackUrl",
    "SmsMethod",
    "SmsUrl",
    "StatusCallback",
    "StatusCallbackMethod",
    "TrunkSid",
    "VoiceApplicationSid",
    "VoiceCallerIdLookup",
    "VoiceFallbackMethod",
    "VoiceFallbackUrl",
    "VoiceMethod",
    "VoiceReceiveMode",
];

/// A create or update form: which number, and what to set on it.
struct NumberForm {
    phone_number: Option<String>,
    area_code: Option<String>,
    changes: NumberChanges,
}

fn number_form(body: &Bytes) -> Result<NumberForm, Error> {
    let fields: Vec<(String, String)> = decode_body(body)?;
    let mut form = NumberForm {
        phone_number: None,
        area_code: None,
        changes: NumberChanges::default(),
    };
    for (name, value) in fields {
        match name.as_str() {
            "PhoneNumber" => form.phone_number = Some(value),
            "AreaCode" => form.area_code = Some(value),
            "FriendlyName" => form.changes.friendly_name = Some(value),
            "VoiceUrl" => form.changes.voice_url = Some(value),
            name if SETTINGS.contains(&name) => {
                let value = if name.ends_with("Method") {
                    let method = value.to_ascii_uppercase();
                    if method != "GET" && method != "POST" {
                        return Err(Error::BadRequest(format!("{name} must be GET or POST")));
                    }
                    method
                } else {
                    value
                };
                form.changes.settings.insert(snake_case(name), value);
            }
            // Twilio ignores what it does not know; so does the emulator.
            _ => {}
        }
    }
    Ok(form)
}

fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn render(state: &EmulatorState, number: &OwnedNumber) -> IncomingNumber {
    let mut number = number.clone();
    number
        .friendly_name
        .get_or_insert_with(|| friendly_name(&number.e164));
    let sid = number.sid.clone().unwrap_or_default();
    let facts = facts(state.inventory(), &number.e164);
    IncomingNumber::new(&number, &state.config().twilio.account_sid, &sid, &facts)
}

#[derive(Deserialize)]
pub(super) struct AccountPath {
    account_sid: String,
}

/// `POST …/IncomingPhoneNumbers.json`: buy a number, by `PhoneNumber` or by `AreaCode`.
#[tracing::instrument(skip_all)]
pub(super) async fn buy(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<(StatusCode, Json<IncomingNumber>), TwilioError> {
    let form = number_form(&body)?;
    let owner = state.config().twilio.owner();
    let bought = match (form.phone_number, form.area_code) {
        (Some(raw), _) => {
            let e164 = normalize_e164(&raw).ok_or(Error::InvalidNumber)?;
            state
                .buy(&e164, owner, Some(new_twilio_sid()), form.changes)
                .await?
        }
        (None, Some(area_code)) => {
            let sid = || Some(new_twilio_sid());
            state
                .buy_in_area_code(area_code.trim(), owner, sid, form.changes)
                .await?
        }
        (None, None) => {
            let message = "A 'PhoneNumber' or 'AreaCode' is required.".to_owned();
            return Err(Error::BadRequest(message).into());
        }
    };
    Ok((StatusCode::CREATED, Json(render(&state, &bought))))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct ListParams {
    phone_number: Option<String>,
    friendly_name: Option<String>,
    page_size: Option<String>,
    page: Option<String>,
    page_token: Option<String>,
}

/// `GET …/IncomingPhoneNumbers.json`: this account's numbers, oldest first.
#[tracing::instrument(skip_all)]
pub(super) async fn list(
    State(state): State<EmulatorState>,
    Path(path): Path<AccountPath>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Page<IncomingNumbers>>, TwilioError> {
    let params: ListParams = decode(raw.as_deref().unwrap_or(""))?;
    let size = page_size(params.page_size.as_deref())?;
    let page = match params.page.as_deref() {
        None | Some("") => 0,
        Some(p) => p
            .parse()
            .map_err(|_| Error::BadRequest(format!("Invalid Page {p}")))?,
    };
    // Our page tokens are `PA` and the offset of the page's first item.
    let offset = params
        .page_token
        .as_deref()
        .and_then(|t| t.strip_prefix("PA")?.parse().ok())
        .unwrap_or(page * size);

    // PhoneNumber matches partially, `*` standing for any digit, as Twilio documents.
    let number_filter = params
        .phone_number
        .as_deref()
        .map(|p| {
            p.chars()
                .filter(|c| c.is_ascii_digit() || *c == '*')
                .collect::<String>()
        })
        .filter(|p| !p.is_empty())
        .map(|p| Pattern::contains(&p))
        .transpose()
        .map_err(|e| Error::BadRequest(format!("Invalid PhoneNumber: {e}")))?;
    let owner = state.config().twilio.owner();
    let numbers: Vec<OwnedNumber> = state
        .store()
        .list(Some(&owner))
        .await?
        .into_iter()
        .filter(|n| {
            number_filter
                .as_ref()
                .is_none_or(|p| digits_contain(p, &n.e164))
        })
        .filter(|n| {
            params.friendly_name.as_deref().is_none_or(|wanted| {
                n.friendly_name
                    .clone()
                    .unwrap_or_else(|| friendly_name(&n.e164))
                    == wanted
            })
        })
        .collect();

    let items: Vec<IncomingNumber> = numbers
        .iter()
        .skip(offset)
        .take(size)
        .map(|n| render(&state, n))
        .collect();
    let base = format!(
        "{}/IncomingPhoneNumbers.json",
        account_uri(&path.account_sid)
    );
    let mut filters: Vec<(&str, String)> = Vec::new();
    if let Some(p) = params.phone_number.filter(|p| !p.is_empty()) {
        filters.push(("PhoneNumber", p));
    }
    if let Some(f) = params.friendly_name {
        filters.push(("FriendlyName", f));
    }
    let page_uri = |page: usize, token: Option<usize>| {
        let mut query = filters.clone();
        query.push(("PageSize", size.to_string()));
        query.push(("Page", page.to_string()));
        if let Some(offset) = token {
            query.push(("PageToken", format!("PA{offset}")));
        }
        format!(
            "{base}?{}",
            serde_urlencoded::to_string(&query).unwrap_or_default()
        )
    };
    let has_next = offset + size < numbers.len();
    Ok(Json(Page {
        start: offset,
        end: (offset + items.len()).saturating_sub(1).max(offset),
        page,
        page_size: size,
        uri: page_uri(page, None),
        first_page_uri: page_uri(0, None),
        next_page_uri: has_next.then(|| page_uri(page + 1, Some(offset + size))),
        previous_page_uri: (page > 0)
            .then(|| page_uri(page - 1, Some(offset.saturating_sub(size)))),
        items: IncomingNumbers {
            incoming_phone_numbers: items,
        },
    }))
}

fn digits_contain(pattern: &Pattern, e164: &str) -> bool {
    let digits: Vec<u8> = e164
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    // Match anywhere in the whole number, country code included, as Twilio's filter does.
    pattern.matches(&digits, 0)
}

#[derive(Deserialize)]
pub(super) struct NumberPath {
    file: String,
}

/// The number a `{Sid}.json` path names, if this account owns it.
async fn owned(state: &EmulatorState, file: &str, resource: &str) -> Result<OwnedNumber, Error> {
    let not_found = || Error::not_found(resource);
    let sid = file.strip_suffix(".json").ok_or_else(not_found)?;
    let number = state.store().get_by_sid(sid).await?.ok_or_else(not_found)?;
    if number.owner != state.config().twilio.owner() {
        return Err(not_found());
    }
    Ok(number)
}

/// `GET …/IncomingPhoneNumbers/{Sid}.json`
#[tracing::instrument(skip_all, fields(sid = %path.file))]
pub(super) async fn fetch(
    State(state): State<EmulatorState>,
    Path(path): Path<NumberPath>,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<IncomingNumber>, TwilioError> {
    let number = owned(&state, &path.file, uri.path()).await?;
    Ok(Json(render(&state, &number)))
}

/// `POST …/IncomingPhoneNumbers/{Sid}.json`: change the name, webhooks and other settings.
#[tracing::instrument(skip_all, fields(sid = %path.file))]
pub(super) async fn update(
    State(state): State<EmulatorState>,
    Path(path): Path<NumberPath>,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> Result<Json<IncomingNumber>, TwilioError> {
    let number = owned(&state, &path.file, uri.path()).await?;
    let form = number_form(&body)?;
    let owner = state.config().twilio.owner();
    let updated = state
        .store()
        .update(&number.e164, &owner, form.changes)
        .await?
        .ok_or_else(|| Error::not_found(uri.path()))?;
    Ok(Json(render(&state, &updated)))
}

/// `DELETE …/IncomingPhoneNumbers/{Sid}.json`: the number goes back on sale.
#[tracing::instrument(skip_all, fields(sid = %path.file))]
pub(super) async fn release(
    State(state): State<EmulatorState>,
    Path(path): Path<NumberPath>,
    OriginalUri(uri): OriginalUri,
) -> Result<StatusCode, TwilioError> {
    let number = owned(&state, &path.file, uri.path()).await?;
    let owner = state.config().twilio.owner();
    if !state.store().release(&number.e164, Some(&owner)).await? {
        return Err(Error::not_found(uri.path()).into());
    }
    tracing::info!(number = %number.e164, "number released");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_split_into_number_and_settings() {
        let body = Bytes::from_static(
            b"PhoneNumber=%2B14155552671&FriendlyName=Main&VoiceUrl=https%3A%2F%2Fx.test%2Fv&VoiceMethod=get&Unknown=1",
        );
        let form = number_form(&body).unwrap();
        assert_eq!(form.phone_number.as_deref(), Some("+14155552671"));
        assert_eq!(form.changes.friendly_name.as_deref(), Some("Main"));
        assert_eq!(form.changes.voice_url.as_deref(), Some("https://x.test/v"));
        assert_eq!(form.changes.settings["voice_method"], "GET");
        assert_eq!(form.changes.settings.len(), 1);
        assert!(number_form(&Bytes::from_static(b"SmsMethod=PUT")).is_err());
    }

    #[test]
    fn phone_number_filter_matches_partially() {
        let pattern = Pattern::contains("415*55").unwrap();
        assert!(digits_contain(&pattern, "+14155552671"));
        assert!(!digits_contain(&pattern, "+14165552671"));
    }
}
