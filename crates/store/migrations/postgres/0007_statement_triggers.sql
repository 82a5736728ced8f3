-- The list counters and the change tokens of 0006, kept once per statement instead of once per
-- row: a claim or an activation of a thousand purchases in one statement (the store's lanes)
-- then costs two counter upserts, not four thousand. The transition tables of a statement-level
-- trigger hold the rows it changed; every group's counter row is taken in (workspace, status)
-- order, so two statements never lock two counters in opposite orders.

DROP TRIGGER phone_numbers_count_insert_delete ON phone_numbers;
DROP TRIGGER phone_numbers_count_update ON phone_numbers;
DROP TRIGGER phone_numbers_changed ON phone_numbers;
DROP TRIGGER sip_trunks_changed ON sip_trunks;
DROP FUNCTION phone_numbers_count();
DROP FUNCTION workspace_changed();

CREATE FUNCTION phone_numbers_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO phone_number_counts (workspace_id, status, slot, n)
        SELECT workspace_id, status, pg_backend_pid() % 16, COUNT(*) FROM new_rows
        GROUP BY workspace_id, status ORDER BY workspace_id, status
        ON CONFLICT (workspace_id, status, slot) DO UPDATE SET n = phone_number_counts.n + excluded.n;
    INSERT INTO workspace_changes (workspace_id, slot, n)
        SELECT workspace_id, pg_backend_pid() % 16, COUNT(*) FROM new_rows
        GROUP BY workspace_id ORDER BY workspace_id
        ON CONFLICT (workspace_id, slot) DO UPDATE SET n = workspace_changes.n + excluded.n;
    RETURN NULL;
END;
$$;

CREATE FUNCTION phone_numbers_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO phone_number_counts (workspace_id, status, slot, n)
        SELECT workspace_id, status, pg_backend_pid() % 16, SUM(d) FROM (
            SELECT o.workspace_id, o.status, -1 AS d FROM old_rows o JOIN new_rows n ON n.id = o.id
                WHERE o.status IS DISTINCT FROM n.status OR o.workspace_id IS DISTINCT FROM n.workspace_id
            UNION ALL
            SELECT n.workspace_id, n.status, 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
                WHERE o.status IS DISTINCT FROM n.status OR o.workspace_id IS DISTINCT FROM n.workspace_id
        ) AS moved
        GROUP BY workspace_id, status ORDER BY workspace_id, status
        ON CONFLICT (workspace_id, status, slot) DO UPDATE SET n = phone_number_counts.n + excluded.n;
    INSERT INTO workspace_changes (workspace_id, slot, n)
        SELECT workspace_id, pg_backend_pid() % 16, COUNT(*) FROM new_rows
        GROUP BY workspace_id ORDER BY workspace_id
        ON CONFLICT (workspace_id, slot) DO UPDATE SET n = workspace_changes.n + excluded.n;
    RETURN NULL;
END;
$$;

CREATE FUNCTION phone_numbers_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO phone_number_counts (workspace_id, status, slot, n)
        SELECT workspace_id, status, pg_backend_pid() % 16, -COUNT(*) FROM old_rows
        GROUP BY workspace_id, status ORDER BY workspace_id, status
        ON CONFLICT (workspace_id, status, slot) DO UPDATE SET n = phone_number_counts.n + excluded.n;
    INSERT INTO workspace_changes (workspace_id, slot, n)
        SELECT workspace_id, pg_backend_pid() % 16, COUNT(*) FROM old_rows
        GROUP BY workspace_id ORDER BY workspace_id
        ON CONFLICT (workspace_id, slot) DO UPDATE SET n = workspace_changes.n + excluded.n;
    RETURN NULL;
END;
$$;

CREATE TRIGGER phone_numbers_inserted AFTER INSERT ON phone_numbers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION phone_numbers_inserted();
CREATE TRIGGER phone_numbers_updated AFTER UPDATE ON phone_numbers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION phone_numbers_updated();
CREATE TRIGGER phone_numbers_deleted AFTER DELETE ON phone_numbers
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION phone_numbers_deleted();

-- A SIP trunk shows in its number's answer: its changes move the workspace's token too.
CREATE FUNCTION sip_trunks_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO workspace_changes (workspace_id, slot, n)
        SELECT workspace_id, pg_backend_pid() % 16, COUNT(*) FROM new_rows
        GROUP BY workspace_id ORDER BY workspace_id
        ON CONFLICT (workspace_id, slot) DO UPDATE SET n = workspace_changes.n + excluded.n;
    RETURN NULL;
END;
$$;

CREATE FUNCTION sip_trunks_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO workspace_changes (workspace_id, slot, n)
        SELECT workspace_id, pg_backend_pid() % 16, COUNT(*) FROM old_rows
        GROUP BY workspace_id ORDER BY workspace_id
        ON CONFLICT (workspace_id, slot) DO UPDATE SET n = workspace_changes.n + excluded.n;
    RETURN NULL;
END;
$$;

CREATE TRIGGER sip_trunks_inserted AFTER INSERT ON sip_trunks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sip_trunks_written();
CREATE TRIGGER sip_trunks_updated AFTER UPDATE ON sip_trunks
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sip_trunks_written();
CREATE TRIGGER sip_trunks_deleted AFTER DELETE ON sip_trunks
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sip_trunks_deleted();
