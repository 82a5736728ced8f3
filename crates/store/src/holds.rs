//! Reservations (numbers held for a workspace until a deadline) and quantity orders (numbers
//! bought by the dozen through the purchase saga): their records and the traits the service
//! sees. A hold counts only while its `expires_at` is ahead of the `now` a query is given, so
//! expiry needs no process to act; the sweeper's compare-and-set only tidies up, once.

use async_trait::async_trait;
use dialnexa_domain::{
    CountryIso, E164, NumberType, OrderId, PhoneNumberId, Provider, ReservationId, WorkspaceId,
};
use jiff::Timestamp;

use crate::StoreResult;

/// A reservation to write.
#[derive(Debug, Clone)]
pub struct NewReservation {
    pub id: ReservationId,
    pub workspace_id: WorkspaceId,
    pub provider: Provider,
    /// The numbers to hold, in the order asked.
    pub phone_numbers: Vec<E164>,
    /// The carrier's handle for its own hold, if it holds numbers.
    pub carrier_ref: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// How a reservation is to be taken.
#[derive(Debug, Clone)]
pub enum HoldMode {
    /// Every number or none (the API's reservations).
    All,
    /// For an order: hold up to `want` of the numbers, in order, skipping those held or bought
    /// elsewhere; the held ones become the order's items in the same transaction.
    ForOrder { order: OrderId, want: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationRecord {
    pub id: ReservationId,
    pub workspace_id: WorkspaceId,
    pub provider: Provider,
    pub phone_numbers: Vec<E164>,
    pub carrier_ref: Option<String>,
    /// `active`, `released` or `expired` as stored: an `active` row past `expires_at` has
    /// expired whether or not the sweeper has been by.
    pub status: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub ended_at: Option<Timestamp>,
}

/// What [`HoldStore::reserve`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reserved {
    /// Written, holding the numbers it lists.
    Held(ReservationRecord),
    /// Nothing written: these numbers are held by another workspace or bought.
    Refused(Vec<E164>),
}

#[async_trait]
pub trait HoldStore: Send + Sync {
    /// Hold numbers (see [`HoldMode`]); a number counts as free when no live row has it and
    /// no other workspace's hold on it is ahead of `now`.
    async fn reserve(
        &self,
        new: &NewReservation,
        mode: &HoldMode,
        now: Timestamp,
    ) -> StoreResult<Reserved>;
    async fn get_reservation(
        &self,
        workspace: &WorkspaceId,
        id: &ReservationId,
    ) -> StoreResult<Option<ReservationRecord>>;
    /// End an active, unexpired reservation and drop its holds; `None` when the workspace has
    /// no such reservation. One that already ended is answered as it is.
    async fn release_reservation(
        &self,
        workspace: &WorkspaceId,
        id: &ReservationId,
        now: Timestamp,
    ) -> StoreResult<Option<ReservationRecord>>;
    /// Mark up to `limit` reservations past their deadline `expired` and drop their holds;
    /// compare-and-set, so each is expired by exactly one caller, which gets its id.
    async fn expire_reservations(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<ReservationId>>;
    /// Which of `numbers` a workspace other than `workspace` holds at `now`.
    async fn held_by_others(
        &self,
        workspace: &WorkspaceId,
        numbers: &[E164],
        now: Timestamp,
    ) -> StoreResult<Vec<E164>>;
}

/// A quantity order to write.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub id: OrderId,
    pub workspace_id: WorkspaceId,
    pub country: CountryIso,
    pub number_type: NumberType,
    pub area_code: Option<String>,
    pub contains: Option<String>,
    pub region: Option<String>,
    pub quantity: u32,
    pub provider: Provider,
    /// `all_or_none` or `best_effort`.
    pub mode: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    pub id: OrderId,
    pub workspace_id: WorkspaceId,
    pub country: CountryIso,
    pub number_type: NumberType,
    pub area_code: Option<String>,
    pub contains: Option<String>,
    pub region: Option<String>,
    pub quantity: u32,
    pub provider: Provider,
    pub mode: String,
    /// `pending`, `completed`, `partial` or `failed`.
    pub status: String,
    pub failure_reason: Option<String>,
    pub reservation_id: Option<ReservationId>,
    pub lease_until: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// In position order.
    pub items: Vec<OrderItem>,
}

/// One number of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    pub position: u32,
    pub phone_number: E164,
    /// `reserved`, `pending` (the purchase awaits the carrier), `bought`, `failed` or
    /// `released` (bought, then given back by an `all_or_none` order that could not finish).
    pub status: String,
    pub phone_number_id: Option<PhoneNumberId>,
    pub reason: Option<String>,
}

#[async_trait]
pub trait OrderStore: Send + Sync {
    async fn insert_order(&self, new: &NewOrder) -> StoreResult<OrderRecord>;
    /// The order with its items.
    async fn get_order(
        &self,
        workspace: &WorkspaceId,
        id: &OrderId,
    ) -> StoreResult<Option<OrderRecord>>;
    /// Take the lease of a pending order whose lease ran out by `now`, until `until`
    /// (compare-and-set: one caller gets it). The order with its items, or `None`.
    async fn lease_order(
        &self,
        id: &OrderId,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Option<OrderRecord>>;
    /// Extend a lease this caller holds (it still ends at `held_until`, so nobody took it
    /// over); `false` when it does not hold it any more.
    async fn renew_order_lease(
        &self,
        id: &OrderId,
        held_until: Timestamp,
        until: Timestamp,
    ) -> StoreResult<bool>;
    /// Pending orders whose lease ran out by `now`, oldest first.
    async fn orders_to_resume(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<OrderId>>;
    /// Record what happened to one number of an order.
    async fn set_order_item(
        &self,
        order: &OrderId,
        position: u32,
        status: &str,
        number: Option<&PhoneNumberId>,
        reason: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Settle a pending order (compare-and-set) and drop the holds of its reservation, in
    /// one transaction; `false` when it was no longer pending.
    async fn finish_order(
        &self,
        id: &OrderId,
        status: &str,
        reason: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<bool>;
}
