//! `AvailablePhoneNumbers`: the countries Twilio sells in and the search inside one of them.

use axum::Json;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::wire::{AvailableNumber, AvailableNumbers, Page};
use super::{TwilioError, account_uri, decode, flag, page_size};
use crate::error::Error;
use crate::inventory::{AddressRequirement, NumberType, Pattern, Query};
use crate::state::EmulatorState;

#[derive(Deserialize)]
pub(super) struct AccountPath {
    account_sid: String,
}

/// `GET …/AvailablePhoneNumbers.json`
#[tracing::instrument(skip_all)]
pub(super) async fn countries(
    State(state): State<EmulatorState>,
    Path(path): Path<AccountPath>,
) -> Json<Value> {
    let base = format!("{}/AvailablePhoneNumbers", account_uri(&path.account_sid));
    let countries: Vec<Value> = state
        .inventory()
        .countries()
        .iter()
        .map(|c| {
            let mut subresources = serde_json::Map::new();
            for (number_type, file) in FILES {
                if c.size(number_type) > 0 {
                    let key = match number_type {
                        NumberType::Local => "local",
                        NumberType::Mobile => "mobile",
                        NumberType::TollFree => "toll_free",
                    };
                    subresources.insert(key.into(), json!(format!("{base}/{}/{file}", c.iso)));
                }
            }
            json!({
                "country_code": c.iso,
                "country": c.name,
                "uri": format!("{base}/{}.json", c.iso),
                "beta": false,
                "subresource_uris": subresources,
            })
        })
        .collect();
    Json(json!({ "countries": countries, "uri": format!("{base}.json") }))
}

const FILES: [(NumberType, &str); 3] = [
    (NumberType::Local, "Local.json"),
    (NumberType::Mobile, "Mobile.json"),
    (NumberType::TollFree, "TollFree.json"),
];

#[derive(Deserialize)]
pub(super) struct SearchPath {
    country: String,
    file: String,
}

/// The search parameters the emulator honours. Location filters it cannot evaluate
/// (`InPostalCode`, `NearLatLong`, …) are accepted and ignored.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct SearchParams {
    area_code: Option<String>,
    contains: Option<String>,
    in_region: Option<String>,
    in_locality: Option<String>,
    sms_enabled: Option<String>,
    mms_enabled: Option<String>,
    voice_enabled: Option<String>,
    fax_enabled: Option<String>,
    exclude_all_address_required: Option<String>,
    exclude_local_address_required: Option<String>,
    page_size: Option<String>,
}

impl SearchParams {
    fn query(&self, number_type: NumberType) -> Result<Query, Error> {
        let mut query = Query::new(number_type);
        if let Some(area_code) = self.area_code.as_deref().filter(|a| !a.is_empty()) {
            if !area_code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::InvalidAreaCode);
            }
            let pattern =
                Pattern::national_prefix(area_code).map_err(|_| Error::InvalidAreaCode)?;
            query.patterns.push(pattern);
        }
        if let Some(contains) = self.contains.as_deref().filter(|c| !c.is_empty()) {
            let pattern = Pattern::contains(contains)
                .map_err(|e| Error::BadRequest(format!("Invalid Contains {contains:?}: {e}")))?;
            query.patterns.push(pattern);
        }
        query.region = self.in_region.clone().filter(|r| !r.is_empty());
        query.locality = self.in_locality.clone().filter(|l| !l.is_empty());
        query.capabilities.sms = flag("SmsEnabled", self.sms_enabled.as_deref())?;
        query.capabilities.mms = flag("MmsEnabled", self.mms_enabled.as_deref())?;
        query.capabilities.voice = flag("VoiceEnabled", self.voice_enabled.as_deref())?;
        query.capabilities.fax = flag("FaxEnabled", self.fax_enabled.as_deref())?;
        Ok(query)
    }

    /// Twilio's `Exclude*AddressRequired`: leave out numbers that need an address on file.
    fn excludes(&self, requirement: AddressRequirement) -> Result<bool, Error> {
        let all = self.exclude_all_address_required.as_deref();
        let local = self.exclude_local_address_required.as_deref();
        let all = flag("ExcludeAllAddressRequired", all)? == Some(true);
        let local = flag("ExcludeLocalAddressRequired", local)? == Some(true);
        Ok(match requirement {
            AddressRequirement::None => false,
            AddressRequirement::Any => all,
            AddressRequirement::Local => all || local,
        })
    }
}

/// `GET …/AvailablePhoneNumbers/{CountryCode}/{Local|Mobile|TollFree}.json`
#[tracing::instrument(skip_all, fields(country = %path.country, file = %path.file))]
pub(super) async fn search(
    State(state): State<EmulatorState>,
    Path(path): Path<SearchPath>,
    OriginalUri(uri): OriginalUri,
    RawQuery(raw): RawQuery,
) -> Result<Json<Page<AvailableNumbers>>, TwilioError> {
    let not_found = || Error::not_found(uri.path());
    let number_type = FILES
        .iter()
        .find(|(_, file)| *file == path.file)
        .map(|(t, _)| *t)
        .ok_or_else(not_found)?;
    let country = state
        .inventory()
        .country(&path.country)
        .ok_or_else(not_found)?;
    let params: SearchParams = decode(raw.as_deref().unwrap_or(""))?;
    let limit = page_size(params.page_size.as_deref())?;

    let query = params.query(number_type)?;
    let excluded = params.excludes(country.address_requirement)?;
    let offers = if excluded {
        Vec::new()
    } else {
        state.first_available(country, &query, limit)
    };
    let numbers: Vec<AvailableNumber> = offers.into_iter().map(AvailableNumber::new).collect();
    let uri = match raw.as_deref() {
        Some(q) if !q.is_empty() => format!("{}?{q}", uri.path()),
        _ => uri.path().to_owned(),
    };
    Ok(Json(Page {
        start: 0,
        end: numbers.len().saturating_sub(1),
        page: 0,
        page_size: limit,
        first_page_uri: uri.clone(),
        uri,
        next_page_uri: None,
        previous_page_uri: None,
        items: AvailableNumbers {
            available_phone_numbers: numbers,
        },
    }))
}
