-- PostgreSQL without hot rows on the purchase path, and with a change token per workspace.
--
-- The per-(workspace, status) counters of 0005 were one row each: every purchase of a workspace
-- updated the same row and queued on its lock until commit. They are now spread over 16 slots,
-- picked by the backend's process id, so concurrent transactions (each on its own connection)
-- mostly touch different rows; a total is the sum of at most 16 rows per status. All the
-- changes of one transaction use one slot, so two transactions never lock two slots in
-- opposite orders.
ALTER TABLE phone_number_counts ADD COLUMN slot INTEGER NOT NULL DEFAULT 0;
ALTER TABLE phone_number_counts DROP CONSTRAINT phone_number_counts_pkey;
ALTER TABLE phone_number_counts ADD PRIMARY KEY (workspace_id, status, slot);

CREATE OR REPLACE FUNCTION phone_numbers_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    s INTEGER := pg_backend_pid() % 16;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO phone_number_counts (workspace_id, status, slot, n)
            VALUES (OLD.workspace_id, OLD.status, s, -1)
            ON CONFLICT (workspace_id, status, slot) DO UPDATE SET n = phone_number_counts.n - 1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO phone_number_counts (workspace_id, status, slot, n)
            VALUES (NEW.workspace_id, NEW.status, s, 1)
            ON CONFLICT (workspace_id, status, slot) DO UPDATE SET n = phone_number_counts.n + 1;
    END IF;
    RETURN NULL;
END;
$$;

-- How many changes each workspace's numbers have seen, in the same 16 slots: the sum moves in
-- the transaction of every change to a number or its SIP trunk, so a server that read the sum
-- before rendering an answer knows the answer is still true while the sum is unchanged, whichever
-- server made the change (the page cache; SQLite uses PRAGMA data_version instead).
CREATE TABLE workspace_changes (
    workspace_id TEXT NOT NULL,
    slot INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, slot)
);

CREATE FUNCTION workspace_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO workspace_changes (workspace_id, slot, n)
        VALUES (COALESCE(NEW.workspace_id, OLD.workspace_id), pg_backend_pid() % 16, 1)
        ON CONFLICT (workspace_id, slot) DO UPDATE SET n = workspace_changes.n + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER phone_numbers_changed AFTER INSERT OR UPDATE OR DELETE ON phone_numbers
    FOR EACH ROW EXECUTE FUNCTION workspace_changed();
CREATE TRIGGER sip_trunks_changed AFTER INSERT OR UPDATE OR DELETE ON sip_trunks
    FOR EACH ROW EXECUTE FUNCTION workspace_changed();

-- One row that readiness checks write, so /ready notices a database that reads but cannot
-- commit.
CREATE TABLE store_heartbeat (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL
);
INSERT INTO store_heartbeat (id, at) VALUES (1, 0);
