-- Reservations hold numbers for a workspace for a while; quantity orders buy numbers by the
-- dozen through the purchase saga.
--
-- A reservation's numbers are rows of number_holds, one per number (the primary key makes a
-- number held by one reservation at most). A hold counts only while expires_at is ahead: every
-- query that asks whether a number is held says so (`expires_at > now`), so an expired hold
-- frees its number at once in every process, whether or not the sweeper has been by. The
-- sweeper moves a reservation from active to expired by compare-and-set, once, and deletes
-- its hold rows.
CREATE TABLE reservations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    provider TEXT NOT NULL,
    -- The numbers held, comma-separated E.164, in the order asked.
    phone_numbers TEXT NOT NULL,
    -- The carrier's handle for its own hold, where the carrier holds numbers (Telnyx).
    carrier_ref TEXT,
    -- active | released | expired (an active row past expires_at reads as expired).
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX reservations_workspace ON reservations (workspace_id, created_at);
CREATE INDEX reservations_active_expiry ON reservations (expires_at) WHERE status = 'active';

CREATE TABLE number_holds (
    phone_number TEXT PRIMARY KEY,
    reservation_id TEXT NOT NULL REFERENCES reservations (id),
    workspace_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX number_holds_reservation ON number_holds (reservation_id);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    country TEXT NOT NULL,
    number_type TEXT NOT NULL,
    area_code TEXT,
    contains TEXT,
    region TEXT,
    quantity BIGINT NOT NULL,
    provider TEXT NOT NULL,
    -- all_or_none | best_effort
    mode TEXT NOT NULL,
    -- pending | completed | partial | failed
    status TEXT NOT NULL,
    failure_reason TEXT,
    -- The reservation holding the order's numbers, once they are chosen.
    reservation_id TEXT,
    -- A worker works on a pending order only while it holds the lease (compare-and-set), so
    -- two processes never work on one order at once, and one that died leaves it to the next.
    lease_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX orders_workspace ON orders (workspace_id, created_at);
CREATE INDEX orders_pending ON orders (lease_until) WHERE status = 'pending';

CREATE TABLE order_items (
    order_id TEXT NOT NULL REFERENCES orders (id),
    position BIGINT NOT NULL,
    phone_number TEXT NOT NULL,
    -- reserved | pending | bought | failed | released
    status TEXT NOT NULL,
    phone_number_id TEXT,
    reason TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (order_id, position)
);
