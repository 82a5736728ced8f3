//! `Number`: the numbers a Plivo account rents, listed, read, changed and given back.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::wire::{AccountNumber, List, ListMeta, type_name};
use super::{PlivoError, account_uri, api_id, decode_body, decode_query, e164_of, paging};
use crate::error::Error;
use crate::market::facts;
use crate::state::EmulatorState;
use crate::store::{NumberChanges, OwnedNumber};

#[derive(Deserialize)]
pub(super) struct AccountPath {
    auth_id: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListParams {
    #[serde(rename = "type")]
    number_type: Option<String>,
    /// plivo-go's spelling of `type`.
    #[serde(rename = "number_type")]
    number_type_alias: Option<String>,
    number_startswith: Option<String>,
    alias: Option<String>,
    services: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// `GET /v1/Account/{auth_id}/Number/`
#[tracing::instrument(skip_all)]
pub(super) async fn list(
    State(state): State<EmulatorState>,
    Path(path): Path<AccountPath>,
    RawQuery(raw): RawQuery,
) -> Result<Json<List<AccountNumber>>, PlivoError> {
    let params: ListParams = decode_query(raw.as_deref())?;
    let (limit, offset) = paging(params.limit.as_deref(), params.offset.as_deref())?;
    let wanted_type = params
        .number_type
        .or(params.number_type_alias)
        .filter(|t| !t.is_empty());
    let services: Vec<String> = params
        .services
        .iter()
        .flat_map(|s| s.split(','))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();

    let owner = state.config().plivo.owner();
    let mut matching = Vec::new();
    for number in state.store().list(Some(&owner)).await? {
        let facts = facts(state.inventory(), &number.e164);
        let caps = facts.capabilities;
        let type_ok = wanted_type.as_deref().is_none_or(|t| {
            t == type_name(facts.number_type)
                || (t == "fixed" && type_name(facts.number_type) == "local")
        });
        let prefix_ok = params
            .number_startswith
            .as_deref()
            .is_none_or(|p| number.e164[1..].starts_with(p));
        let alias_ok = params
            .alias
            .as_deref()
            .is_none_or(|a| number.friendly_name.as_deref() == Some(a));
        let services_ok = services.iter().all(|s| match s.as_str() {
            "voice" => caps.voice,
            "sms" => caps.sms,
            "mms" => caps.mms,
            _ => false,
        });
        if type_ok && prefix_ok && alias_ok && services_ok {
            matching.push((number, facts));
        }
    }

    let objects = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(n, f)| AccountNumber::new(n, f, &path.auth_id, None))
        .collect();
    let mut filters: Vec<(&str, String)> = Vec::new();
    if let Some(t) = wanted_type {
        filters.push(("type", t));
    }
    if let Some(p) = params.number_startswith {
        filters.push(("number_startswith", p));
    }
    let base = format!("{}/Number/", account_uri(&path.auth_id));
    let meta = ListMeta::new(&base, &filters, limit, offset, matching.len() as u64);
    Ok(Json(List {
        api_id: api_id(),
        meta,
        objects,
    }))
}

#[derive(Deserialize)]
pub(super) struct NumberPath {
    auth_id: String,
    number: String,
}

/// The number in the path, if this account rents it; `not found` otherwise.
async fn rented(state: &EmulatorState, number: &str) -> Result<OwnedNumber, Error> {
    let e164 = e164_of(number)?;
    let not_found = || Error::not_found(number);
    let owned = state.store().get(&e164).await?.ok_or_else(not_found)?;
    if owned.owner != state.config().plivo.owner() {
        return Err(not_found());
    }
    Ok(owned)
}

/// `GET /v1/Account/{auth_id}/Number/{number}/`
#[tracing::instrument(skip_all, fields(number = %path.number))]
pub(super) async fn fetch(
    State(state): State<EmulatorState>,
    Path(path): Path<NumberPath>,
) -> Result<Json<AccountNumber>, PlivoError> {
    let number = rented(&state, &path.number).await?;
    let facts = facts(state.inventory(), &number.e164);
    Ok(Json(AccountNumber::new(
        &number,
        &facts,
        &path.auth_id,
        Some(api_id()),
    )))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UpdateBody {
    alias: Option<String>,
    app_id: Option<String>,
    cnam_lookup: Option<String>,
}

/// `POST /v1/Account/{auth_id}/Number/{number}/`: set the alias or the linked application.
#[tracing::instrument(skip_all, fields(number = %path.number))]
pub(super) async fn update(
    State(state): State<EmulatorState>,
    Path(path): Path<NumberPath>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), PlivoError> {
    let number = rented(&state, &path.number).await?;
    let body: UpdateBody = decode_body(&body)?;
    let mut changes = NumberChanges {
        friendly_name: body.alias,
        app_id: body.app_id,
        ..NumberChanges::default()
    };
    if let Some(cnam) = body.cnam_lookup {
        changes.settings.insert("cnam_lookup".to_owned(), cnam);
    }
    let owner = state.config().plivo.owner();
    state
        .store()
        .update(&number.e164, &owner, changes)
        .await?
        .ok_or_else(|| Error::not_found(&path.number))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "api_id": api_id(), "message": "changed" })),
    ))
}

/// `DELETE /v1/Account/{auth_id}/Number/{number}/`: stop renting; the number goes back on sale.
#[tracing::instrument(skip_all, fields(number = %path.number))]
pub(super) async fn unrent(
    State(state): State<EmulatorState>,
    Path(path): Path<NumberPath>,
) -> Result<StatusCode, PlivoError> {
    let number = rented(&state, &path.number).await?;
    let owner = state.config().plivo.owner();
    if !state.store().release(&number.e164, Some(&owner)).await? {
        return Err(Error::not_found(&path.number).into());
    }
    tracing::info!(number = %number.e164, auth_id = %path.auth_id, "number unrented");
    Ok(StatusCode::NO_CONTENT)
}
