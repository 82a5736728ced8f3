//! `number_orders`: buying numbers the Telnyx way. An order claims its numbers at once (they
//! show as `purchase-pending`), answers `pending`, and settles when polled: `success` (the
//! numbers turn `active`) or, when a test asked for it, `failure` (they go back on sale).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::wire::{ORDER_ID, STATUS, time, type_name};
use super::{TelnyxError, decode_body, new_number_id, uuid};
use crate::error::Error;
use crate::market::{facts, normalize_e164};
use crate::state::EmulatorState;
use crate::store::{NumberChanges, OrderRow};

#[derive(Deserialize)]
struct OrderedNumber {
    phone_number: String,
}

#[derive(Deserialize)]
struct CreateOrder {
    #[serde(default)]
    phone_numbers: Vec<OrderedNumber>,
    connection_id: Option<String>,
    messaging_profile_id: Option<String>,
    billing_group_id: Option<String>,
    customer_reference: Option<String>,
}

/// The order as Telnyx shows it, every number with the order's status.
fn record(state: &EmulatorState, id: &str, body: &CreateOrder, numbers: &[String]) -> Value {
    let now = time(state.now());
    let phone_numbers: Vec<Value> = numbers
        .iter()
        .map(|e164| {
            let facts = facts(state.inventory(), e164);
            json!({
                "id": uuid(),
                "record_type": "number_order_phone_number",
                "phone_number": e164,
                "status": "pending",
                "requirements_met": true,
                "requirements_status": "approved",
                "phone_number_type": type_name(facts.number_type),
                "country_code": facts.country.map(|c| c.iso).unwrap_or("US"),
                "bundle_id": null,
                "regulatory_requirements": [],
            })
        })
        .collect();
    json!({
        "id": id,
        "record_type": "number_order",
        "phone_numbers_count": phone_numbers.len(),
        "phone_numbers": phone_numbers,
        "status": "pending",
        "connection_id": body.connection_id,
        "messaging_profile_id": body.messaging_profile_id,
        "billing_group_id": body.billing_group_id,
        "customer_reference": body.customer_reference,
        "sub_number_orders_ids": [uuid()],
        "requirements_met": true,
        "created_at": now,
        "updated_at": now,
    })
}

/// `POST /v2/number_orders`: claims every number or none. A number that is not for sale
/// refuses the whole order with 422, pointing at it.
#[tracing::instrument(skip_all)]
pub(super) async fn create(
    State(state): State<EmulatorState>,
    body: Bytes,
) -> Result<Json<Value>, TelnyxError> {
    let body: CreateOrder = decode_body(&body)?;
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
    let (polls_left, fails) = state.faults().on_order();
    let row = OrderRow {
        record: record(&state, &id, &body, &numbers),
        polls_left,
        fails,
    };
    // Saved before any number is claimed: a client that times out mid-order can still poll
    // it, and the order settles its numbers whatever happens to the request.
    state.store().put_order(&id, &owner, &row).await?;
    let mut bought = Vec::new();
    for e164 in &numbers {
        let mut setup = NumberChanges::default();
        setup
            .settings
            .insert(STATUS.into(), "purchase-pending".into());
        setup.settings.insert(ORDER_ID.into(), id.clone());
        if let Some(connection_id) = &body.connection_id {
            setup
                .settings
                .insert("connection_id".into(), connection_id.clone());
        }
        if let Some(group) = &body.billing_group_id {
            setup
                .settings
                .insert("billing_group_id".into(), group.clone());
        }
        match state
            .buy(e164, owner.clone(), Some(new_number_id()), setup)
            .await
        {
            Ok(number) => bought.push(number.e164),
            Err(e) => {
                for e164 in &bought {
                    state.store().release(e164, Some(&owner)).await?;
                }
                let mut refused = row.clone();
                set_status(&mut refused.record, "failure", &time(state.now()));
                state.store().put_order(&id, &owner, &refused).await?;
                return Err(e.into());
            }
        }
    }
    for e164 in &bought {
        state.store().drop_hold(e164, &owner).await?;
    }
    tracing::info!(order = %id, numbers = bought.len(), "number order placed");
    Ok(Json(json!({ "data": row.record })))
}

/// `GET /v2/number_orders/{id}`: one poll; a pending order settles once its polls are used.
#[tracing::instrument(skip_all, fields(order = %id))]
pub(super) async fn fetch(
    State(state): State<EmulatorState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, TelnyxError> {
    let owner = state.config().telnyx.owner();
    let not_found = || Error::not_found(format!("number order {id}"));
    let mut row = state
        .store()
        .order(&id, &owner)
        .await?
        .ok_or_else(not_found)?;
    if row.record["status"] == "pending" {
        if row.polls_left > 0 {
            row.polls_left -= 1;
            state.store().put_order(&id, &owner, &row).await?;
        } else {
            row = settle(&state, &id, row).await?;
        }
    }
    Ok(Json(json!({ "data": row.record })))
}

/// Settles every order of the account that is due, so reads of its numbers show them as the
/// carrier would by now, polled or not.
pub(super) async fn settle_due(state: &EmulatorState) -> Result<(), Error> {
    let owner = state.config().telnyx.owner();
    for id in state.store().due_orders(&owner).await? {
        if let Some(row) = state.store().order(&id, &owner).await? {
            settle(state, &id, row).await?;
        }
    }
    Ok(())
}

async fn settle(state: &EmulatorState, id: &str, mut row: OrderRow) -> Result<OrderRow, Error> {
    let owner = state.config().telnyx.owner();
    let numbers: Vec<String> = row.record["phone_numbers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["phone_number"].as_str().map(str::to_owned))
        .collect();
    for e164 in &numbers {
        if row.fails {
            state.store().release(e164, Some(&owner)).await?;
        } else {
            let mut changes = NumberChanges::default();
            changes.settings.insert(STATUS.into(), "active".into());
            state.store().update(e164, &owner, changes).await?;
        }
    }
    let status = if row.fails { "failure" } else { "success" };
    set_status(&mut row.record, status, &time(state.now()));
    state.store().put_order(id, &owner, &row).await?;
    tracing::info!(order = %id, status, "number order settled");
    Ok(row)
}

fn set_status(record: &mut Value, status: &str, now: &str) {
    record["status"] = json!(status);
    record["updated_at"] = json!(now);
    if let Some(numbers) = record["phone_numbers"].as_array_mut() {
        for number in numbers {
            number["status"] = json!(status);
        }
    }
}
