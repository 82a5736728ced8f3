-- Dashboard sessions kept on the server, and a counter of API key revocations.
--
-- The session cookie carries a random id; only its SHA-256 is stored, so a copy of the
-- database opens no session. A session ends at expires_at, on sign-out (the row is deleted),
-- and when the key it was opened with is revoked (the trigger below deletes it, and readers
-- also join on the key).
CREATE TABLE dashboard_sessions (
    id_hash TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    api_key_id TEXT NOT NULL REFERENCES api_keys (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);
CREATE INDEX dashboard_sessions_key ON dashboard_sessions (api_key_id);

-- Every server caches verified keys for a while; each request reads this one number, and a
-- change tells every server (not just the one that revoked) to forget its cache.
CREATE TABLE key_revocations (
    id BIGINT PRIMARY KEY,
    n BIGINT NOT NULL
);
INSERT INTO key_revocations (id, n) VALUES (1, 0);

CREATE TRIGGER api_keys_revoked AFTER UPDATE OF revoked_at ON api_keys
WHEN OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL
BEGIN
    UPDATE key_revocations SET n = n + 1 WHERE id = 1;
    DELETE FROM dashboard_sessions WHERE api_key_id = NEW.id;
END;
