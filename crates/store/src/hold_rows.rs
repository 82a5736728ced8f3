//! Rows of reservations and orders into records, for either backend, in the column order of
//! `queries::holds`.

use crate::rows::{Columns, opt_ts, parse_at, ts};
use crate::{OrderItem, OrderRecord, ReservationRecord, StoreError, StoreResult};
use dialnexa_domain::{E164, OrderId, PhoneNumberId, ReservationId, WorkspaceId};

/// Numbers as stored: comma-separated E.164.
pub(crate) fn numbers_csv(numbers: &[E164]) -> String {
    numbers
        .iter()
        .map(E164::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn e164(raw: &str) -> StoreResult<E164> {
    E164::parse(raw).map_err(|e| StoreError::Other(format!("stored number {raw}: {e}")))
}

pub(crate) fn reservation(row: &dyn Columns) -> StoreResult<ReservationRecord> {
    let numbers = row.text(3)?;
    Ok(ReservationRecord {
        id: ReservationId::from_trusted(row.text(0)?),
        workspace_id: WorkspaceId::from_trusted(row.text(1)?),
        provider: parse_at(row, 2, "provider")?,
        phone_numbers: numbers
            .split(',')
            .filter(|n| !n.is_empty())
            .map(e164)
            .collect::<StoreResult<_>>()?,
        carrier_ref: row.opt_text(4)?,
        status: row.text(5)?,
        created_at: ts(row.int(6)?)?,
        expires_at: ts(row.int(7)?)?,
        ended_at: opt_ts(row.opt_int(8)?)?,
    })
}

/// An order without its items.
pub(crate) fn order(row: &dyn Columns) -> StoreResult<OrderRecord> {
    Ok(OrderRecord {
        id: OrderId::from_trusted(row.text(0)?),
        workspace_id: WorkspaceId::from_trusted(row.text(1)?),
        country: parse_at(row, 2, "country")?,
        number_type: parse_at(row, 3, "number_type")?,
        area_code: row.opt_text(4)?,
        contains: row.opt_text(5)?,
        region: row.opt_text(6)?,
        quantity: u32::try_from(row.int(7)?).map_err(|e| StoreError::Other(e.to_string()))?,
        provider: parse_at(row, 8, "provider")?,
        mode: row.text(9)?,
        status: row.text(10)?,
        failure_reason: row.opt_text(11)?,
        reservation_id: row.opt_text(12)?.map(ReservationId::from_trusted),
        lease_until: ts(row.int(13)?)?,
        created_at: ts(row.int(14)?)?,
        updated_at: ts(row.int(15)?)?,
        items: Vec::new(),
    })
}

pub(crate) fn order_item(row: &dyn Columns) -> StoreResult<OrderItem> {
    Ok(OrderItem {
        position: u32::try_from(row.int(0)?).map_err(|e| StoreError::Other(e.to_string()))?,
        phone_number: e164(&row.text(1)?)?,
        status: row.text(2)?,
        phone_number_id: row.opt_text(3)?.map(PhoneNumberId::from_trusted),
        reason: row.opt_text(4)?,
    })
}
