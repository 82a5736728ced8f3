-- How many numbers each workspace has in each status, kept by triggers in the transaction of
-- every change to phone_numbers, so the total of a list page is one or two rows to read instead
-- of a count of every row (BENCHMARKS.md, `list`). A status only moves forward (pending, then
-- active or failed, then released), and the trigger takes the old status's row before the
-- new one's, so concurrent changes lock the counters in one order.
CREATE TABLE phone_number_counts (
    workspace_id TEXT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, status)
);

INSERT INTO phone_number_counts (workspace_id, status, n)
    SELECT workspace_id, status, COUNT(*) FROM phone_numbers GROUP BY workspace_id, status;

CREATE FUNCTION phone_numbers_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE phone_number_counts SET n = n - 1
            WHERE workspace_id = OLD.workspace_id AND status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO phone_number_counts (workspace_id, status, n)
            VALUES (NEW.workspace_id, NEW.status, 1)
            ON CONFLICT (workspace_id, status) DO UPDATE SET n = phone_number_counts.n + 1;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER phone_numbers_count_insert_delete AFTER INSERT OR DELETE ON phone_numbers
    FOR EACH ROW EXECUTE FUNCTION phone_numbers_count();

CREATE TRIGGER phone_numbers_count_update AFTER UPDATE OF workspace_id, status ON phone_numbers
    FOR EACH ROW
    WHEN (OLD.workspace_id IS DISTINCT FROM NEW.workspace_id OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION phone_numbers_count();
