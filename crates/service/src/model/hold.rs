//! Reservations and quantity orders as the service hands them out.

use dialnexa_domain::{
    CountryIso, E164, NumberType, OrderId, PhoneNumberId, Provider, ReservationId,
};
use jiff::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub id: ReservationId,
    pub phone_numbers: Vec<E164>,
    pub provider: Provider,
    /// `active`, `released` or `expired` (an active one past `expires_at` is expired).
    pub status: &'static str,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl Reservation {
    pub(crate) fn from_record(r: dialnexa_store::ReservationRecord, now: Timestamp) -> Self {
        let status = match r.status.as_str() {
            "active" if r.expires_at <= now => "expired",
            "active" => "active",
            "released" => "released",
            _ => "expired",
        };
        Reservation {
            id: r.id,
            phone_numbers: r.phone_numbers,
            provider: r.provider,
            status,
            created_at: r.created_at,
            expires_at: r.expires_at,
        }
    }
}

/// How an order treats numbers it cannot buy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderMode {
    /// Every number or none: what was bought is released when the order cannot finish.
    AllOrNone,
    /// As many as can be bought.
    BestEffort,
}

impl OrderMode {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderMode::AllOrNone => "all_or_none",
            OrderMode::BestEffort => "best_effort",
        }
    }

    pub(crate) fn from_stored(s: &str) -> Self {
        match s {
            "best_effort" => OrderMode::BestEffort,
            _ => OrderMode::AllOrNone,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: OrderId,
    pub country: CountryIso,
    pub number_type: NumberType,
    pub area_code: Option<String>,
    pub contains: Option<String>,
    pub region: Option<String>,
    pub quantity: u32,
    pub provider: Provider,
    pub mode: OrderMode,
    /// `pending`, `completed`, `partial` or `failed`.
    pub status: String,
    /// Why the order as a whole did not complete.
    pub failure_reason: Option<String>,
    pub reservation_id: Option<ReservationId>,
    pub items: Vec<OrderItem>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    pub phone_number: E164,
    /// `reserved`, `pending`, `bought`, `failed` or `released`.
    pub status: String,
    pub phone_number_id: Option<PhoneNumberId>,
    /// Why it was not bought (or was given back).
    pub reason: Option<String>,
}

impl From<dialnexa_store::OrderRecord> for Order {
    fn from(o: dialnexa_store::OrderRecord) -> Self {
        Order {
            id: o.id,
            country: o.country,
            number_type: o.number_type,
            area_code: o.area_code,
            contains: o.contains,
            region: o.region,
            quantity: o.quantity,
            provider: o.provider,
            mode: OrderMode::from_stored(&o.mode),
            status: o.status,
            failure_reason: o.failure_reason,
            reservation_id: o.reservation_id,
            items: o
                .items
                .into_iter()
                .map(|i| OrderItem {
                    phone_number: i.phone_number,
                    status: i.status,
                    phone_number_id: i.phone_number_id,
                    reason: i.reason,
                })
                .collect(),
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}
