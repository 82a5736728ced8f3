//! `PhoneNumber`: Plivo's stock, searched and bought.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::wire::{Filters, List, ListMeta, SearchedNumber};
use super::{PlivoError, account_uri, api_id, decode_body, decode_query, e164_of, paging};
use crate::error::Error;
use crate::inventory::{NumberType, Pattern, Query};
use crate::state::EmulatorState;
use crate::store::NumberChanges;

#[derive(Deserialize)]
pub(super) struct AccountPath {
    auth_id: String,
}

/// Search parameters the emulator honours; `lata`, `rate_center` and `local_calling_area`
/// are accepted and ignored.
#[derive(Deserialize, Default)]
#[serde(default)]
struct SearchParams {
    country_iso: Option<String>,
    #[serde(rename = "type")]
    number_type: Option<String>,
    pattern: Option<String>,
    npanxx: Option<String>,
    region: Option<String>,
    city: Option<String>,
    services: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

impl SearchParams {
    /// The type asked for; `None` for `national`, which the emulated stock does not hold.
    fn number_type(&self) -> Result<Option<NumberType>, Error> {
        match self.number_type.as_deref().unwrap_or("local") {
            "local" | "fixed" => Ok(Some(NumberType::Local)),
            "mobile" => Ok(Some(NumberType::Mobile)),
            "tollfree" => Ok(Some(NumberType::TollFree)),
            "national" => Ok(None),
            other => Err(Error::BadRequest(format!("invalid type {other}"))),
        }
    }

    /// The query, and the filters as page links repeat them.
    fn query(&self, number_type: NumberType) -> Result<(Query, Filters), Error> {
        let mut query = Query::new(number_type);
        let mut filters = Vec::new();
        let given = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
        for (name, value) in [
            ("pattern", given(&self.pattern)),
            ("npanxx", given(&self.npanxx)),
        ] {
            let Some(value) = value else { continue };
            let pattern = Pattern::national_prefix(&value)
                .map_err(|e| Error::BadRequest(format!("invalid {name} {value}: {e}")))?;
            query.patterns.push(pattern);
            filters.push((name, value));
        }
        if let Some(region) = given(&self.region) {
            query.region = Some(region.clone());
            filters.push(("region", region));
        }
        if let Some(city) = given(&self.city) {
            query.locality = Some(city.clone());
            filters.push(("city", city));
        }
        if let Some(services) = given(&self.services) {
            for service in services.split(',').map(str::trim) {
                let slot = match service {
                    "voice" => &mut query.capabilities.voice,
                    "sms" => &mut query.capabilities.sms,
                    "mms" => &mut query.capabilities.mms,
                    other => return Err(Error::BadRequest(format!("invalid service {other}"))),
                };
                *slot = Some(true);
            }
            filters.push(("services", services));
        }
        Ok((query, filters))
    }
}

/// `GET /v1/Account/{auth_id}/PhoneNumber/?country_iso=…`
#[tracing::instrument(skip_all)]
pub(super) async fn search(
    State(state): State<EmulatorState>,
    Path(path): Path<AccountPath>,
    RawQuery(raw): RawQuery,
) -> Result<Json<List<SearchedNumber>>, PlivoError> {
    let params: SearchParams = decode_query(raw.as_deref())?;
    let (limit, offset) = paging(params.limit.as_deref(), params.offset.as_deref())?;
    let iso = params.country_iso.clone().filter(|c| !c.is_empty());
    let iso = iso.ok_or_else(|| Error::BadRequest("country_iso is required".to_owned()))?;
    let mut filters = vec![("country_iso", iso.clone())];
    let (offers, total) = match (state.inventory().country(&iso), params.number_type()?) {
        (Some(country), Some(number_type)) => {
            let (query, more) = params.query(number_type)?;
            filters.push((
                "type",
                params.number_type.clone().unwrap_or_else(|| "local".into()),
            ));
            filters.extend(more);
            let page = state.search(country, &query, offset as u64, limit);
            (page.offers, page.total)
        }
        // A country or type the carriers do not sell in: nothing, as Plivo answers.
        _ => (Vec::new(), 0),
    };
    let objects = offers
        .iter()
        .map(|o| SearchedNumber::new(o, &path.auth_id))
        .collect();
    let base = format!("{}/PhoneNumber/", account_uri(&path.auth_id));
    let meta = ListMeta::new(&base, &filters, limit, offset, total);
    Ok(Json(List {
        api_id: api_id(),
        meta,
        objects,
    }))
}

#[derive(Deserialize)]
pub(super) struct NumberPath {
    number: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BuyBody {
    app_id: Option<String>,
    cnam_lookup: Option<String>,
}

/// `POST /v1/Account/{auth_id}/PhoneNumber/{number}/`: rent a number. Anything not for sale
/// answers 404 `not found`, as Plivo does.
#[tracing::instrument(skip_all, fields(number = %path.number))]
pub(super) async fn buy(
    State(state): State<EmulatorState>,
    Path(path): Path<NumberPath>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), PlivoError> {
    let e164 = e164_of(&path.number)?;
    let body: BuyBody = decode_body(&body)?;
    let mut setup = NumberChanges {
        app_id: body.app_id,
        ..NumberChanges::default()
    };
    if let Some(cnam) = body.cnam_lookup {
        setup.settings.insert("cnam_lookup".to_owned(), cnam);
    }
    let owner = state.config().plivo.owner();
    let bought = state.buy(&e164, owner, None, setup).await?;
    let answer = json!({
        "api_id": api_id(),
        "message": "created",
        "numbers": [{ "number": &bought.e164[1..], "status": "Success" }],
        "status": "fulfilled",
    });
    Ok((StatusCode::CREATED, Json(answer)))
}
