-- How many numbers each workspace has in each status, kept by triggers in the transaction of
-- every change to phone_numbers, so the total of a list page is one or two rows to read instead
-- of a count of every row (BENCHMARKS.md, `list`).
CREATE TABLE phone_number_counts (
    workspace_id TEXT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, status)
);

INSERT INTO phone_number_counts (workspace_id, status, n)
    SELECT workspace_id, status, COUNT(*) FROM phone_numbers GROUP BY workspace_id, status;

CREATE TRIGGER phone_numbers_count_insert AFTER INSERT ON phone_numbers
BEGIN
    INSERT INTO phone_number_counts (workspace_id, status, n)
        VALUES (NEW.workspace_id, NEW.status, 1)
        ON CONFLICT (workspace_id, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER phone_numbers_count_update AFTER UPDATE OF workspace_id, status ON phone_numbers
    WHEN OLD.workspace_id IS NOT NEW.workspace_id OR OLD.status IS NOT NEW.status
BEGIN
    UPDATE phone_number_counts SET n = n - 1
        WHERE workspace_id = OLD.workspace_id AND status = OLD.status;
    INSERT INTO phone_number_counts (workspace_id, status, n)
        VALUES (NEW.workspace_id, NEW.status, 1)
        ON CONFLICT (workspace_id, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER phone_numbers_count_delete AFTER DELETE ON phone_numbers
BEGIN
    UPDATE phone_number_counts SET n = n - 1
        WHERE workspace_id = OLD.workspace_id AND status = OLD.status;
END;
