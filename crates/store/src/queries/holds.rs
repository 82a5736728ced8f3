//! SQL of reservations and quantity orders, run unchanged by both backends (PostgreSQL's
//! array form of one read excepted, which its module writes). Every test of whether a hold
//! counts compares its `expires_at` with the caller's `now`.

pub(crate) const RESERVATION_COLUMNS: &str = "id, workspace_id, provider, phone_numbers, \
     carrier_ref, status, created_at, expires_at, ended_at";

pub(crate) const INSERT_RESERVATION: &str = "INSERT INTO reservations (id, workspace_id, \
     provider, phone_numbers, carrier_ref, status, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, 'active', $6, $7)";
/// The numbers a reservation ended up holding.
pub(crate) const SET_RESERVATION_NUMBERS: &str =
    "UPDATE reservations SET phone_numbers = $2 WHERE id = $1";
/// Hold one number: free when no live row has it and any hold on it has run out by `$5` or
/// is the same workspace's. Returns the number when held.
pub(crate) const HOLD_NUMBER: &str = "INSERT INTO number_holds (phone_number, reservation_id, \
     workspace_id, expires_at) \
     SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS BIGINT) \
     WHERE NOT EXISTS (SELECT 1 FROM phone_numbers p WHERE p.phone_number = CAST($1 AS TEXT) \
     AND p.status IN ('pending', 'active')) \
     ON CONFLICT (phone_number) DO UPDATE SET reservation_id = excluded.reservation_id, \
     workspace_id = excluded.workspace_id, expires_at = excluded.expires_at \
     WHERE number_holds.expires_at <= $5 OR number_holds.workspace_id = excluded.workspace_id \
     RETURNING phone_number";
pub(crate) static RESERVATION_IN_WORKSPACE: super::Sql = sql!(
    "SELECT ",
    RESERVATION_COLUMNS,
    " FROM reservations WHERE id = $1 AND workspace_id = $2"
);
pub(crate) const RELEASE_RESERVATION: &str = "UPDATE reservations SET status = 'released', \
     ended_at = $3 WHERE id = $1 AND workspace_id = $2 AND status = 'active' AND expires_at > $3";
/// An order's reservation, ended with the order.
pub(crate) const END_RESERVATION: &str = "UPDATE reservations SET status = 'released', \
     ended_at = $2 WHERE id = $1 AND status = 'active'";
pub(crate) const DROP_HOLDS: &str = "DELETE FROM number_holds WHERE reservation_id = $1";
pub(crate) const EXPIRABLE: &str = "SELECT id FROM reservations WHERE status = 'active' \
     AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2";
pub(crate) const EXPIRE: &str = "UPDATE reservations SET status = 'expired', ended_at = $2 \
     WHERE id = $1 AND status = 'active' AND expires_at <= $2";
/// SQLite's form: one number at a time.
pub(crate) const HELD_BY_OTHER: &str = "SELECT phone_number FROM number_holds \
     WHERE phone_number = $1 AND workspace_id <> $2 AND expires_at > $3";
/// PostgreSQL's form: every number in one array.
pub(crate) const HELD_BY_OTHERS: &str = "SELECT phone_number FROM number_holds \
     WHERE phone_number = ANY($1::text[]) AND workspace_id <> $2 AND expires_at > $3";

pub(crate) const ORDER_COLUMNS: &str = "id, workspace_id, country, number_type, area_code, \
     contains, region, quantity, provider, mode, status, failure_reason, reservation_id, \
     lease_until, created_at, updated_at";

pub(crate) static INSERT_ORDER: super::Sql = sql!(
    "INSERT INTO orders (id, workspace_id, country, number_type, area_code, contains, region, \
     quantity, provider, mode, status, lease_until, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', 0, $11, $11) RETURNING ",
    ORDER_COLUMNS
);
pub(crate) static ORDER_IN_WORKSPACE: super::Sql = sql!(
    "SELECT ",
    ORDER_COLUMNS,
    " FROM orders WHERE id = $1 AND workspace_id = $2"
);
pub(crate) const ORDER_ITEMS: &str = "SELECT position, phone_number, status, phone_number_id, \
     reason FROM order_items WHERE order_id = $1 ORDER BY position";
pub(crate) static LEASE_ORDER: super::Sql = sql!(
    "UPDATE orders SET lease_until = $3 WHERE id = $1 AND status = 'pending' \
     AND lease_until <= $2 RETURNING ",
    ORDER_COLUMNS
);
pub(crate) const RENEW_LEASE: &str = "UPDATE orders SET lease_until = $3 WHERE id = $1 \
     AND status = 'pending' AND lease_until = $2";
pub(crate) const ORDERS_TO_RESUME: &str = "SELECT id FROM orders WHERE status = 'pending' \
     AND lease_until <= $1 ORDER BY created_at, id LIMIT $2";
pub(crate) const INSERT_ITEM: &str = "INSERT INTO order_items (order_id, position, \
     phone_number, status, updated_at) VALUES ($1, $2, $3, 'reserved', $4)";
pub(crate) const SET_ORDER_RESERVATION: &str =
    "UPDATE orders SET reservation_id = $2, updated_at = $3 WHERE id = $1";
pub(crate) const SET_ITEM: &str = "UPDATE order_items SET status = $3, phone_number_id = $4, \
     reason = $5, updated_at = $6 WHERE order_id = $1 AND position = $2";
pub(crate) const FINISH_ORDER: &str = "UPDATE orders SET status = $2, failure_reason = $3, \
     updated_at = $4 WHERE id = $1 AND status = 'pending' RETURNING reservation_id";
