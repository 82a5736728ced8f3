//! `phone_numbers`: the numbers a Telnyx account owns, listed, read, changed and deleted.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::orders::settle_due;
use super::wire::{HD_VOICE, TAGS, phone_number};
use super::{TelnyxError, decode_body, number_param, param, query_pairs};
use crate::error::Error;
use crate::market::facts;
use crate::state::EmulatorState;
use crate::store::{NumberChanges, OwnedNumber};

fn render(state: &EmulatorState, number: &OwnedNumber, status: Option<&str>) -> Value {
    phone_number(number, &facts(state.inventory(), &number.e164), status)
}

/// `GET /v2/phone_numbers`: `filter[phone_number]` (digits anywhere), `filter[status]`, and
/// pages as `page[number]`/`page[size]` or `page_number`/`page_size`.
#[tracing::instrument(skip_all)]
pub(super) async fn list(
    State(state): State<EmulatorState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, TelnyxError> {
    let pairs = query_pairs(raw.as_deref())?;
    let size = number_param(&pairs, &["page[size]", "page_size"], 1..=250, 20)?;
    let page = number_param(&pairs, &["page[number]", "page_number"], 1..=usize::MAX, 1)?;
    settle_due(&state).await?;
    let digits = param(&pairs, "filter[phone_number]")
        .map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>());
    let status = param(&pairs, "filter[status]");
    let owner = state.config().telnyx.owner();
    let records: Vec<Value> = state
        .store()
        .list(Some(&owner))
        .await?
        .iter()
        .filter(|n| digits.as_deref().is_none_or(|d| n.e164.contains(d)))
        .map(|n| render(&state, n, None))
        .filter(|r| status.is_none_or(|s| r["status"] == s))
        .collect();
    let total = records.len();
    let data: Vec<Value> = records
        .into_iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .collect();
    let meta = json!({
        "page_number": page,
        "page_size": size,
        "total_pages": total.div_ceil(size),
        "total_results": total,
    });
    Ok(Json(json!({ "data": data, "meta": meta })))
}

/// The number with this id, if the account owns it.
async fn owned(state: &EmulatorState, id: &str) -> Result<OwnedNumber, Error> {
    let not_found = || Error::not_found(format!("phone number {id}"));
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_found());
    }
    settle_due(state).await?;
    let number = state.store().get_by_sid(id).await?.ok_or_else(not_found)?;
    if number.owner != state.config().telnyx.owner() {
        return Err(not_found());
    }
    Ok(number)
}

/// `GET /v2/phone_numbers/{id}`
#[tracing::instrument(skip_all, fields(id = %id))]
pub(super) async fn fetch(
    State(state): State<EmulatorState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, TelnyxError> {
    let number = owned(&state, &id).await?;
    Ok(Json(json!({ "data": render(&state, &number, None) })))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UpdateBody {
    customer_reference: Option<String>,
    connection_id: Option<String>,
    billing_group_id: Option<String>,
    external_pin: Option<String>,
    tags: Option<Vec<String>>,
    hd_voice_enabled: Option<bool>,
}

/// `PATCH /v2/phone_numbers/{id}`: `customer_reference` (the name people know it by),
/// `connection_id` (where calls go), tags and the like.
#[tracing::instrument(skip_all, fields(id = %id))]
pub(super) async fn update(
    State(state): State<EmulatorState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, TelnyxError> {
    let number = owned(&state, &id).await?;
    let body: UpdateBody = decode_body(&body)?;
    let mut changes = NumberChanges {
        friendly_name: body.customer_reference,
        ..NumberChanges::default()
    };
    let texts = [
        ("connection_id", body.connection_id),
        ("billing_group_id", body.billing_group_id),
        ("external_pin", body.external_pin),
    ];
    for (name, value) in texts {
        if let Some(value) = value {
            changes.settings.insert(name.into(), value);
        }
    }
    if let Some(tags) = body.tags {
        let tags = serde_json::to_string(&tags).map_err(|e| Error::Internal(e.into()))?;
        changes.settings.insert(TAGS.into(), tags);
    }
    if let Some(hd_voice) = body.hd_voice_enabled {
        changes
            .settings
            .insert(HD_VOICE.into(), hd_voice.to_string());
    }
    let owner = state.config().telnyx.owner();
    let updated = state
        .store()
        .update(&number.e164, &owner, changes)
        .await?
        .ok_or_else(|| Error::not_found(format!("phone number {id}")))?;
    Ok(Json(json!({ "data": render(&state, &updated, None) })))
}

/// `DELETE /v2/phone_numbers/{id}`: the number goes back on sale; Telnyx answers 200 with
/// the number as it was deleted.
#[tracing::instrument(skip_all, fields(id = %id))]
pub(super) async fn delete(
    State(state): State<EmulatorState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, TelnyxError> {
    let number = owned(&state, &id).await?;
    let owner = state.config().telnyx.owner();
    if !state.store().release(&number.e164, Some(&owner)).await? {
        return Err(Error::not_found(format!("phone number {id}")).into());
    }
    tracing::info!(number = %number.e164, "number deleted");
    Ok(Json(
        json!({ "data": render(&state, &number, Some("deleted")) }),
    ))
}
