//! `available_phone_numbers`: Telnyx's search, filters as deepObject query parameters.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};

use super::wire::available;
use super::{TelnyxError, number_param, param, query_pairs};
use crate::error::Error;
use crate::inventory::{NumberType, Pattern, Query};
use crate::state::EmulatorState;

/// Results when `filter[limit]` is absent, and the most a search returns.
const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

/// The query a search's filters ask for, or `None` for a type the stock does not hold.
fn query(pairs: &[(String, String)]) -> Result<Option<Query>, Error> {
    let number_type = match param(pairs, "filter[phone_number_type]").unwrap_or("local") {
        "local" => NumberType::Local,
        "mobile" => NumberType::Mobile,
        "toll_free" => NumberType::TollFree,
        "national" | "shared_cost" => return Ok(None),
        other => {
            return Err(Error::BadRequest(format!(
                "filter[phone_number_type] must be local, toll_free, mobile, national or shared_cost, not {other}"
            )));
        }
    };
    let mut query = Query::new(number_type);
    let prefixes = [
        "filter[national_destination_code]",
        "filter[phone_number][starts_with]",
    ];
    for name in prefixes {
        if let Some(digits) = param(pairs, name) {
            let pattern = Pattern::national_prefix(digits.trim_start_matches('+'))
                .map_err(|e| Error::BadRequest(format!("invalid {name} {digits}: {e}")))?;
            query.patterns.push(pattern);
        }
    }
    // `ends_with` is `contains` pinned to the end, which the pattern spells with `$`.
    let contains = param(pairs, "filter[phone_number][contains]").map(str::to_owned);
    let ends_with = param(pairs, "filter[phone_number][ends_with]").map(|e| format!("{e}$"));
    for text in contains.into_iter().chain(ends_with) {
        let pattern = Pattern::contains(&text)
            .map_err(|e| Error::BadRequest(format!("invalid phone number filter {text}: {e}")))?;
        query.patterns.push(pattern);
    }
    query.region = param(pairs, "filter[administrative_area]").map(str::to_owned);
    query.locality = param(pairs, "filter[locality]").map(str::to_owned);
    // `filter[features]=voice,sms`, `filter[features][]=voice&…` or repeated keys.
    let features = pairs
        .iter()
        .filter(|(k, _)| k == "filter[features]" || k == "filter[features][]")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim);
    for feature in features {
        match feature {
            "voice" => query.capabilities.voice = Some(true),
            "sms" => query.capabilities.sms = Some(true),
            "mms" => query.capabilities.mms = Some(true),
            "fax" => query.capabilities.fax = Some(true),
            // Every emulated number has these, or they do not apply to the stock.
            "emergency" | "hd_voice" | "international_sms" | "local_calling" | "" => {}
            other => return Err(Error::BadRequest(format!("unknown feature {other}"))),
        }
    }
    Ok(Some(query))
}

/// `GET /v2/available_phone_numbers?filter[country_code]=US&…`
#[tracing::instrument(skip_all)]
pub(super) async fn search(
    State(state): State<EmulatorState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, TelnyxError> {
    let pairs = query_pairs(raw.as_deref())?;
    let limit = number_param(&pairs, &["filter[limit]"], 1..=MAX_LIMIT, DEFAULT_LIMIT)?;
    let iso = param(&pairs, "filter[country_code]")
        .ok_or_else(|| Error::BadRequest("filter[country_code] is required".to_owned()))?;
    let (data, total) = match (state.inventory().country(iso), query(&pairs)?) {
        (Some(country), Some(query)) => {
            let page = state.search(country, &query, 0, limit);
            (page.offers.iter().map(available).collect(), page.total)
        }
        // A country or type the stock does not hold: nothing, as Telnyx answers.
        _ => (Vec::new(), 0),
    };
    let meta = json!({ "total_results": total, "best_effort_results": 0 });
    Ok(Json(json!({ "data": data, "meta": meta })))
}
