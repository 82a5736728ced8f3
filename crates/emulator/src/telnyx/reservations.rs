//! `number_reservations`: holding numbers for 30 minutes. While held, nobody else can buy
//! them through any carrier of the emulator; the holder can order them as usual.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::wire::time;
use super::{TelnyxError, decode_body, uuid};
use crate::error::Error;
use crate::market::normalize_e164;
use crate::state::EmulatorState;
use crate::store::HoldRefused;

/// How long Telnyx holds a reserved number.
pub(crate) const HOLD: jiff::SignedDuration = jiff::SignedDuration::from_mins(30);

#[derive(Deserialize)]
struct HeldNumber {
    phone_number: String,
}

#[derive(Deserialize)]
struct CreateReservation {
    #[serde(default)]
    phone_numbers: Vec<HeldNumber>,
    customer_reference: Option<String>,
}

/// `POST /v2/number_reservations`: holds every number it can; each says whether it is held.
#[tracing::instrument(skip_all)]
pub(super) async fn create(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, TelnyxError> {
    let body: CreateReservation = decode_body(&body)?;
    if body.phone_numbers.is_empty() {
        return Err(Error::BadRequest("phone_numbers must list at least one number".into()).into());
    }
    let numbers = body
        .phone_numbers
        .iter()
        .map(|n| normalize_e164(&n.phone_number).ok_or(Error::InvalidNumber))
        .collect::<Result<Vec<_>, _>>()?;
    let owner = state.config().telnyx.owner();
    let id = uuid();
    let now = state.now();
    let until = now
        .checked_add(HOLD)
        .map_err(|e| Error::Internal(e.into()))?;
    // Only numbers in stock can be held; the others fail without asking the store.
    let in_stock: Vec<String> = numbers
        .iter()
        .filter(|n| state.inventory().lookup(n).is_some())
        .cloned()
        .collect();
    let mut outcomes = state
        .store()
        .hold(&owner, &id, in_stock, now, until)
        .await?
        .into_iter();
    let (created, expired) = (time(now), time(until));
    let phone_numbers: Vec<Value> = numbers
        .iter()
        .map(|e164| {
            let outcome = if state.inventory().lookup(e164).is_some() {
                outcomes.next().unwrap_or(Err(HoldRefused::Owned))
            } else {
                Err(HoldRefused::Owned)
            };
            let (status, errors) = match outcome {
                Ok(()) => ("success", Value::Null),
                Err(HoldRefused::Held) => ("failure", json!("Number is already on hold")),
                Err(HoldRefused::Owned) => ("failure", json!("Number is not available")),
            };
            json!({
                "id": uuid(),
                "record_type": "reserved_phone_number",
                "phone_number": e164,
                "status": status,
                "errors": errors,
                "expired_at": expired,
                "created_at": created,
                "updated_at": created,
            })
        })
        .collect();
    let any_held = phone_numbers.iter().any(|n| n["status"] == "success");
    let record = json!({
        "id": id,
        "record_type": "number_reservation",
        "phone_numbers": phone_numbers,
        "status": if any_held { "success" } else { "failure" },
        "customer_reference": body.customer_reference,
        "errors": if any_held { Value::Null } else { json!("No number could be held") },
        "created_at": created,
        "updated_at": created,
    });
    state.store().put_reservation(&id, &owner, &record).await?;
    tracing::info!(reservation = %id, "numbers reserved");
    Ok(Json(json!({ "data": record })))
}

/// `GET /v2/number_reservations/{id}`
#[tracing::instrument(skip_all, fields(reservation = %id))]
pub(super) async fn fetch(
    State(state): State<EmulatorState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, TelnyxError> {
    let owner = state.config().telnyx.owner();
    let record = state
        .store()
        .reservation(&id, &owner)
        .await?
        .ok_or_else(|| Error::not_found(format!("number reservation {id}")))?;
    Ok(Json(json!({ "data": record })))
}
