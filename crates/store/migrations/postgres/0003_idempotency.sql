-- Idempotency keys: the first answer to a (workspace, key) is kept for 24 hours and replayed.
-- A row without a status is a request still running (or one that died: `locked_at` tells).
CREATE TABLE idempotency_keys (
    workspace_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code BIGINT,
    response_body TEXT,
    created_at BIGINT NOT NULL,
    locked_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
